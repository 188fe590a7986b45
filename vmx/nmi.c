/* NMIs for the guest, with the guest's NMI blocking respected (SDM Vol.3 24.6.1 "NMI exiting",
 * "virtual NMIs"; 24.6.2 "NMI-window exiting"; 25.2, 25.3; 26.6.6).
 *
 * On a CPU an NMI that arrives while an NMI handler runs (from the NMI's delivery to the next
 * IRET: "blocking by NMI", SDM 6.7.1) is held, one deep, and delivered after the IRET. vmxlab
 * runs the guest with "virtual NMIs": VM entry that injects an NMI sets the guest's
 * virtual-NMI blocking, the guest's IRET clears it (25.3), and the interruptibility state shows
 * it (bit 3, 24.4.2 Table 24-3). An NMI for the guest, from a self-IPI the apic module carries
 * out (inject_nmi) or a physical NMI that exited ("NMI exiting", exit reason 0), is held in
 * v->nmi_pending; before each VM entry it is injected when the guest can take it (no NMI
 * blocking, no MOV-SS or STI blocking: 26.3.1.5), else "NMI-window exiting" makes the CPU exit
 * as soon as it can (exit reason 8, after the guest's IRET), and the next entry injects it. */
#include "kernel/log.h"
#include "vmx/exit_handlers.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_internal.h"

#define NMI_BLOCKED (GUEST_INTR_STATE_NMI | GUEST_INTR_STATE_MOV_SS | GUEST_INTR_STATE_STI)

/* An NMI for the guest. A second one while one is held is the same NMI: the CPU latches
 * only one (SDM 6.7.1). */
void inject_nmi(struct vcpu *v)
{
    if (v->nmi_pending)
        log_debug("nmi", "an NMI is already held for vcpu%u: the two are one, as on the CPU", v->id);
    v->nmi_pending = true;
}

static void nmi_window(struct vcpu *v, bool on)
{
    bool is_on = v->ctl[VMX_CTL_PROC] & CPU_BASED_NMI_WINDOW_EXITING;
    if (on != is_on)
        vmx_ctl_change(v, VMX_CTL_PROC, on ? CPU_BASED_NMI_WINDOW_EXITING : 0, on ? 0 : CPU_BASED_NMI_WINDOW_EXITING, 0);
}

/* Before a VM entry, with an NMI held (interrupts.c calls it first): inject it now, or wait
 * for the NMI window. An event already set for this entry, or an interrupted delivery to
 * re-inject (IDT-vectoring information), goes first; the window exit follows it. */
void nmi_before_entry(struct vcpu *v)
{
    uint64_t intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY_STATE);
    if (v->event_set || (v->idt_info & INTR_INFO_VALID) || (intr & NMI_BLOCKED)) {
        /* rare (an NMI during an NMI handler), so at info: it explains the NMI-window exit */
        if (!(v->ctl[VMX_CTL_PROC] & CPU_BASED_NMI_WINDOW_EXITING))
            log_info("nmi", "NMI held for vcpu%u: %s (interruptibility 0x%llx); NMI-window exiting on", v->id,
                     (intr & GUEST_INTR_STATE_NMI) ? "the guest blocks NMIs until its handler's IRET"
                                                   : "an event or an instruction shadow goes first",
                     (unsigned long long)intr);
        nmi_window(v, true);
        return;
    }
    v->nmi_pending = false;
    v->nmis_injected++;
    nmi_window(v, false);
    v->event_set = true;
    vmcs_write(VMCS_ENTRY_INTERRUPTION_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
    /* held interrupts wait behind the NMI: an interrupt window brings them (interrupts.c) */
    if ((v->nheld || v->virq) && !(v->ctl[VMX_CTL_PROC] & CPU_BASED_INTERRUPT_WINDOW_EXITING))
        vmx_ctl_change(v, VMX_CTL_PROC, CPU_BASED_INTERRUPT_WINDOW_EXITING, 0, 0);
    /* an NMI wakes a halted CPU (SDM 26.6.2: injection from the HLT activity state) */
    if (vmcs_read(VMCS_GUEST_ACTIVITY_STATE) == GUEST_ACTIVITY_HLT)
        vmcs_write(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
    log_debug("nmi", "NMI #%u injected at %04llx:%04llx", v->nmis_injected,
              (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip);
}

/* Exit reason 8 (SDM 25.2 "NMI-window exiting"): the guest can take an NMI now. */
enum exit_action exit_nmi_window(struct vcpu *v)
{
    if (!v->nmi_pending) /* nothing held any more (an INIT came between): no window needed */
        nmi_window(v, false);
    return EXIT_RESUME;
}

/* Exit reason 0 (SDM 25.2): with "NMI exiting" a physical NMI exits; with the exception
 * bitmap 0 (setup.c) nothing else does. The NMI is the guest's: held and delivered the same
 * way. */
enum exit_action exit_exception_nmi(struct vcpu *v)
{
    uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO);
    if ((info & INTR_INFO_VALID) && (info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI) {
        /* the NMI's delivery would have blocked further NMIs until an IRET (SDM 6.7.1); run
         * the host's NMI handler, whose IRET ends any blocking the exit left (as Jailhouse) */
        __asm__ volatile("int $2");
        /* vmxlab's own: another vCPU left a request and kicked this one (vcpu_reset.c). Two
         * kicks before one exit are one NMI (the CPU latches one): all owed kicks end here. */
        if (__atomic_exchange_n(&v->kicks_owed, 0, __ATOMIC_ACQ_REL)) {
            v->kicks++;
            log_debug("nmi", "NMI exit (reason 0) at %04llx:%04llx: a kick from another vCPU, not the guest's NMI; "
                             "requests 0x%x taken before the next entry", (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR),
                      (unsigned long long)v->rip, __atomic_load_n(&v->requests, __ATOMIC_RELAXED));
            return EXIT_RESUME;
        }
        log_info("nmi", "physical NMI (exit reason 0, NMI exiting) at %04llx:%04llx: held for the guest",
                 (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip);
        inject_nmi(v);
        return EXIT_RESUME;
    }
    log_error("exit", "exception exit, interruption information 0x%x: vmxlab's exception bitmap is 0, only NMIs "
                      "should exit here", info);
    v->stop_status = STATUS_INTERNAL;
    return EXIT_STOP;
}
