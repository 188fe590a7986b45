/* Event injection (SDM Vol.3 24.8.3 "VM-Entry Controls for Event Injection", 26.6). */
#ifndef VMX_INJECT_H
#define VMX_INJECT_H

#include <stdbool.h>
#include <stdint.h>
#include "vmx/vcpu.h"

void inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error_code);
#define inject_ud(v) inject_exception((v), 6, false, 0)
#define inject_gp(v) inject_exception((v), 13, true, 0)
/* An NMI for the guest: held until the guest can take it (no NMI blocking: after the IRET of
 * an NMI handler), then injected (vmx/nmi.c). */
void inject_nmi(struct vcpu *v);
/* Hold an external-interrupt vector for the guest; it is injected before a VM entry where the
 * guest can take it (RFLAGS.IF=1, no STI/MOV-SS blocking), with interrupt-window exiting
 * in between. */
void inject_hold_interrupt(struct vcpu *v, uint8_t vector);

/* The guest's interrupt controller (the apic module registers one at init, so vmx never
 * includes apic). vmx calls it on every external-interrupt exit and, while v->virq is set,
 * before VM entry:
 *   external  an interrupt the CPU acknowledged on exit (SDM 27.2.2): return true when the
 *             controller took it (it came through the local APIC and is now pending in the
 *             virtual APIC); false: vmx holds it as the 8259's (ExtINT) and injects it
 *   pending   the vector the virtual APIC would present to the CPU now (SDM 10.8.3.1: its
 *             priority class above the PPR's), or -1
 *   accepted  vmx injected that vector: the virtual APIC moves it from IRR to ISR (10.8.4) */
struct intr_controller {
    bool (*external)(struct vcpu *v, uint8_t vector);
    int (*pending)(struct vcpu *v);
    void (*accepted)(struct vcpu *v, uint8_t vector);
};
void intr_controller_set(const struct intr_controller *c);
/* An interrupt for a vCPU that sits in the HLT activity state: it wakes (SDM 24.4.2). */
void vcpu_wake(struct vcpu *v);

#endif
