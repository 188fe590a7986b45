/* The log explains each exit kind once: the first time a vCPU exits for a reason, one `I exit:`
 * line says what the exit means, what vmxlab does about it and where to read on
 * (docs/log-format.md). The exit's name and SDM section come from vmx_names.c; this table
 * holds the two short phrases beside them. Short, because the line costs the guest time: at
 * 115200 baud each character is ~1,000 emulated instructions, and a guest that times its APIC
 * timer across its first APIC access must still see it run down. `log=trace` logs every exit
 * (exit.c), and with it (log=debug and up) where each external interrupt went (apic/irq.c,
 * vmx/interrupts.c). Asynchronous exits (interrupts, NMIs, their windows) are explained at
 * log=debug: they can land in the middle of a line the guest is printing on the same port. */
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
    [EXIT_REASON_EXCEPTION_NMI] =
        {"an NMI arrived (NMI exiting)", "holds it for the guest (docs/debug-nmi.md)"},
    [EXIT_REASON_EXTERNAL_INTERRUPT] =
        {"an interrupt arrived", "passes it to the guest (docs/interrupts.md)"},
    [EXIT_REASON_TRIPLE_FAULT] = {"a fault while delivering #DF", "does what on_triple= says"},
    [EXIT_REASON_INIT_SIGNAL] = {"an INIT signal", "resets the vCPU (docs/apic-init.md)"},
    [EXIT_REASON_SIPI] = {"a SIPI in wait-for-SIPI", "starts the vCPU (docs/apic-init.md)"},
    [EXIT_REASON_INTERRUPT_WINDOW] =
        {"the guest can take an interrupt", "injects the one it holds"},
    [EXIT_REASON_NMI_WINDOW] = {"the guest can take an NMI", "injects the one it holds"},
    [EXIT_REASON_CPUID] = {"CPUID always exits", "answers it, VMX hidden (docs/cpuid.md)"},
    [EXIT_REASON_HLT] = {"HLT (HLT exiting)", "halts the vCPU until an interrupt"},
    [EXIT_REASON_INVD] = {"INVD always exits", "does WBINVD instead"},
    [EXIT_REASON_VMCALL] = {"VMCALL always exits", "runs the hypercall (docs/hypercalls.md)"},
    [EXIT_REASON_CR_ACCESS] = {"a CR0/CR4 bit vmxlab owns", "applies its rule (docs/cpu-rules.md)"},
    [EXIT_REASON_IO_INSTRUCTION] = {"a port in the I/O bitmap", "decodes it (docs/reset.md)"},
    [EXIT_REASON_RDMSR] = {"an MSR in the MSR bitmap", "answers it, or injects #GP"},
    [EXIT_REASON_WRMSR] = {"an MSR in the MSR bitmap", "carries it out, or injects #GP"},
    [EXIT_REASON_INVALID_GUEST_STATE] =
        {"VM entry refused the guest state", "names the rule and stops"},
    [EXIT_REASON_MWAIT] = {"MWAIT exiting", "injects #UD (CPUID hides it)"},
    [EXIT_REASON_MONITOR] = {"MONITOR exiting", "injects #UD (CPUID hides it)"},
    [EXIT_REASON_TPR_BELOW_THRESHOLD] =
        {"the TPR fell below the threshold", "delivers what it blocked"},
    [EXIT_REASON_APIC_ACCESS] =
        {"an APIC page access", "decodes and emulates it (docs/apic-init.md)"},
    [EXIT_REASON_EPT_VIOLATION] = {"EPT refused an access", "decodes it (docs/guest-memory.md)"},
    [EXIT_REASON_EPT_MISCONFIG] = {"a malformed EPT entry", "stops: vmxlab's bug"},
    [EXIT_REASON_PREEMPTION_TIMER] =
        {"the preemption timer ran out", "stops the guest (guest.stop=)"},
    [EXIT_REASON_WBINVD] = {"WBINVD exiting", "carries it out"},
    [EXIT_REASON_XSETBV] = {"XSETBV always exits", "checks XCR0, loads it or injects #GP"},
    [EXIT_REASON_APIC_WRITE] =
        {"an APIC register write (trap-like)", "carries out its effect (docs/apic-init.md)"},
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
    /* the section number only ("25.1.2"): the `T exit:` lines and vmx_names.c give its title */
    const char *sec = vmx_exit_reason_section(r);
    int seclen = 0;
    while (sec[seclen] && sec[seclen] != ' ' && sec[seclen] != ',')
        seclen++;
    const struct exit_explanation *e = r < EXIT_REASON_COUNT && explain[r].means ? &explain[r] : 0;
    if (r == EXIT_REASON_EXTERNAL_INTERRUPT) {
        /* its vector: the VM-exit interruption information (SDM 24.9.2) */
        uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO);
        klog(level, "exit", "%s: first exit %u %s (SDM %.*s): vector 0x%02x; vmxlab %s", vcpu_tag(v), r,
             vmx_exit_reason_name(r), seclen, sec, info & INTR_INFO_VECTOR_MASK, e->does);
    } else if (e) {
        klog(level, "exit", "%s: first exit %u %s (SDM %.*s): %s; vmxlab %s", vcpu_tag(v), r,
             vmx_exit_reason_name(r), seclen, sec, e->means, e->does);
    } else {
        klog(level, "exit", "%s: first exit %u %s (SDM %.*s)", vcpu_tag(v), r, vmx_exit_reason_name(r),
             seclen, sec);
    }
}
