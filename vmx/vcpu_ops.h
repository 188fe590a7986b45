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

/* ---- requests between vCPUs (vmx/vcpu_reset.c) -------------------------------------------
 * A vCPU never touches another's VMCS or registers: it leaves a request, which the target
 * takes in its own run loop before its next VM entry, and kicks it when it runs on another
 * CPU (an NMI IPI, kernel/smp.c: in non-root operation a VM exit, "NMI exiting"; in root
 * operation the end of its idle HLT). */
enum {
    VCPU_REQ_INIT = 1u << 0,  /* for the request handler (apic): an INIT */
    VCPU_REQ_SIPI = 1u << 1,  /* for the request handler (apic): a SIPI */
    VCPU_REQ_IRQ = 1u << 2,   /* for the request handler (apic): interrupts were posted */
    VCPU_REQ_NMI = 1u << 3,   /* vmx: an NMI for the guest (inject_nmi) */
    VCPU_REQ_STOP = 1u << 4,  /* vmx: halt, vmxlab is stopping */
    VCPU_REQ_TLB_FLUSH = 1u << 5, /* vmx: another vCPU changed EPT entries (vmx/a20.c): vmx_flush_tlb */
};
/* `from` is the vCPU whose exit handler asks (its own requests need no kick). */
void vcpu_request(struct vcpu *from, struct vcpu *to, uint32_t req);
/* The module above vmx that owns INIT, SIPI and interrupts takes those requests: called on the
 * target's CPU with the bits it had, before VM entry (and while it waits for SIPI). */
void vcpu_request_handler_set(void (*fn)(struct vcpu *v, uint32_t req));
/* vCPUs 0 .. vmx_vcpu_count()-1 exist (CPU i runs vCPU i) */
unsigned vmx_vcpu_count(void);

/* VMCS access for modules above vmx (fatal funnel on failure). */
uint64_t vmcs_read(uint64_t field);
void vmcs_write(uint64_t field, uint64_t value);

#endif
