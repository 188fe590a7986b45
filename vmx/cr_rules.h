/* What the CPU checks when software writes CR0, CR4 or XCR0, for the writes that exit to
 * vmxlab instead of executing (a guest/host-mask bit changes, SDM Vol.3C 25.1.3; XSETBV always
 * exits, 25.1.2). Pure logic, tested on the host (tests/unit/test_cr_rules.c). Each function
 * returns NULL when the write is legal, else the rule it breaks (for the log): the guest then
 * gets #GP(0), as on bare metal. */
#ifndef VMX_CR_RULES_H
#define VMX_CR_RULES_H

#include <stdbool.h>
#include <stdint.h>

/* The guest's state before the write, as the guest sees it (read shadows applied). */
struct cr_state {
    uint64_t cr0, cr3, cr4, efer;
    bool cs_l;                 /* CS.L: 64-bit code when EFER.LMA = 1 */
};

/* MOV to CR0 (and LMSW, turned into one): SDM Vol.3A 2.5, 9.8.5; Vol.2 MOV "Protected Mode
 * Exceptions" and "64-Bit Mode Exceptions". */
const char *cr0_write_fault(const struct cr_state *s, uint64_t value);

/* MOV to CR4: SDM Vol.3A 2.5, 4.10.1; Vol.2 MOV. allowed: the CR4 bits the guest may set
 * (the CPU's, without those of features hidden from the guest, such as VMXE). */
const char *cr4_write_fault(const struct cr_state *s, uint64_t value, uint64_t allowed);

/* XSETBV: SDM Vol.2 XSETBV "Operation". supported: CPUID.(0DH,0):EDX:EAX. */
const char *xcr_write_fault(uint32_t index, uint64_t value, uint64_t supported);

/* SDM Vol.3A 4.10.4.1: the writes that invalidate the TLBs of the current VPID (which the
 * CPU does not do for a write that exits instead). */
bool cr0_write_flushes_tlb(uint64_t old, uint64_t value);
bool cr4_write_flushes_tlb(uint64_t old, uint64_t value);

#endif
