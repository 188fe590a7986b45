/* IPIs the guest sends, and the INIT and SIPI exits. vmxlab never writes the physical ICR for
 * the guest: an IPI is classified (apic/icr.c, SDM Table 10-3) and carried out on vCPU state.
 * The sender leaves each target a request (vmx/vcpu_reset.c); the target carries it out on its
 * own CPU before its next VM entry (apic_take_requests), so an IPI to the sender itself (the
 * seed's self-INIT) and one to another vCPU take the same path.
 *
 *   INIT  -> the vCPU's INIT reset: Table 9-1 state (vmx/init_state.c), virtual APIC reset but
 *            for its ID (SDM 10.4.7.3). The BSP then restarts at the guest's entry (init=entry)
 *            or at the reset vector (init=reset-vector). An AP waits for SIPI, as a CPU does
 *            after INIT (SDM 8.4.1), except after an INIT it sent itself with init=entry: then
 *            it restarts where its last SIPI started it (vmxlab's contract: a trapped
 *            self-INIT restarts the vCPU at its entry point).
 *   SIPI  -> a vCPU waiting for SIPI starts at VV00:0000 (SDM 8.4.2); others ignore it.
 *   fixed -> the vector is made pending in the target's virtual APIC; vmx injects it when the
 *            guest can take it (apic/irq.c). Lowest priority goes to one target (icr.c).
 *   NMI   -> an NMI for the target's guest (vmx/nmi.c).
 * Delivery status (ICR bit 12) reads idle at once: the message is accepted when the request
 * is left, and no guest can tell an accepted IPI from a delivered one (SDM 10.6.1). */
#include "apic/apic_internal.h"
#include "apic/icr.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_defs.h"

/* Where an INIT leaves v, the one place that decides it (vmxlab's contract, docs/apic-init.md):
 * an AP waits for SIPI, as a CPU does after INIT (SDM Vol.3A 8.4.1 "BSP and AP Processors"),
 * except after an INIT it sent itself with init=entry; the others restart at the guest's entry
 * (init=entry: guest.entry, or where the AP's last SIPI started it) or at the reset vector
 * (init=reset-vector; SDM 9.1.4 "First Instruction Executed"). Returns true for "waits". */
static bool restart_point(const struct vcpu *v, struct vcpu_start *s)
{
    const struct apic_vcpu *a = apic_of(v);
    bool wait = v->id != 0 && !(a->init_self && apic.init_restart == OPT_INIT_ENTRY);
    *s = wait || apic.init_restart == OPT_INIT_RESET_VECTOR ? vcpu_reset_vector() : a->start;
    return wait;
}

static void start_at_sipi(struct vcpu *v, uint8_t vector)
{
    /* SDM 25.2 / 8.4.2: CS.selector = VV00h, CS.base = VV000h, IP = 0 */
    struct apic_vcpu *a = apic_of(v);
    a->start = (struct vcpu_start){(uint16_t)(vector << 8), (uint32_t)vector << 12, 0};
    vmcs_write(VMCS_GUEST_CS_SELECTOR, a->start.cs_selector);
    vmcs_write(VMCS_GUEST_CS_BASE, a->start.cs_base);
    vmcs_write(VMCS_GUEST_RIP, 0);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
    v->wait_for_sipi = false;
    log_info(vcpu_tag(v), "SIPI vector 0x%02x: starts at %02x00:0000", vector, vector);
}

void apic_init_reset(struct vcpu *v, const char *why)
{
    struct apic_vcpu *a = apic_of(v);
    struct vcpu_start s;
    bool wait = restart_point(v, &s);
    vcpu_init_reset(v, &s);
    if (apic.path != APIC_PATH_PASSTHROUGH) {
        /* SDM 10.4.7.3: INIT clears IRR and ISR; the virtual APIC comes back software-disabled */
        vlapic_reset(&a->vl);
        apic_irq_reset(v);
        apic_irq_mode_update(v);
    }
    /* in software: Bochs 2.7 never leaves the hardware wait-for-SIPI state on one CPU */
    v->wait_for_sipi = wait;
    enum log_level lvl = apic_log_this_init(v->init_count) ? LOG_INFO : LOG_DEBUG;
    if (!log_enabled(lvl))
        return;
    if (wait)
        klog(lvl, vcpu_tag(v), "INIT reset #%u (%s): waits for SIPI", v->init_count, why);
    else
        klog(lvl, vcpu_tag(v), "INIT reset #%u -> %04x:%04x (%s)", v->init_count, s.cs_selector, s.rip, why);
}

