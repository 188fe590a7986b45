/* The physical local APIC of the CPU vmxlab runs on (xAPIC MMIO, SDM Vol.3A 10.4.1), as far
 * as the virtual APIC needs it: which interrupt the CPU acknowledged on a VM exit (ISR, TMR),
 * the EOI that retires it, the timer that runs the guest's virtual timer, and the logical
 * destination registers the I/O APIC's logical-mode messages are matched against.
 * The guest never reaches this page: EPT maps the APIC-access page at its APIC base. */
#ifndef APIC_PAPIC_H
#define APIC_PAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Read IA32_APIC_BASE; the MMIO page is identity-mapped for vmxlab (below 4 GiB). */
void papic_setup(void);
uint32_t papic_read(uint32_t offset);
void papic_write(uint32_t offset, uint32_t value);
/* bit `vector` of a 256-bit register bank (ISR at 0x100, TMR 0x180, IRR 0x200) */
bool papic_test(uint32_t bank, uint8_t vector);
/* SDM 10.8.5: retire the highest-priority in-service interrupt */
static inline void papic_eoi(void) { papic_write(0x0B0, 0); }

#endif
