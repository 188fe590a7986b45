/* VM exits: the dispatch table (indexed by basic exit reason, SDM Vol.3 Appendix C), the run
 * loop, the exit history ring and per-reason statistics. */
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/status.h"
#include "vmx/exit_handlers.h"
#include "vmx/guest_check.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_asm.h"
#include "vmx/vmx_internal.h"
#include "vmx/vmx_names.h"

static enum exit_action exit_unhandled(struct vcpu *v);

/* Every exit reason vmxlab handles, and the file that handles it. vmx's own handlers
 * (prototypes in vmx/exit_handlers.h) are in the table below from the start. The apic module
 * replaces or adds these at init with exit_handler_set() (apic/apic.c apic_setup, apic_irq_setup,
 * apic_cr8_setup), so that vmx never includes apic:
 *
 *   reason                      handler at run time               file             vmx's default
 *    3 INIT signal              apic_exit_init_signal             apic/ipi.c       exit_init_signal: stops
 *    4 SIPI                     apic_exit_sipi                    apic/ipi.c       exit_sipi: stops
 *   28 control-register access  cr8_access (decode path: MOV CR8) apic/cr8.c       exit_cr_access, which
 *                               then vmx's exit_cr_access                          cr8_access chains to
 *   43 TPR below threshold      exit_tpr_below_threshold          apic/irq.c       none (unhandled)
 *   44 APIC access              apic_exit_access                  apic/access.c    none (unhandled)
 *   56 APIC write (apicv path)  apic_exit_write                   apic/access.c    none (unhandled)
 *
 * With apic=passthrough only 3 and 4 are replaced. A reason with no handler goes to
 * exit_unhandled (names it, stops the guest). log=debug prints the table as it stands when
 * the guest starts (exit_table_log). */
static exit_handler_t handlers[EXIT_REASON_COUNT] = {
    [EXIT_REASON_EXTERNAL_INTERRUPT] = exit_external_interrupt,  /* vmx/interrupts.c */
    [EXIT_REASON_TRIPLE_FAULT] = exit_triple_fault,              /* vmx/exit_basic.c */
    [EXIT_REASON_INIT_SIGNAL] = exit_init_signal,                /* vmx/exit_basic.c (apic: ipi.c) */
    [EXIT_REASON_SIPI] = exit_sipi,                              /* vmx/exit_basic.c (apic: ipi.c) */
    [EXIT_REASON_INTERRUPT_WINDOW] = exit_interrupt_window,      /* vmx/interrupts.c */
    [EXIT_REASON_CPUID] = exit_cpuid,                            /* vmx/cpuid.c */
    [EXIT_REASON_HLT] = exit_hlt,                                /* vmx/interrupts.c */
    [EXIT_REASON_MWAIT] = exit_monitor_mwait,                    /* vmx/interrupts.c */
    [EXIT_REASON_MONITOR] = exit_monitor_mwait,                  /* vmx/interrupts.c */
    [EXIT_REASON_INVD] = exit_cache_invalidate,                  /* vmx/exit_basic.c */
    [EXIT_REASON_VMCALL] = exit_vmcall,                          /* vmx/exit_basic.c */
    [EXIT_REASON_VMCLEAR] = exit_vmx_instruction,                /* vmx/exit_basic.c */
    [EXIT_REASON_VMLAUNCH] = exit_vmx_instruction,               /* vmx/exit_basic.c */
    [EXIT_REASON_VMPTRLD] = exit_vmx_instruction,                /* vmx/exit_basic.c */
    [EXIT_REASON_VMPTRST] = exit_vmx_instruction,                /* vmx/exit_basic.c */
    [EXIT_REASON_VMREAD] = exit_vmx_instruction,                 /* vmx/exit_basic.c */
    [EXIT_REASON_VMRESUME] = exit_vmx_instruction,               /* vmx/exit_basic.c */
    [EXIT_REASON_VMWRITE] = exit_vmx_instruction,                /* vmx/exit_basic.c */
    [EXIT_REASON_VMXOFF] = exit_vmx_instruction,                 /* vmx/exit_basic.c */
    [EXIT_REASON_VMXON] = exit_vmx_instruction,                  /* vmx/exit_basic.c */
    [EXIT_REASON_CR_ACCESS] = exit_cr_access,                    /* vmx/exit_cr.c (apic: cr8.c first) */
    [EXIT_REASON_RDMSR] = exit_rdmsr,                            /* vmx/exit_basic.c */
    [EXIT_REASON_WRMSR] = exit_wrmsr,                            /* vmx/exit_basic.c */
    [EXIT_REASON_EPT_VIOLATION] = exit_ept_violation,            /* vmx/exit_ept.c */
    [EXIT_REASON_EPT_MISCONFIG] = exit_ept_misconfig,            /* vmx/exit_ept.c */
    [EXIT_REASON_INVEPT] = exit_vmx_instruction,                 /* vmx/exit_basic.c */
    [EXIT_REASON_INVVPID] = exit_vmx_instruction,                /* vmx/exit_basic.c */
    [EXIT_REASON_VMFUNC] = exit_vmx_instruction,                 /* vmx/exit_basic.c */
    [EXIT_REASON_WBINVD] = exit_cache_invalidate,                /* vmx/exit_basic.c */
    [EXIT_REASON_XSETBV] = exit_xsetbv,                          /* vmx/exit_cr.c */
    [EXIT_REASON_IO_INSTRUCTION] = exit_io_instruction,          /* vmx/exit_io.c */
    [EXIT_REASON_EXCEPTION_NMI] = exit_exception_nmi,            /* vmx/nmi.c */
    [EXIT_REASON_NMI_WINDOW] = exit_nmi_window,                  /* vmx/nmi.c */
    [EXIT_REASON_PREEMPTION_TIMER] = exit_preemption_timer,      /* vmx/stopwatch.c */
};

