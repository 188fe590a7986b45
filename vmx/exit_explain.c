/* The log explains each exit kind once: the first time a vCPU exits for a reason, one `I exit:`
 * line says what the exit means and what vmxlab does about it (docs/log-format.md). The exit's
 * name and SDM section come from vmx_names.c; this table holds the two sentences a student
 * reads beside them. `log=trace` logs every exit (exit.c); this file says the why, once.
 * Asynchronous exits (interrupts, NMIs, their windows) are explained at log=debug: they can
 * land in the middle of a line the guest is printing on the same serial port. */
#include "kernel/lib.h"
#include "kernel/log.h"
#include "vmx/exit.h"
#include "vmx/vmx.h"
#include "vmx/vmx_internal.h"
#include "vmx/vmx_names.h"

struct exit_explanation {
    const char *means; /* what happened in the guest, in the SDM's terms */
    const char *does;  /* what vmxlab does about it */
};

static const struct exit_explanation explain[EXIT_REASON_COUNT] = {
    [EXIT_REASON_EXCEPTION_NMI] = { "an NMI arrived while the guest ran (NMI exiting; the exception bitmap is 0)",
                                    "holds the NMI and injects it when the guest can take it (docs/debug-nmi.md)" },
    [EXIT_REASON_EXTERNAL_INTERRUPT] = { "a hardware interrupt arrived while the guest ran (external-interrupt exiting)",
                                         "acknowledged it on exit and passes the vector on: to the guest's virtual "
                                         "APIC, or held for injection (8259); log=debug names each one's way" },
    [EXIT_REASON_TRIPLE_FAULT] = { "the guest took a fault while delivering #DF: a real CPU would shut down",
                                   "does what on_triple= says (halt, or restart the guest)" },
    [EXIT_REASON_INIT_SIGNAL] = { "an INIT signal reached the logical processor in VMX non-root operation",
                                  "resets the vCPU to the SDM Table 9-1 state and restarts it (docs/apic-init.md; "
                                  "with no APIC module it stops)" },
    [EXIT_REASON_SIPI] = { "a start-up IPI arrived while the vCPU was in the wait-for-SIPI activity state",
                           "starts the vCPU at the SIPI vector's page (with no APIC module it stops)" },
    [EXIT_REASON_INTERRUPT_WINDOW] = { "the guest can take an interrupt again (RFLAGS.IF=1, no STI/MOV SS shadow)",
                                       "injects the interrupt it was holding" },
    [EXIT_REASON_NMI_WINDOW] = { "the guest can take an NMI again (NMI-window exiting)", "injects the held NMI" },
    [EXIT_REASON_CPUID] = { "the guest executed CPUID, which always exits in VMX non-root operation",
                            "answers with the host's CPUID, VMX hidden, the hypervisor bit and leaf 0x40000000 set "
                            "(docs/cpuid.md), and skips the instruction" },
    [EXIT_REASON_HLT] = { "the guest executed HLT (HLT exiting)",
                          "re-enters it in the HLT activity state, or injects an interrupt that is ready" },
    [EXIT_REASON_INVD] = { "the guest executed INVD, which always exits",
                           "carries out WBINVD instead (INVD would drop vmxlab's own dirty lines) and skips it" },
    [EXIT_REASON_VMCALL] = { "the guest executed VMCALL, which always exits: a hypercall (docs/hypercalls.md)",
                             "carries out the function in EAX (or the INT 15h stub's memory call) and skips it" },
    [EXIT_REASON_CR_ACCESS] = { "the guest wrote a control-register bit vmxlab owns (CR0/CR4 guest/host masks)",
                                "applies the SDM's rule for the bit (docs/cpu-rules.md) and skips the instruction" },
    [EXIT_REASON_IO_INSTRUCTION] = { "the guest accessed an I/O port set in the I/O bitmaps",
                                     "decodes the access (port, size, direction): a reset or power-off port is "
                                     "docs/reset.md's, anything else is carried out unchanged" },
    [EXIT_REASON_RDMSR] = { "the guest read an MSR whose bit is set in the MSR bitmap (or outside its range)",
                            "answers from its MSR hooks, or injects #GP for an MSR the guest cannot have" },
    [EXIT_REASON_WRMSR] = { "the guest wrote an MSR whose bit is set in the MSR bitmap (or outside its range)",
                            "carries it out through its MSR hooks (TSC, APIC base, ...), or injects #GP" },
    [EXIT_REASON_INVALID_GUEST_STATE] = { "VM entry checked the guest-state area and found a rule broken",
                                          "names the rule with its software checker and stops" },
    [EXIT_REASON_MWAIT] = { "the guest executed MWAIT (MWAIT exiting)", "injects #UD: CPUID hides MONITOR/MWAIT" },
    [EXIT_REASON_MONITOR] = { "the guest executed MONITOR (MONITOR exiting)", "injects #UD: CPUID hides MONITOR/MWAIT" },
    [EXIT_REASON_TPR_BELOW_THRESHOLD] = { "the guest lowered its virtual TPR below the TPR threshold",
                                          "delivers the virtual interrupt the old TPR was blocking" },
    [EXIT_REASON_APIC_ACCESS] = { "the guest touched its local APIC page (virtualize APIC accesses)",
                                  "decodes the instruction and carries it out on the virtual APIC" },
    [EXIT_REASON_EPT_VIOLATION] = { "a guest-physical access was not allowed by the EPT paging structures",
                                    "decodes the qualification: a hole reads as ones (ept.holes=), vmxlab's own "
                                    "memory stops the guest" },
    [EXIT_REASON_EPT_MISCONFIG] = { "an EPT paging-structure entry is malformed", "stops: that is vmxlab's bug" },
    [EXIT_REASON_PREEMPTION_TIMER] = { "the VMX-preemption timer counted down to zero",
                                       "stops the guest: guest.stop= time is up" },
    [EXIT_REASON_WBINVD] = { "the guest executed WBINVD (WBINVD exiting)", "carries it out and skips it" },
    [EXIT_REASON_XSETBV] = { "the guest executed XSETBV, which always exits",
                             "checks XCR0 against the SDM's rules and the CPU, then loads it or injects #GP" },
    [EXIT_REASON_APIC_WRITE] = { "the guest wrote an APIC register that the CPU does not virtualize alone "
                                 "(trap-like, after the write)",
                                 "carries out the write's effect on the virtual APIC (an ICR write sends the IPI)" },
};

