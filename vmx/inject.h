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

#endif