/* log=debug, when the guest starts: the table as the modules left it, by function name */
static void exit_table_log(void)
{
    if (!log_enabled(LOG_DEBUG))
        return;
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++) {
        uint64_t off;
        const char *fn = handlers[r] == exit_unhandled ? 0 : symbol_name((uint64_t)handlers[r], &off);
        if (fn)
            log_debug("exit", "reason %2u %-40s -> %s", r, exit_reason_text(r), fn);
    }
}

void exit_handler_set(unsigned reason, exit_handler_t fn)
{
    if (reason < EXIT_REASON_COUNT)
        handlers[reason] = fn;
}

exit_handler_t exit_handler_get(unsigned reason)
{
    return reason < EXIT_REASON_COUNT ? handlers[reason] : 0;
}

const char *exit_reason_text(uint32_t reason) { return vmx_exit_reason_name(reason & EXIT_REASON_BASIC_MASK); }

/* Single-step over an instruction vmxlab carried out for the guest: on bare metal the CPU
 * would raise #DB right after it (SDM Vol.3B 18.3.1.4 "Single-Step Exception Condition").
 * The exit happened instead, so the trap is left pending with the BS bit of the guest's
 * pending debug exceptions (SDM 24.4.2, Table 24-4; 27.3.4 saves it there for a trap the exit
 * pre-empted), and VM entry delivers it before the next instruction, setting DR6.BS (26.7.3).
 * With IA32_DEBUGCTL.BTF, TF traps only on branches, and none of these instructions is one.
 * (KVM: kvm_skip_emulated_instruction.) Out of line: TF is rarely set. vcpu_skip_hot()
 * (vmx_internal.h) is the rest: RIP, and the end of STI/MOV-SS blocking. */
static void single_step_trap(void)
{
    if (vmcs_read(VMCS_GUEST_IA32_DEBUGCTL) & IA32_DEBUGCTL_BTF)
        return;
    uint64_t pending = vmcs_read(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS);
    vmcs_write(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, pending | PENDING_DBG_BS);
}

