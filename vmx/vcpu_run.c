/* Running a vCPU: the loop each CPU runs for its own vCPU (CPU i runs vCPU i), the requests one
 * vCPU leaves another, the wait in VMX root operation while a vCPU has nothing to run, and the
 * stop of every vCPU when one stops vmxlab.
 *
 * Requests. A vCPU's VMCS is current on its own CPU only (SDM Vol.3C 24.1), so no vCPU writes
 * another's guest state: an INIT, a SIPI, an interrupt or an NMI for another vCPU becomes a bit
 * in the target's `requests`, and the target's loop takes the bits before its next VM entry
 * (KVM's kvm_apic_accept_events and Jailhouse's x86_check_events do the same). A target on
 * another CPU is kicked with an NMI IPI (kernel/smp.c): in VMX non-root operation an NMI is a
 * VM exit (reason 0, "NMI exiting", SDM 24.6.1, 25.2), in root operation it ends the idle HLT.
 * The sender counts the kick in the target's `kicks_owed`, so the target tells vmxlab's NMI
 * from one that is the guest's (vmx/nmi.c).
 *
 * Waiting. A vCPU in the wait-for-SIPI state (an AP before the guest starts it, or after an
 * INIT) has no guest state to run: its CPU waits with HLT in root operation, with IF=0, and only
 * a kick wakes it. Bochs 2.7 never leaves the hardware wait-for-SIPI activity state on its own
 * (docs/apic-init.md), and a spinning CPU would halve the guest's speed in the emulator. */
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

static void (*request_handler)(struct vcpu *v, uint32_t req);

void vcpu_request_handler_set(void (*fn)(struct vcpu *v, uint32_t req)) { request_handler = fn; }

unsigned vmx_vcpu_count(void) { return vmx.nvcpus; }

void vcpu_request(struct vcpu *from, struct vcpu *to, uint32_t req)
{
    __atomic_fetch_or(&to->requests, req, __ATOMIC_SEQ_CST);
    if (to == from)
        return;   /* taken before from's own next entry */
    __atomic_fetch_add(&to->kicks_owed, 1, __ATOMIC_SEQ_CST);
    smp_kick(to->id);
}

/* ---- stopping ---------------------------------------------------------------------------- */
/* This vCPU halts for good: vmxlab is stopping (the CPU that stops it prints the state). */
static __attribute__((noreturn)) void vcpu_halt_for_good(struct vcpu *v)
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

/* ---- before each VM entry ------------------------------------------------------------------ */
/* Take the requests; while the vCPU waits for SIPI, wait for the next with HLT. */
void vcpu_take_requests(struct vcpu *v)
{
    for (;;) {
        uint32_t req = __atomic_exchange_n(&v->requests, 0, __ATOMIC_ACQ_REL);
        if (req & VCPU_REQ_STOP)
            vcpu_halt_for_good(v);
        if (req & VCPU_REQ_TLB_FLUSH)
            vmx_flush_tlb(v);
        if (req & VCPU_REQ_NMI)
            inject_nmi(v);
        if ((req & (VCPU_REQ_INIT | VCPU_REQ_SIPI | VCPU_REQ_IRQ)) && request_handler)
            request_handler(v, req);
        if (!v->wait_for_sipi)
            return;
        /* idle: a request that lands between the test and the HLT sends an NMI, which
         * cpu_idle_halt does not sleep through */
        v->idle = true;
        v->idle_waits++;
        if (!__atomic_load_n(&v->requests, __ATOMIC_ACQUIRE))
            cpu_idle_halt();
        v->idle = false;
    }
}

/* entry.asm, when its last look before an entry finds requests or wait-for-SIPI */
void vmx_entry_requests(struct vcpu *v);
void vmx_entry_requests(struct vcpu *v)
{
    vcpu_take_requests(v);
    intr_before_entry(v);
}

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