/* On v's own CPU, before its next VM entry: what other vCPUs (or v itself) sent it. INIT
 * goes before SIPI, so INIT-SIPI sent back to back starts the vCPU. */
void apic_take_requests(struct vcpu *v, uint32_t req)
{
    struct apic_vcpu *a = apic_of(v);
    if (req & VCPU_REQ_INIT) {
        char why[32] = "INIT IPI";
        if (!a->init_self)
            snprintf(why, sizeof(why), "INIT IPI from vcpu%u", a->init_from);
        apic_init_reset(v, why);
    }
    if (req & VCPU_REQ_SIPI) {
        if (v->wait_for_sipi)
            start_at_sipi(v, a->sipi_vector);
        else
            log_debug(vcpu_tag(v), "SIPI vector 0x%02x ignored: not waiting for SIPI (SDM 8.4.2)", a->sipi_vector);
    }
    if ((req & VCPU_REQ_IRQ) && apic.path != APIC_PATH_PASSTHROUGH)
        for (unsigned w = 0; w < 4; w++)
            for (uint64_t bits = __atomic_exchange_n(&a->posted[w], 0, __ATOMIC_ACQ_REL); bits; bits &= bits - 1)
                apic_irq_post(v, (uint8_t)(w * 64 + (unsigned)__builtin_ctzll(bits)), false);
}

/* What a destination can name: every vCPU with a virtual APIC, seen from the sender v. A vCPU
 * with an INIT on its way counts as waiting for SIPI: it will be by the time it takes the
 * SIPI (apic_take_requests). */
static struct icr_env env_of(struct vcpu *v)
{
    struct icr_env e = {.self = v->id, .nvcpus = apic.nvcpus};
    for (unsigned i = 0; i < apic.nvcpus && i < ICR_MAX_VCPUS; i++) {
        const struct apic_vcpu *a = &apic.vcpu[i];
        const struct vcpu *t = vmx_vcpu(i);
        e.vcpu[i] = (struct icr_vcpu_view){
            .ldr = vlapic_reg(&a->vl, APIC_LDR), .dfr = vlapic_reg(&a->vl, APIC_DFR),
            .wait_for_sipi = t->wait_for_sipi || (__atomic_load_n(&t->requests, __ATOMIC_ACQUIRE) & VCPU_REQ_INIT),
            .apic_enabled = vlapic_enabled(&a->vl),
        };
    }
    return e;
}

/* One target of a delivered IPI: leave it the request (vmx kicks it if it is another vCPU). */
static void deliver(struct vcpu *from, struct vcpu *to, const struct icr_decision *d)
{
    struct apic_vcpu *t = apic_of(to);
    switch (d->action) {
    case ICR_DELIVER_INIT:
        t->init_self = to == from;
        t->init_from = (uint8_t)from->id;
        vcpu_request(from, to, VCPU_REQ_INIT);
        break;
    case ICR_DELIVER_SIPI:
        t->sipi_vector = d->vector;
        vcpu_request(from, to, VCPU_REQ_SIPI);
        break;
    case ICR_DELIVER_FIXED:
        __atomic_fetch_or(&t->posted[d->vector >> 6], 1ull << (d->vector & 63), __ATOMIC_ACQ_REL);
        vcpu_request(from, to, VCPU_REQ_IRQ);
        break;
    case ICR_DELIVER_NMI:
        vcpu_request(from, to, VCPU_REQ_NMI);
        break;
    default:
        break;
    }
}

