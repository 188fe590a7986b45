/* 64-bit GDT with a TSS (SDM Vol.3 3.4.5 segment descriptors, 7.2.3 TSS descriptor in 64-bit mode). */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/cpu.h"

static uint64_t gdt[5] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t ist1_stack[8192] __attribute__((aligned(16))); /* #DF and NMI run on it */

void gdt_init(void)
{
    uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
    gdt[0] = 0;
    gdt[1] = 0x00AF9A000000FFFFull; /* code: L=1, P, DPL0, execute/read */
    gdt[2] = 0x00CF92000000FFFFull; /* data: P, DPL0, read/write */
    /* 64-bit TSS descriptor, type 9 (available), 16 bytes (SDM Vol.3 Figure 7-4) */
    gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xF) << 48) |
             (((base >> 24) & 0xFF) << 56);
    gdt[4] = base >> 32;
    tss.ist[0] = (uint64_t)(ist1_stack + sizeof(ist1_stack));
    tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */

    struct desc_ptr p = {sizeof(gdt) - 1, (uint64_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "mov %2, %%ax\n\t"
                     "mov %%ax, %%ds\n\t"
                     "mov %%ax, %%es\n\t"
                     "mov %%ax, %%ss\n\t"
                     "ltr %w3\n\t" ::"m"(p),
                     "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS), "r"(GDT_TSS)
                     : "rax", "memory");
}

uint64_t gdt_base(void) { return (uint64_t)gdt; }
uint64_t tss_base(void) { return (uint64_t)&tss; }
