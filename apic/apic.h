/* The guest's local APIC (apic/apic.c). */
#ifndef APIC_APIC_H
#define APIC_APIC_H

#include "kernel/options.h"

/* Between vmx_setup() and vmx_run(): choose the trap path from the capability MSRs and
 * apic=auto|apicv|decode|passthrough, set up its pages and controls, and hand the INIT,
 * SIPI, APIC-access and APIC-write exits to vmx. Stops vmxlab when the path cannot run. */
void apic_setup(const struct options *o);
/* Each AP's vCPU, on its own CPU after vmx_vcpu_create(): its virtual APIC and the path's
 * controls in its VMCS. (apic_setup() does it for vCPU 0.) */
struct vcpu;
void apic_vcpu_setup(struct vcpu *v);

#endif
