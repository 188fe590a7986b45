/* 64-bit GDT with a TSS, one of each per CPU (SDM Vol.3 3.4.5 segment descriptors, 7.2.3 TSS
 * descriptor in 64-bit mode). Each CPU needs its own TSS: the TSS descriptor's busy bit is set
 * by LTR (SDM 7.2.4, a busy TSS cannot be loaded again), and the IST1 stack that NMI and #DF
 * switch to must not be shared by two CPUs taking one at the same time. */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/cpu.h"

static uint64_t gdt[GDT_MAX_CPUS][5] __attribute__((aligned(16)));
static struct tss64 tss[GDT_MAX_CPUS] __attribute__((aligned(16)));
static uint8_t ist1_boot[GDT_IST1_SIZE] __attribute__((aligned(16))); /* the boot CPU's: #DF and NMI run on it */

void gdt_init_cpu(unsigned cpu, uint64_t ist1_top)
{
    uint64_t *g = gdt[cpu];
    struct tss64 *t = &tss[cpu];
    uint64_t base = (uint64_t)t, limit = sizeof(*t) - 1;
    g[0] = 0;
    g[1] = 0x00AF9A000000FFFFull; /* code: L=1, P, DPL0, execute/read */
    g[2] = 0x00CF92000000FFFFull; /* data: P, DPL0, read/write */
    /* 64-bit TSS descriptor, type 9 (available), 16 bytes (SDM Vol.3 Figure 7-4) */
    g[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xF) << 48) |
           (((base >> 24) & 0xFF) << 56);
    g[4] = base >> 32;
    t->ist[0] = ist1_top ? ist1_top : (uint64_t)(ist1_boot + sizeof(ist1_boot));
    t->iomap_base = sizeof(*t); /* no I/O permission bitmap */

    struct desc_ptr p = {sizeof(gdt[cpu]) - 1, (uint64_t)g};
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

void gdt_init(void) { gdt_init_cpu(0, 0); }

uint64_t gdt_base_of(unsigned cpu) { return (uint64_t)gdt[cpu]; }
uint64_t tss_base_of(unsigned cpu) { return (uint64_t)&tss[cpu]; }
uint64_t gdt_base(void) { return gdt_base_of(0); }
uint64_t tss_base(void) { return tss_base_of(0); }