/* vcpu_skip_hot()'s rare cases: the end of STI/MOV-SS blocking, and the single-step trap */
__attribute__((noinline, cold)) void skip_rules_rare(uint64_t intr)
{
    if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
        vmcs_write(VMCS_GUEST_INTERRUPTIBILITY_STATE, intr & ~(uint64_t)(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
    if (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_TF)
        single_step_trap();
}

void vcpu_skip_bytes(struct vcpu *v, uint32_t len) { vcpu_skip_hot(v, len); }
void vcpu_skip_instruction(struct vcpu *v) { vcpu_skip_instruction_hot(v); }

uint64_t vcpu_read_rsp(struct vcpu *v)
{
    v->gpr[GPR_RSP] = vmcs_read(VMCS_GUEST_RSP);
    return v->gpr[GPR_RSP];
}

/* ---- what each exit has to read ---------------------------------------------------------- */
/* Beyond the exit reason and the guest's RIP, which every exit reads: the exit qualification
 * is saved only for the exits SDM 27.2.1 "Basic VM-Exit Information" lists ("for all other VM
 * exits, this field is cleared"), and the IDT-vectoring information can be valid only for an
 * exit during event delivery (SDM 27.2.4 "Information for VM Exits During Event Delivery": a
 * fault the exception bitmap intercepts, a task switch through a task gate, an APIC access,
 * an EPT violation or misconfiguration, a page-modification-log-full or SPP event; for other
 * exits the field is invalid). CPUID, VMCALL, RDMSR/WRMSR, HLT, ... read neither. */
#define EXIT_READS_QUAL 1
#define EXIT_READS_IDT 2
#define EXIT_PATH_SHORT 0x80 /* v->exit_path[r]: the short path, | the EXIT_READS_* of r */
static const uint8_t exit_reads[EXIT_REASON_COUNT] = {
    [EXIT_REASON_EXCEPTION_NMI] = EXIT_READS_QUAL | EXIT_READS_IDT, /* qualification: #DB and #PF */
    [EXIT_REASON_SIPI] = EXIT_READS_QUAL,
    [EXIT_REASON_IO_SMI] = EXIT_READS_QUAL,
    [EXIT_REASON_TASK_SWITCH] = EXIT_READS_QUAL | EXIT_READS_IDT,
    [EXIT_REASON_INVLPG] = EXIT_READS_QUAL,
    [EXIT_REASON_VMCLEAR] = EXIT_READS_QUAL,
    [EXIT_REASON_VMPTRLD] = EXIT_READS_QUAL,
    [EXIT_REASON_VMPTRST] = EXIT_READS_QUAL,
    [EXIT_REASON_VMREAD] = EXIT_READS_QUAL,
    [EXIT_REASON_VMWRITE] = EXIT_READS_QUAL,
    [EXIT_REASON_VMXON] = EXIT_READS_QUAL,
    [EXIT_REASON_CR_ACCESS] = EXIT_READS_QUAL,
    [EXIT_REASON_DR_ACCESS] = EXIT_READS_QUAL,
    [EXIT_REASON_IO_INSTRUCTION] = EXIT_READS_QUAL,
    [EXIT_REASON_MWAIT] = EXIT_READS_QUAL,
    [EXIT_REASON_APIC_ACCESS] = EXIT_READS_QUAL | EXIT_READS_IDT,
    [EXIT_REASON_VIRTUALIZED_EOI] = EXIT_READS_QUAL,
    [EXIT_REASON_GDTR_IDTR_ACCESS] = EXIT_READS_QUAL,
    [EXIT_REASON_LDTR_TR_ACCESS] = EXIT_READS_QUAL,
    [EXIT_REASON_EPT_VIOLATION] = EXIT_READS_QUAL | EXIT_READS_IDT,
    [EXIT_REASON_EPT_MISCONFIG] = EXIT_READS_IDT,
    [EXIT_REASON_INVEPT] = EXIT_READS_QUAL,
    [EXIT_REASON_INVVPID] = EXIT_READS_QUAL,
    [EXIT_REASON_APIC_WRITE] = EXIT_READS_QUAL,
    [EXIT_REASON_INVPCID] = EXIT_READS_QUAL,
    [EXIT_REASON_PML_FULL] = EXIT_READS_QUAL | EXIT_READS_IDT,
    [EXIT_REASON_XSAVES] = EXIT_READS_QUAL,
    [EXIT_REASON_XRSTORS] = EXIT_READS_QUAL,
    [EXIT_REASON_SPP_EVENT] = EXIT_READS_QUAL | EXIT_READS_IDT,
};

/* what exit_reads[] says for a full exit reason; a VM-entry failure (bit 31) or a reason
 * vmxlab does not name: everything */
static unsigned exit_reads_of(uint32_t full)
{
    return full < EXIT_REASON_COUNT ? exit_reads[full] : EXIT_READS_QUAL | EXIT_READS_IDT;
}
bool exit_has_qualification(uint32_t full) { return exit_reads_of(full) & EXIT_READS_QUAL; }

/* ---- diagnostics ------------------------------------------------------------------------ */
void vcpu_log_registers(struct vcpu *v)
{
    log_error(vcpu_tag(v), "cs=%04llx:%08llx rflags=%08llx ss:sp=%04llx:%08llx cr0=%08llx (shadow %08llx) cr4=%08llx efer=%llx",
              (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)vmcs_read(VMCS_GUEST_RIP),
              (unsigned long long)vmcs_read(VMCS_GUEST_RFLAGS), (unsigned long long)vmcs_read(VMCS_GUEST_SS_SELECTOR),
              (unsigned long long)vmcs_read(VMCS_GUEST_RSP), (unsigned long long)vmcs_read(VMCS_GUEST_CR0),
              (unsigned long long)vmcs_read(VMCS_CR0_READ_SHADOW), (unsigned long long)vmcs_read(VMCS_GUEST_CR4),
              (unsigned long long)vmcs_read(VMCS_GUEST_IA32_EFER));
    log_error(vcpu_tag(v), "eax=%08llx ebx=%08llx ecx=%08llx edx=%08llx esi=%08llx edi=%08llx ebp=%08llx",
              (unsigned long long)v->gpr[GPR_RAX], (unsigned long long)v->gpr[GPR_RBX],
              (unsigned long long)v->gpr[GPR_RCX], (unsigned long long)v->gpr[GPR_RDX],
              (unsigned long long)v->gpr[GPR_RSI], (unsigned long long)v->gpr[GPR_RDI],
              (unsigned long long)v->gpr[GPR_RBP]);
}

/* The power-off and fatal summaries: vCPU 0's lines carry no vCPU name (one vCPU is the
 * common case, and the format tools read); another vCPU's begin with "vcpuN: ". */
static const char *summary_who(const struct vcpu *v) { return v->id ? vcpu_tag(v) : ""; }
static const char *summary_sep(const struct vcpu *v) { return v->id ? ": " : ""; }

void exit_history_log(struct vcpu *v)
{
    unsigned n = v->exits_total < EXIT_HISTORY ? (unsigned)v->exits_total : EXIT_HISTORY;
    log_error("exit", "%s%slast %u exits, oldest first:", summary_who(v), summary_sep(v), n);
    for (unsigned i = 0; i < n; i++) {
        const struct exit_history *h = &v->history;
        unsigned k = (unsigned)((v->exits_total - n + i) % EXIT_HISTORY);
        uint32_t basic = h->reason[k] & EXIT_REASON_BASIC_MASK;
        char qual[32] = "";
        if (exit_has_qualification(h->reason[k]))
            snprintf(qual, sizeof(qual), " qual 0x%llx", (unsigned long long)h->qualification[k]);
        log_error("exit", "  reason %2u %-32s%s at %04x:%04llx", basic, exit_reason_text(h->reason[k]), qual, h->cs[k],
                  (unsigned long long)h->rip[k]);
    }
}

void exit_stats_log(struct vcpu *v)
{
    const char *who = summary_who(v), *sep = summary_sep(v);
    for (unsigned r = 0; r < ARRAY_SIZE(v->exit_counts); r++)
        if (v->exit_counts[r])
            log_info("stats", "%s%sexit reason=%u name=\"%s\" count=%llu", who, sep, r, exit_reason_text(r),
                     (unsigned long long)v->exit_counts[r]);
    log_info("stats", "%s%sexits total=%llu INIT resets=%u", who, sep, (unsigned long long)v->exits_total,
             v->init_count);
    if (v->hole_accesses)
        log_info("stats", "%s%sguest-physical hole accesses=%llu pages=%u (ept.holes=ones)", who, sep,
                 (unsigned long long)v->hole_accesses, vmx.hole_pages);
}

static enum exit_action exit_unhandled(struct vcpu *v)
{
    log_error("exit", "unhandled exit reason %u (%s, SDM %s), qualification 0x%llx: vmxlab has no handler for it and stops the guest",
              v->exit_reason, exit_reason_text(v->exit_reason), vmx_exit_reason_section(v->exit_reason),
              (unsigned long long)vmcs_read(VMCS_EXIT_QUALIFICATION)); /* this exit's (see exit_dispatch_rare) */
    vcpu_log_registers(v);
    v->stop_status = STATUS_INTERNAL;
    return EXIT_STOP;
}

/* VM-entry failure: VMfail on VMLAUNCH/VMRESUME (SDM 26.1-26.2, 30.4) or an exit with the
 * entry-failure bit (26.3-26.8: invalid guest state, MSR loading, machine check). */
static void explain_entry_failure(struct vcpu *v, const char *how)
{
    struct guest_state g;
    struct guest_check_failure f;
    log_error("vmx", "VM entry failed: %s", how);
    guest_state_read(&g);
    if (!guest_state_check(&g, &vmx.caps, &f))
        log_error("vmx", "guest-state check (SDM %s): %s = 0x%llx: %s", f.section, f.field, (unsigned long long)f.value, f.rule);
    else
        log_error("vmx", "the software guest-state checker finds every rule it knows satisfied");
    vcpu_log_registers(v);
    exit_history_log(v);
}

/* ---- the loop ------------------------------------------------------------------------- */
/* What is not on every exit's path (trace logging, a failed entry, exits.max, a reason beyond
 * the table) is out of line, so the dispatcher's own path is the reads, the counts and the
 * handler call (docs/performance.md counts it). */
static __attribute__((noinline, cold)) enum exit_action exit_dispatch_rare(struct vcpu *v, uint32_t full)
{
    /* this exit's own qualification: v->exit_qualification is written only for the reasons
     * that have one (exit_reads[]), the VMCS field is 0 for the others (SDM 27.2.1) */
    uint64_t qual = vmcs_read(VMCS_EXIT_QUALIFICATION);
    if (v->exit_reason < ARRAY_SIZE(v->exit_counts))
        v->exit_counts[v->exit_reason]++;
    if (log_enabled(LOG_TRACE))
        log_trace("exit", "#%llu reason %u %s (SDM %s) qual 0x%llx at %04x:%04llx len %u",
                  (unsigned long long)v->exits_total, v->exit_reason, exit_reason_text(v->exit_reason),
                  vmx_exit_reason_section(v->exit_reason), (unsigned long long)qual,
                  (unsigned)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip,
                  (unsigned)vmcs_read(VMCS_EXIT_INSTRUCTION_LENGTH));

    if (full & EXIT_REASON_ENTRY_FAILURE) {
        char how[160];
        snprintf(how, sizeof(how), "exit reason %u (%s), qualification %llu", v->exit_reason,
                 exit_reason_text(v->exit_reason), (unsigned long long)qual);
        explain_entry_failure(v, how);
        v->stop_status = STATUS_INTERNAL;
        return EXIT_STOP;
    }
    if (v->exit_reason >= EXIT_REASON_COUNT)
        return exit_unhandled(v);
    if (vmx.opts.exit_limit && v->exits_total >= vmx.opts.exit_limit) {
        log_error("exit", "exits.max=%u reached: stopping the guest", vmx.opts.exit_limit);
        v->stop_status = STATUS_GUEST_FAILED;
        return EXIT_STOP;
    }
    return handlers[v->exit_reason](v);
}

/* The exit qualification and the IDT-vectoring information, for a reason that has them
 * (reads: its exit_reads[]); the qualification also into the history ring's slot */
static inline void exit_read_fields(struct vcpu *v, unsigned reads, uint64_t slot)
{
    if (reads & EXIT_READS_QUAL) {
        v->exit_qualification = vmcs_read_exit(VMCS_EXIT_QUALIFICATION);
        v->history.qualification[slot] = v->exit_qualification;
    }
    if (reads & EXIT_READS_IDT) {
        uint32_t info = (uint32_t)vmcs_read_exit(VMCS_IDT_VECTORING_INFO);
        v->idt_info = info & INTR_INFO_VALID ? info : 0; /* invalid: the rest is undefined (27.2.4) */
    }
}

/* true when every exit needs exit_dispatch_rare(): set from the options and the log level */
static bool exit_slow;

/* The rest of an exit that is not on the short path: the first exit of its reason on this
 * vCPU (explained in the log), a reason with an exit qualification or IDT-vectoring
 * information to read (exit_reads[]), log=trace or exits.max, a VM-entry failure (bit 31) or
 * a reason beyond the table. Out of line: the short path is what most exits take. */
static __attribute__((noinline)) enum exit_action exit_dispatch_more(struct vcpu *v, uint32_t full, uint64_t slot)
{
    uint32_t basic = full & EXIT_REASON_BASIC_MASK;
    unsigned reads = exit_reads_of(full);
    v->exit_reason = basic;
    exit_read_fields(v, reads, slot);
    if (basic < EXIT_REASON_COUNT) {
        if (!(v->exits_explained[(basic >> 6) & 1] >> (basic & 63) & 1))
            exit_explain_first(v); /* the first exit of a reason: one line saying what it is (exit_explain.c) */
        v->exit_path[basic] = exit_slow ? 0 : EXIT_PATH_SHORT | reads;
    }
    /* a basic reason fits bits 15:0 and bit 31 is the entry failure (SDM 24.9.1 "Basic VM-Exit
     * Information", Table 24-15), so a reason vmxlab names is below EXIT_REASON_COUNT only
     * when the other bits are 0 */
    if (exit_slow || full >= EXIT_REASON_COUNT)
        return exit_dispatch_rare(v, full);
    v->exit_counts[basic]++;
    return handlers[basic](v);
}

/* A reason that reads more than the reason and RIP: the exit qualification and the
 * IDT-vectoring information for the reasons that have them (exit_reads[]), all of it for the
 * first exit of a reason (exit_dispatch_more()). */
static __attribute__((noinline)) enum exit_action exit_dispatch_reads(struct vcpu *v, uint32_t reason, uint64_t slot)
{
    unsigned path = v->exit_path[reason];
    if (!path)
        return exit_dispatch_more(v, reason, slot);
    exit_read_fields(v, path, slot);
    v->exit_counts[reason]++;
    return handlers[reason](v);
}

/* Every exit: the reason and the guest's RIP (SDM 24.9.1, 24.4.1), the history ring's slot
 * (reason, CS:RIP) and the count of its reason. One test for the common case, a reason that
 * has neither an exit qualification nor IDT-vectoring information (CPUID, VMCALL, ...); the
 * others go to exit_dispatch_reads(), the first exit of a reason to exit_dispatch_more(),
 * which sets v->exit_path[reason]. */
static inline __attribute__((always_inline)) enum exit_action exit_dispatch(struct vcpu *v)
{
    uint64_t full = vmcs_read_exit(VMCS_EXIT_REASON); /* 32 bits, zero-extended by VMREAD */
    v->exit_reason = (uint32_t)full; /* the basic reason when full < EXIT_REASON_COUNT; else _more() sets it */
    v->rip = vmcs_read_exit(VMCS_GUEST_RIP);
    v->event_set = false; /* the CPU clears the entry event's valid bit on exit (SDM 24.8.3) */
    v->idt_info = 0;      /* read for the exits that can have one (27.2.4) */
    uint64_t slot = v->exits_total++ % EXIT_HISTORY;
    v->history.reason[slot] = (uint32_t)full;
    v->history.rip[slot] = v->rip;
    v->history.cs[slot] = (uint16_t)vmcs_read_exit(VMCS_GUEST_CS_SELECTOR);
    /* full < EXIT_REASON_COUNT first: it bounds the index (bit 31, a failed entry, goes on) */
    if (__builtin_expect(full >= EXIT_REASON_COUNT, 0))
        return exit_dispatch_more(v, (uint32_t)full, slot);
    if (__builtin_expect(v->exit_path[full] != EXIT_PATH_SHORT, 0))
        return exit_dispatch_reads(v, (uint32_t)full, slot);
    v->exit_counts[full]++;
    return handlers[full](v);
}

/* Before the first entry, with every module's handlers installed: a reason without one gets
 * exit_unhandled, so the dispatcher calls without a test; the rare path's switch is set. */
void exit_table_finish(void)
{
    exit_slow = log_enabled(LOG_TRACE) || vmx.opts.exit_limit;
    hypercall_setup();
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
        if (!handlers[r])
            handlers[r] = exit_unhandled;
    exit_table_log();
}

/* The same, out of line: for host tests of the dispatcher (tests/unit/test_exit_insn.c) */
enum exit_action vmx_exit_dispatch(struct vcpu *v) { return exit_dispatch(v); }

/* entry.asm, after every VM exit: the exit's handler, then the event for the next entry. */
EXIT_PATH_FN void vmx_exit_handle(struct vcpu *v)
{
    if (exit_dispatch(v) == EXIT_STOP)
        vmxlab_stop(v->stop_status);
    intr_before_entry(v);
}

/* entry.asm, when VMLAUNCH or VMRESUME (or the VMWRITE of HOST_RSP) failed: how = 1
 * VMfailInvalid (no current VMCS), 2 VMfailValid (the VM-instruction error says why). */
void vmx_entry_failed(struct vcpu *v, int how, int which)
{
    static const char *const insn[] = {"VMLAUNCH", "VMRESUME", "VMWRITE of HOST_RSP"};
    char text[160];
    uint64_t err = how == VMX_FAIL_VALID ? vmcs_read(VMCS_VM_INSTRUCTION_ERROR) : 0;
    snprintf(text, sizeof(text), "%s %s: VM-instruction error %llu, %s", insn[which],
             how == VMX_FAIL_VALID ? "VMfailValid" : "VMfailInvalid", (unsigned long long)err,
             how == VMX_FAIL_VALID ? vmx_instruction_error_text((uint32_t)err) : "no current VMCS");
    explain_entry_failure(v, text);
    vmxlab_stop(STATUS_INTERNAL);
}

/* vmxlab's resident memory: its image, and the pool pages it took (VMXON, VMCS, MSR bitmap,
 * EPT tables and any module's pages), as bench reads it (docs/performance.md) */
extern char __image_start[], __image_end[];
void memory_stats_log(void)
{
    uint64_t image = (uint64_t)(__image_end - __image_start), pages = vmx.pool->pages_used;
    log_info("stats", "memory image=%llu pool_pages=%llu ept_tables=%u resident=%llu hidden=%llu",
             (unsigned long long)image, (unsigned long long)pages, ept_table_pages(&vmx.ept),
             (unsigned long long)(image + pages * PAGE_SIZE), (unsigned long long)(vmx.hidden_end - vmx.hidden_start));
}

