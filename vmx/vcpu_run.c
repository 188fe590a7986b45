/* Running a vCPU: the loop each CPU runs for its own vCPU (CPU i runs vCPU i), and the stop of
 * every vCPU when one stops vmxlab. The requests one vCPU leaves another, the INIT reset and
 * the wait for SIPI are the INIT path's (vmx/vcpu_reset.c). */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_local.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "kernel/status.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_asm.h"
#include "vmx/vmx_internal.h"

unsigned vmx_vcpu_count(void) { return vmx.nvcpus; }

/* ---- stopping ---------------------------------------------------------------------------- */
/* This vCPU halts for good: vmxlab is stopping (the CPU that stops it prints the state). */
__attribute__((noreturn)) void vcpu_halt_for_good(struct vcpu *v)
{
    __atomic_store_n(&v->stopped, true, __ATOMIC_RELEASE);
    for (;;)
        cpu_idle_halt();
}

/* Ask every other vCPU to halt, and wait for each (bounded: one stuck in a loop of vmxlab's
 * own code does not answer). Their histories and counts are then still. */
static void stop_other_vcpus(void)
{
    unsigned me = this_cpu();
    struct vcpu *self = &vmx.vcpus[me < vmx.nvcpus ? me : 0];
    for (unsigned i = 0; i < vmx.nvcpus; i++)
        if (i != me && !vmx.vcpus[i].stopped)
            vcpu_request(self, &vmx.vcpus[i], VCPU_REQ_STOP);
    for (unsigned i = 0; i < vmx.nvcpus; i++)
        for (unsigned spin = 0; i != me && !vmx.vcpus[i].stopped && spin < 2000000; spin++)
            cpu_relax();
}

static void fatal_dump(void)
{
    stop_other_vcpus();
    for (unsigned i = 0; i < VMX_MAX_VCPUS; i++)
        if (vmx.vcpus[i].exits_total)
            exit_history_log(&vmx.vcpus[i]);
}

static void stop_report(int status)
{
    (void)status;
    stop_other_vcpus();
    for (unsigned i = 0; i < vmx.nvcpus; i++) {
        struct vcpu *v = &vmx.vcpus[i];
        exit_stats_log(v);
        if (vmx.nvcpus > 1)
            log_info("stats", "%s: kicks=%llu (NMI exits that were another vCPU's kick) idle_waits=%llu (HLT in root "
                              "while waiting for SIPI)", vcpu_tag(v), (unsigned long long)v->kicks,
                     (unsigned long long)v->idle_waits);
    }
    memory_stats_log();
}

static void vcpu_status_detail(const struct vcpu *v, char *buf, unsigned long len)
{
    snprintf(buf, len, "%llu exits, last %s", (unsigned long long)v->exits_total,
             v->exits_total ? exit_reason_text(v->exit_reason) : "none");
}

/* for the VGA status line (kernel/status.c): the BSP's, the one line has room for one vCPU */
static void status_detail(char *buf, unsigned long len) { vcpu_status_detail(&vmx.vcpus[0], buf, len); }

/* ---- the loop -------------------------------------------------------------------------- */
/* Run v on this CPU: the checks before its first entry, then the world switch (entry.asm),
 * which calls vmx_exit_handle (exit.c) after each exit and never returns. An AP waits for its
 * SIPI in vcpu_take_requests() first. */
void vmx_run(struct vcpu *v)
{
    if (!v->id) {
        fatal_hook_register(fatal_dump);
        stop_hook_register(stop_report);
        status_detail_set(status_detail);
        if (vmx.opts.debug == OPT_DEBUG_BAD_GUEST_STATE) {
            log_info("vmx", "debug=bad-guest-state: guest TR access rights set to 0x89 (an available TSS, not busy)");
            vmcs_write(VMCS_GUEST_TR_ACCESS_RIGHTS, 0x89);
        }
        exit_table_finish();
    }
    static const uint32_t exit_path_fields[] = {EXIT_PATH_FIELDS};
    for (unsigned i = 0; i < ARRAY_SIZE(exit_path_fields); i++)
        (void)vmcs_read(exit_path_fields[i]); /* stops vmxlab, naming the field, should one fail */
    vmx_cpuid_table_build(v);
    if (!v->id)
        log_info("vmx", "entering the guest");
    intr_before_entry(v);
    vmx_loop(v);    /* an AP waits for its SIPI at its first look at the requests */
}
