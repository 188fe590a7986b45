/* VM exits: the dispatch table (indexed by basic exit reason, SDM Vol.3 Appendix C), the run
 * loop, the exit history ring and per-reason statistics. */
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/status.h"
#include "vmx/guest_check.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_asm.h"
#include "vmx/vmx_internal.h"
#include "vmx/vmx_names.h"

/* handlers in exit_basic.c, exit_ept.c, interrupts.c */
enum exit_action exit_cpuid(struct vcpu *v);
enum exit_action exit_vmcall(struct vcpu *v);
enum exit_action exit_vmx_instruction(struct vcpu *v);
enum exit_action exit_cr_access(struct vcpu *v);
enum exit_action exit_rdmsr(struct vcpu *v);
enum exit_action exit_wrmsr(struct vcpu *v);
enum exit_action exit_xsetbv(struct vcpu *v);
enum exit_action exit_preemption_timer(struct vcpu *v);
enum exit_action exit_cache_invalidate(struct vcpu *v);
enum exit_action exit_triple_fault(struct vcpu *v);
enum exit_action exit_init_signal(struct vcpu *v);
enum exit_action exit_sipi(struct vcpu *v);
enum exit_action exit_ept_violation(struct vcpu *v);
enum exit_action exit_ept_misconfig(struct vcpu *v);
enum exit_action exit_external_interrupt(struct vcpu *v);
enum exit_action exit_interrupt_window(struct vcpu *v);
enum exit_action exit_hlt(struct vcpu *v);
enum exit_action exit_monitor_mwait(struct vcpu *v);
enum exit_action exit_io_instruction(struct vcpu *v);
enum exit_action exit_exception_nmi(struct vcpu *v);
enum exit_action exit_nmi_window(struct vcpu *v);
static enum exit_action exit_unhandled(struct vcpu *v);

static exit_handler_t handlers[EXIT_REASON_COUNT] = {
    [EXIT_REASON_EXTERNAL_INTERRUPT] = exit_external_interrupt,
    [EXIT_REASON_TRIPLE_FAULT] = exit_triple_fault,
    [EXIT_REASON_INIT_SIGNAL] = exit_init_signal,
    [EXIT_REASON_SIPI] = exit_sipi,
    [EXIT_REASON_INTERRUPT_WINDOW] = exit_interrupt_window,
    [EXIT_REASON_CPUID] = exit_cpuid,
    [EXIT_REASON_HLT] = exit_hlt,
    [EXIT_REASON_MWAIT] = exit_monitor_mwait,
    [EXIT_REASON_MONITOR] = exit_monitor_mwait,
    [EXIT_REASON_INVD] = exit_cache_invalidate,
    [EXIT_REASON_VMCALL] = exit_vmcall,
    [EXIT_REASON_VMCLEAR] = exit_vmx_instruction,
    [EXIT_REASON_VMLAUNCH] = exit_vmx_instruction,
    [EXIT_REASON_VMPTRLD] = exit_vmx_instruction,
    [EXIT_REASON_VMPTRST] = exit_vmx_instruction,
    [EXIT_REASON_VMREAD] = exit_vmx_instruction,
    [EXIT_REASON_VMRESUME] = exit_vmx_instruction,
    [EXIT_REASON_VMWRITE] = exit_vmx_instruction,
    [EXIT_REASON_VMXOFF] = exit_vmx_instruction,
    [EXIT_REASON_VMXON] = exit_vmx_instruction,
    [EXIT_REASON_CR_ACCESS] = exit_cr_access,
    [EXIT_REASON_RDMSR] = exit_rdmsr,
    [EXIT_REASON_WRMSR] = exit_wrmsr,
    [EXIT_REASON_EPT_VIOLATION] = exit_ept_violation,
    [EXIT_REASON_EPT_MISCONFIG] = exit_ept_misconfig,
    [EXIT_REASON_INVEPT] = exit_vmx_instruction,
    [EXIT_REASON_INVVPID] = exit_vmx_instruction,
    [EXIT_REASON_VMFUNC] = exit_vmx_instruction,
    [EXIT_REASON_WBINVD] = exit_cache_invalidate,
    [EXIT_REASON_XSETBV] = exit_xsetbv,
    [EXIT_REASON_IO_INSTRUCTION] = exit_io_instruction,
    [EXIT_REASON_EXCEPTION_NMI] = exit_exception_nmi,
    [EXIT_REASON_NMI_WINDOW] = exit_nmi_window,
    [EXIT_REASON_PREEMPTION_TIMER] = exit_preemption_timer,
};

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
 * (KVM: kvm_skip_emulated_instruction.) Out of line: TF is rarely set. */