enum exit_action apic_send_ipi(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    uint32_t low = vlapic_reg(&a->vl, APIC_ICR_LOW) & ~ICR_DELIVERY_PENDING;
    uint32_t high = vlapic_reg(&a->vl, APIC_ICR_HIGH);
    struct icr_env env = env_of(v);
    struct icr_decision d;
    icr_classify(low, high, &env, &d);
    vlapic_icr_done(&a->vl);  /* accepted (or refused) at once: delivery status idle */
    if (d.esr)
        vlapic_error(&a->vl, d.esr);

    enum log_level lvl = d.action == ICR_INVALID ? LOG_WARN : apic_ipi_loud(v, low) ? LOG_INFO : LOG_DEBUG;
    if (lvl == LOG_INFO && d.icr.delivery <= 1 && ++a->fixed_ipi_lines == APIC_FIXED_IPI_LINES)
        log_info("apic", "vcpu%u: further fixed IPIs at log=debug (counted in the statistics)", v->id);
    if (log_enabled(lvl)) { /* the description is formatted only when it is printed */
        char line[200];
        icr_describe(&d, low, high, line, sizeof(line));
        klog(lvl, "apic", "%s", line);
    }
    if (d.targets)
        a->stats.ipis_sent++;
    for (uint32_t t = d.targets; t; t &= t - 1)
        deliver(v, vmx_vcpu((unsigned)__builtin_ctz(t)), &d);
    return EXIT_RESUME;
}

/* ---- exit reason 3: a physical INIT ------------------------------------------------------ */
static void diagnose_loop(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    log_error("apic", "the loop: %u INIT exits (reason 3) in a row, each before the guest ran a single instruction",
              a->init_streak);
    log_error("apic", "why: the guest wrote the ICR at 0x%llx and, with apic=%s, that write reached the physical "
                      "local APIC, which sent a real INIT to this CPU", (unsigned long long)APIC_GUEST_BASE + APIC_ICR_LOW,
              apic_path_name(apic.path));
    log_error("apic", "why: in VMX non-root operation an INIT does not reset the CPU: it is a VM exit (SDM 25.2); "
                      "vmxlab reset the vCPU to the Table 9-1 state and resumed it");
    log_error("apic", "why: the INIT stays pending after the exit (Bochs 2.7 does not consume it; hardware latches "
                      "an INIT that arrives in VMX root the same way), so every VM entry takes it again at once");
    log_error("apic", "fix: never let the guest reach the physical APIC: trap its APIC accesses (apic=apicv or "
                      "apic=decode) and carry out INIT and SIPI on the vCPU's state");
    log_error("apic", "stopping vcpu%u: %u INIT resets, and the guest never ran again after the first", v->id,
              v->init_count);
}

enum exit_action apic_exit_init_signal(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    a->init_self = true; /* restart as after a self-INIT (the seed's case) */
    /* "No progress": this exit follows the previous INIT exit directly, at the restart point. */
    struct vcpu_start s;
    restart_point(v, &s);
    bool again = a->init_streak && v->exits_total == a->init_streak_exit + 1 && v->rip == s.rip &&
                 vmcs_read(VMCS_GUEST_CS_SELECTOR) == s.cs_selector;
    a->init_streak = again ? a->init_streak + 1 : 1;
    a->init_streak_exit = v->exits_total;
    log_info("apic", "exit reason 3 (INIT signal, SDM 25.2) at %04llx:%04llx%s",
             (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip,
             again ? ": again, right after VM entry" : ": a physical INIT reached this CPU");
    if (apic.path != APIC_PATH_PASSTHROUGH && a->init_streak == 1)
        log_warn("apic", "vcpu%u: a physical INIT although the guest cannot reach the APIC (apic=%s): "
                         "carried out as an INIT for vcpu%u", v->id, apic_path_name(apic.path), v->id);
    if (a->init_streak >= INIT_STREAK_MAX) {
        diagnose_loop(v);
        v->stop_status = STATUS_GUEST_FAILED;
        return EXIT_STOP;
    }
    apic_init_reset(v, "INIT signal");
    return EXIT_RESUME;
}

/* ---- exit reason 4: SIPI (only in the hardware wait-for-SIPI state, which vmxlab never
 * enters; handled as the SDM says should a CPU deliver one) ---------------------------------- */
enum exit_action apic_exit_sipi(struct vcpu *v)
{
    uint8_t vector = (uint8_t)(v->exit_qualification & 0xFF);
    log_info("apic", "exit reason 4 (SIPI, SDM 25.2) vector 0x%02x", vector);
    start_at_sipi(v, vector);
    return EXIT_RESUME;
}
