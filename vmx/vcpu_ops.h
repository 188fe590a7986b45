/* Operations on a vCPU that modules above vmx use (apic: INIT reset, SIPI). */
#ifndef VMX_VCPU_OPS_H
#define VMX_VCPU_OPS_H

#include <stdint.h>
#include "vmx/vcpu.h"

/* Where a reset vCPU starts. */
struct vcpu_start {
    uint16_t cs_selector;
    uint32_t cs_base;
    uint32_t rip;
};

/* INIT: the processor state of SDM Vol.3A 9.1 Table 9-1 in the VMCS (memory untouched), plus
 * the VMX side (activity state, interruptibility, pending debug exceptions, entry
 * interruption information, IA-32e mode entry control, CR0/CR4 shadows, INVVPID/INVEPT),
 * then the vCPU starts at `start`. Defined in vmx/vcpu_reset.c. */
void vcpu_init_reset(struct vcpu *v, const struct vcpu_start *start);

/* Invalidate what the TLBs may still hold for the guest: INVVPID (single context) when VPID
 * is on, INVEPT (single context) for the EPT tables. Mappings tagged with a VPID/EPTP survive
 * VM exits and entries (SDM Vol.3C 28.3); the guest's own MOV to CR0/CR3 would flush them, a
 * VMWRITE of its CR0/CR3 does not. vcpu_init_reset() calls it. Implemented by the VMX core. */
void vmx_flush_tlb(struct vcpu *v);

/* The guest's entry point (guest.entry) and the architectural reset vector. */
struct vcpu_start vcpu_entry_point(void);
struct vcpu_start vcpu_reset_vector(void);

/* VMCS access for modules above vmx (fatal funnel on failure). */
uint64_t vmcs_read(uint64_t field);
void vmcs_write(uint64_t field, uint64_t value);

#endif
