/* IDT for the 32 architectural exceptions (SDM Vol.3 6.14.1, 64-bit IDT gate descriptors). */
#include "arch/x86_64/idt.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"

extern const uint64_t isr_table[32];
static uint64_t idt[64] __attribute__((aligned(16))); /* 32 gates of 16 bytes */
static trap_handler_t installed;

static const char *const names[32] = {
    [0] = "#DE divide error",        [1] = "#DB debug",
    [2] = "NMI",                     [3] = "#BP breakpoint",
    [4] = "#OF overflow",            [5] = "#BR bound range exceeded",
    [6] = "#UD invalid opcode",      [7] = "#NM device not available",
    [8] = "#DF double fault",        [9] = "coprocessor segment overrun",
    [10] = "#TS invalid TSS",        [11] = "#NP segment not present",
    [12] = "#SS stack-segment fault", [13] = "#GP general protection",
    [14] = "#PF page fault",         [16] = "#MF x87 floating-point error",
    [17] = "#AC alignment check",    [18] = "#MC machine check",
    [19] = "#XM SIMD floating-point", [20] = "#VE virtualization exception",
    [21] = "#CP control protection", [29] = "#VC VMM communication",
    [30] = "#SX security exception",
};

const char *exception_name(unsigned vector)
{
    return vector < 32 && names[vector] ? names[vector] : "reserved vector";
}

int exception_has_error_code(unsigned v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

void trap_entry_c(struct trap_frame *f);
void trap_entry_c(struct trap_frame *f)
{
    if (installed)
        installed(f);
    for (;;) {
        cli();
        hlt();
    }
}

void idt_init(trap_handler_t handler)
{
    installed = handler;
    for (unsigned v = 0; v < 32; v++) {
        uint64_t a = isr_table[v];
        unsigned ist = (v == 2 || v == 8 || v == 18) ? 1 : 0; /* NMI, #DF, #MC on a known stack */
        idt[2 * v] = (a & 0xFFFF) | ((uint64_t)GDT_KERNEL_CS << 16) | ((uint64_t)ist << 32) |
                     (0x8Eull << 40) /* P, DPL0, 64-bit interrupt gate */ | (((a >> 16) & 0xFFFF) << 48);
        idt[2 * v + 1] = a >> 32;
    }
    idt_load();
}

/* One IDT for every CPU: the gates are the same, each CPU's own TSS gives it its IST1 stack. */
void idt_load(void)
{
    struct desc_ptr p = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" ::"m"(p));
}
