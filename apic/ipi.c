/* IPIs the guest sends, and the INIT and SIPI exits. vmxlab never writes the physical ICR for
 * the guest: an IPI is classified (apic/icr.c, SDM Table 10-3) and carried out on vCPU state.
 *
 *   INIT  -> the vCPU's INIT reset: Table 9-1 state (vmx/init_state.c), virtual APIC reset but
 *            for its ID (SDM 10.4.7.3), restart at the guest's entry (init=entry) or at the
 *            reset vector (init=reset-vector); an AP would then wait for SIPI in software.
 *   SIPI  -> a vCPU waiting for SIPI starts at VV00:0000 (SDM 8.4.2); others ignore it.
 *   fixed -> the vector is made pending in the virtual APIC; vmx injects it when the guest can
 *            take it (apic/irq.c).
 *   NMI   -> injected. */
#include "apic/apic_internal.h"
#include "apic/icr.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_defs.h"

static void start_at_sipi(struct vcpu *v, uint8_t vector)
{
    /* SDM 25.2 / 8.4.2: CS.selector = VV00h, CS.base = VV000h, IP = 0 */
    vmcs_write(VMCS_GUEST_CS_SELECTOR, (uint32_t)vector << 8);
    vmcs_write(VMCS_GUEST_CS_BASE, (uint32_t)vector << 12);
    vmcs_write(VMCS_GUEST_RIP, 0);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
    v->wait_for_sipi = false;
    log_info(vcpu_tag(v), "SIPI vector 0x%02x: starts at %02x00:0000", vector, vector);
}

void apic_vcpu_init(struct vcpu *v, const char *why)
{
    struct apic_vcpu *a = apic_of(v);
    struct vcpu_start s = apic.init_restart == OPT_INIT_RESET_VECTOR ? vcpu_reset_vector() : vcpu_entry_point();
    vcpu_init_reset(v, &s);
    if (apic.path != APIC_PATH_PASSTHROUGH) {
        /* SDM 10.4.7.3: INIT clears IRR and ISR; the virtual APIC comes back software-disabled */
        vlapic_reset(&a->vl);
        apic_irq_reset(v);
        apic_irq_mode_update(v);
    }
    /* The BSP restarts; an AP would wait for SIPI, in software (Bochs 2.7 never leaves the
     * hardware wait-for-SIPI state on one CPU). vmxlab has one vCPU, the BSP. */
    v->wait_for_sipi = v->id != 0;
    klog(apic_log_this_init(v->init_count) ? LOG_INFO : LOG_DEBUG, vcpu_tag(v), "INIT reset #%u -> %04x:%04x (%s)",
         v->init_count, s.cs_selector, s.rip, why);
}

/* What a destination can name: every vCPU with a virtual APIC, seen from the sender v. */
static struct icr_env env_of(struct vcpu *v)
{
    struct icr_env e = {.self = v->id, .nvcpus = apic.nvcpus};
    for (unsigned i = 0; i < apic.nvcpus && i < ICR_MAX_VCPUS; i++) {
        const struct apic_vcpu *a = &apic.vcpu[i];
        e.vcpu[i] = (struct icr_vcpu_view){
            .ldr = vlapic_reg(&a->vl, APIC_LDR), .dfr = vlapic_reg(&a->vl, APIC_DFR),
            .wait_for_sipi = vmx_vcpu(i)->wait_for_sipi, .apic_enabled = vlapic_enabled(&a->vl),
        };
    }
    return e;
}

enum exit_action apic_send_ipi(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    uint32_t low = vlapic_reg(&a->vl, APIC_ICR_LOW) & ~ICR_DELIVERY_PENDING;
    uint32_t high = vlapic_reg(&a->vl, APIC_ICR_HIGH);
    struct icr_env env = env_of(v);
    struct icr_decision d;
    icr_classify(low, high, &env, &d);
    vlapic_icr_done(&a->vl);  /* delivered (or refused) at once: delivery status idle */
    if (d.esr)
        vlapic_error(&a->vl, d.esr);

    enum log_level lvl = d.action == ICR_INVALID ? LOG_WARN
                         : d.action != ICR_DELIVER_INIT || apic_log_this_init(v->init_count + 1) ? LOG_INFO
                                                                                               : LOG_DEBUG;
    if (log_enabled(lvl)) { /* the description is formatted only when it is printed */
        char line[200];
        icr_describe(&d, low, high, line, sizeof(line));
        klog(lvl, "apic", "%s", line);
    }

    switch (d.action) {
    case ICR_DELIVER_INIT:          /* the only vCPU is the sender: d.targets == 1 */
        apic_vcpu_init(v, "INIT IPI");
        break;
    case ICR_DELIVER_SIPI:
        start_at_sipi(v, d.vector);
        break;
    case ICR_DELIVER_FIXED:
        apic_irq_post(v, d.vector, d.icr.trigger_level);
        break;
    case ICR_DELIVER_NMI:
        inject_nmi(v);
        break;
    case ICR_IGNORED:
    case ICR_INVALID:
    case ICR_DROPPED:
        break;
    }
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
    /* "No progress": this exit follows the previous INIT exit directly, at the restart point. */
    struct vcpu_start s = apic.init_restart == OPT_INIT_RESET_VECTOR ? vcpu_reset_vector() : vcpu_entry_point();
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
    apic_vcpu_init(v, "INIT signal");
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
