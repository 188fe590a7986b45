/* Exceptions: an IDT for vectors 0-31, every one routed to a single handler that the
 * kernel installs (its fatal funnel). */
#ifndef ARCH_IDT_H
#define ARCH_IDT_H

#include <stdint.h>

/* Pushed by isr.asm, lowest address first. */
struct trap_frame {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

typedef void (*trap_handler_t)(struct trap_frame *f);

void idt_init(trap_handler_t handler);
/* Load the IDT that idt_init() built on the calling CPU (an application processor). */
void idt_load(void);
const char *exception_name(unsigned vector);
/* True when the CPU pushes an error code for this vector (SDM Vol.3 Table 6-1). */
int exception_has_error_code(unsigned vector);

#endif