static __attribute__((noinline, cold)) void single_step_trap(void)
{
    if (vmcs_read(VMCS_GUEST_IA32_DEBUGCTL) & IA32_DEBUGCTL_BTF)
        return;
    uint64_t pending = vmcs_read(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS);
    vmcs_write(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, pending | PENDING_DBG_BS);
}

void vcpu_skip_instruction(struct vcpu *v)
{
    v->rip += v->insn_len;
    vmcs_write_hot(VMCS_GUEST_RIP, v->rip);
    /* an instruction that completes ends STI/MOV-SS blocking (SDM 24.4.2, Table 24-3) */
    uint64_t intr = vmcs_read_hot(VMCS_GUEST_INTERRUPTIBILITY_STATE);
    if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
        vmcs_write(VMCS_GUEST_INTERRUPTIBILITY_STATE, intr & ~(uint64_t)(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
    if (__builtin_expect(vmcs_read_hot(VMCS_GUEST_RFLAGS) & RFLAGS_TF, 0))
        single_step_trap();
}

uint64_t vcpu_read_rsp(struct vcpu *v)
{
    v->gpr[GPR_RSP] = vmcs_read(VMCS_GUEST_RSP);
    return v->gpr[GPR_RSP];
}

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
        const struct exit_record *r = &v->history[(v->history_next + EXIT_HISTORY - n + i) % EXIT_HISTORY];
        log_error("exit", "  reason %2u %-32s qual 0x%llx at %04x:%04llx", r->reason & EXIT_REASON_BASIC_MASK,
                  exit_reason_text(r->reason), (unsigned long long)r->qualification, r->cs, (unsigned long long)r->rip);
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
              (unsigned long long)v->exit_qualification);
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
/* What is not on every exit's path (trace logging, a failed entry, exits.max) is out of line,
 * so the dispatcher's own path is the reads, the counts and the handler call
 * (docs/performance.md counts it). Returns true when it decided the exit itself. */
static __attribute__((noinline, cold)) bool exit_dispatch_rare(struct vcpu *v, enum exit_action *act)
{
    if (log_enabled(LOG_TRACE))
        log_trace("exit", "#%llu reason %u %s (SDM %s) qual 0x%llx at %04x:%04llx len %u",
                  (unsigned long long)v->exits_total, v->exit_reason, exit_reason_text(v->exit_reason),
                  vmx_exit_reason_section(v->exit_reason), (unsigned long long)v->exit_qualification,
                  v->history[(v->history_next + EXIT_HISTORY - 1) % EXIT_HISTORY].cs, (unsigned long long)v->rip,
                  v->insn_len);

    if (v->exit_reason_full & EXIT_REASON_ENTRY_FAILURE) {
        char how[160];
        snprintf(how, sizeof(how), "exit reason %u (%s), qualification %llu", v->exit_reason,
                 exit_reason_text(v->exit_reason), (unsigned long long)v->exit_qualification);
        explain_entry_failure(v, how);
        v->stop_status = STATUS_INTERNAL;
        *act = EXIT_STOP;
        return true;
    }
    if (vmx.opts.exit_limit && v->exits_total >= vmx.opts.exit_limit) {
        log_error("exit", "exits.max=%u reached: stopping the guest", vmx.opts.exit_limit);
        v->stop_status = STATUS_GUEST_FAILED;
        *act = EXIT_STOP;
        return true;
    }
    return false;
}

enum exit_action exit_dispatch(struct vcpu *v)
{
    v->exit_reason_full = (uint32_t)vmcs_read_hot(VMCS_EXIT_REASON);
    v->exit_reason = v->exit_reason_full & EXIT_REASON_BASIC_MASK;
    v->exit_qualification = vmcs_read_hot(VMCS_EXIT_QUALIFICATION);
    v->rip = vmcs_read_hot(VMCS_GUEST_RIP);
    v->insn_len = (uint32_t)vmcs_read_hot(VMCS_EXIT_INSTRUCTION_LENGTH);
    v->idt_info = (uint32_t)vmcs_read_hot(VMCS_IDT_VECTORING_INFO);
    v->event_set = false; /* the CPU clears the entry event's valid bit on exit (SDM 24.8.3) */
    v->exits_total++;
    if (v->exit_reason < ARRAY_SIZE(v->exit_counts))
        v->exit_counts[v->exit_reason]++;
    struct exit_record *r = &v->history[v->history_next];
    v->history_next = (v->history_next + 1) % EXIT_HISTORY;
    r->reason = v->exit_reason_full;
    r->qualification = v->exit_qualification;
    r->rip = v->rip;
    r->cs = (uint16_t)vmcs_read_hot(VMCS_GUEST_CS_SELECTOR);

    if (__builtin_expect(!(v->exits_explained[(v->exit_reason >> 6) & 1] >> (v->exit_reason & 63) & 1), 0))
        exit_explain_first(v);
    enum exit_action act;
    if (__builtin_expect(log_enabled(LOG_TRACE) || (v->exit_reason_full & EXIT_REASON_ENTRY_FAILURE) ||
                         vmx.opts.exit_limit, 0) &&
        exit_dispatch_rare(v, &act))
        return act;
    exit_handler_t h = v->exit_reason < EXIT_REASON_COUNT && handlers[v->exit_reason] ? handlers[v->exit_reason]
                                                                                       : exit_unhandled;
    return h(v);
}

/* every vCPU that has run */
static void fatal_dump(void)
{
    for (unsigned i = 0; i < VMX_MAX_VCPUS; i++)
        if (vmx.vcpus[i].exits_total)
            exit_history_log(&vmx.vcpus[i]);
}

/* vmxlab's resident memory: its image, and the pool pages it took (VMXON, VMCS, MSR bitmap,
 * EPT tables and any module's pages), as bench reads it (docs/performance.md) */
extern char __image_start[], __image_end[];
static void memory_stats_log(void)
{
    uint64_t image = (uint64_t)(__image_end - __image_start), pages = vmx.pool->pages_used;
    log_info("stats", "memory image=%llu pool_pages=%llu ept_tables=%u resident=%llu hidden=%llu",
             (unsigned long long)image, (unsigned long long)pages, ept_table_pages(&vmx.ept),
             (unsigned long long)(image + pages * PAGE_SIZE), (unsigned long long)(vmx.hidden_end - vmx.hidden_start));
}

static void stop_report(int status)
{
    (void)status;
    for (unsigned i = 0; i < VMX_MAX_VCPUS; i++)
        if (i == 0 || vmx.vcpus[i].exits_total)
            exit_stats_log(&vmx.vcpus[i]);
    memory_stats_log();
}

static void vcpu_status_detail(const struct vcpu *v, char *buf, unsigned long len)
{
    snprintf(buf, len, "%llu exits, last %s", (unsigned long long)v->exits_total,
             v->exits_total ? exit_reason_text(v->exit_reason) : "none");
}

/* for the VGA status line (kernel/status.c): the BSP's, the one line has room for one vCPU */
static void status_detail(char *buf, unsigned long len) { vcpu_status_detail(&vmx.vcpus[0], buf, len); }

void vmx_run(void)
{
    struct vcpu *v = &vmx.vcpus[0];
    fatal_hook_register(fatal_dump);
    stop_hook_register(stop_report);
    status_detail_set(status_detail);
    if (vmx.opts.debug == OPT_DEBUG_BAD_GUEST_STATE) {
        log_info("vmx", "debug=bad-guest-state: guest TR access rights set to 0x89 (an available TSS, not busy)");
        vmcs_write(VMCS_GUEST_TR_ACCESS_RIGHTS, 0x89);
    }
    log_info("vmx", "entering the guest");
    for (;;) {
        intr_before_entry(v);
        int r = vmx_enter(v);
        if (r != VMX_OK) {
            char how[160];
            uint64_t err = r == VMX_FAIL_VALID ? vmcs_read(VMCS_VM_INSTRUCTION_ERROR) : 0;
            snprintf(how, sizeof(how), "%s %s: VM-instruction error %llu, %s", v->launched ? "VMRESUME" : "VMLAUNCH",
                     r == VMX_FAIL_VALID ? "VMfailValid" : "VMfailInvalid", (unsigned long long)err,
                     r == VMX_FAIL_VALID ? vmx_instruction_error_text((uint32_t)err) : "no current VMCS");
            explain_entry_failure(v, how);
            vmxlab_stop(STATUS_INTERNAL);
        }
        if (exit_dispatch(v) == EXIT_STOP)
            vmxlab_stop(v->stop_status);
    }
}
