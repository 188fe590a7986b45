/* What each CPU keeps for itself, found through its GS base (IA32_GS_BASE, SDM Vol.3A 3.4.4.1
 * "Segment Loading Instructions in IA-32e Mode"): the index of the CPU, which is also the
 * number of the vCPU it runs (CPU 0 is the boot CPU and runs vCPU 0). A VM exit loads the host
 * GS base from the VMCS host-state area (HOST_GS_BASE, SDM 27.5.2), so the value survives the
 * guest's own use of GS. Only the log reads it (to name the vCPU of a line); everything about a
 * vCPU is passed as a `struct vcpu *`, never looked up through the CPU. */
#ifndef ARCH_CPU_LOCAL_H
#define ARCH_CPU_LOCAL_H

#include <stdint.h>

#define CPU_LOCAL_MAX 16

struct cpu_local {
    unsigned index;     /* at GS:0 */
};

/* Point the calling CPU's GS base at slot `index`; the first thing each CPU does. */
void cpu_local_init(unsigned index);
/* The GS base of slot `index`, for the VMCS host-state area. */
uint64_t cpu_local_base(unsigned index);

static inline unsigned this_cpu(void)
{
    unsigned i;
    __asm__ volatile("movl %%gs:0, %0" : "=r"(i));
    return i;
}

/* HLT until an NMI (vmxlab's wake-up kick, kernel/smp.c). An NMI that arrives between the
 * caller's last check and the HLT itself would otherwise be slept through: the NMI handler
 * (isr.asm) sees that it interrupted this HLT and returns past it. Call with IF=0. */
void cpu_idle_halt(void);

/* A restartable window of code (vmx/entry.asm: the last look at a vCPU's requests before VM
 * entry, through the VMLAUNCH/VMRESUME instruction): an NMI that interrupts it makes the CPU
 * start over at its beginning, so a kick is never entered past. The code must be safe to run
 * again from the start. One window, the same for every CPU. */
extern uint64_t nmi_restart_start, nmi_restart_end;

#endif