void exit_explain_first(struct vcpu *v)
{
    uint32_t r = v->exit_reason;
    v->exits_explained[(r >> 6) & 1] |= 1ull << (r & 63);
    /* an interrupt, an NMI or their windows can exit at any instruction, in the middle of a
     * line the guest is printing on the same serial port: those are explained at log=debug */
    bool async = r == EXIT_REASON_EXTERNAL_INTERRUPT || r == EXIT_REASON_EXCEPTION_NMI ||
                 r == EXIT_REASON_INTERRUPT_WINDOW || r == EXIT_REASON_NMI_WINDOW;
    enum log_level level = async ? LOG_DEBUG : LOG_INFO;
    if (!log_enabled(level))
        return;
    const struct exit_explanation *e = r < EXIT_REASON_COUNT ? &explain[r] : 0;
    char what[40] = "";
    if (r == EXIT_REASON_EXTERNAL_INTERRUPT) { /* the vector, from the exit interruption information (SDM 24.9.2) */
        uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO);
        if (info & INTR_INFO_VALID)
            snprintf(what, sizeof(what), " (this one: vector 0x%02x)", info & INTR_INFO_VECTOR_MASK);
    }
    if (e && e->means)
        klog(level, "exit", "%s: first exit of reason %u, %s (SDM %s): %s%s; vmxlab %s", vcpu_tag(v), r,
                 vmx_exit_reason_name(r), vmx_exit_reason_section(r), e->means, what, e->does);
    else
        klog(level, "exit", "%s: first exit of reason %u, %s (SDM %s)", vcpu_tag(v), r, vmx_exit_reason_name(r),
                 vmx_exit_reason_section(r));
}
