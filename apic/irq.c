/* The guest's interrupts through its virtual local APIC: where an interrupt comes from, where
 * it goes, and who sends the EOI the physical hardware waits for.
 *
 * Two modes, following the guest's own use of its APIC (SVR bit 8, SDM Vol.3A 10.4.7.2):
 *
 *   direct       the guest's APIC is software-disabled (its state at hand-off and after INIT,
 *                what a BIOS, a boot loader or a real-mode guest sees): no external-interrupt
 *                exiting. The 8259's interrupts reach the guest through its IDT exactly as on
 *                bare metal, with no VM exit; the 8259 is the guest's, untouched.
 *   virtualized  the guest enabled its APIC (an OS in APIC mode): external-interrupt exiting
 *                with "acknowledge interrupt on exit" (SDM 24.6.1, 24.7.1, 27.2.2). vmxlab looks
 *                at the vector the CPU acknowledged:
 *                - its bit is set in the physical ISR: the physical local APIC delivered it (an
 *                  I/O APIC message, the timer below). It becomes pending in the virtual APIC
 *                  (IRR); an edge-triggered one (TMR bit clear) gets its physical EOI at once;
 *                  a level-triggered one keeps the physical ISR bit until the guest's EOI of
 *                  that vector, which vmxlab forwards (the physical EOI is what tells the I/O
 *                  APIC to clear Remote IRR, SDM 10.8.5, and lets the device interrupt again).
 *                  The guest's EOI write exits on both paths (APIC write 56 on apicv, APIC
 *                  access 44 on decode).
 *                - its bit is clear: the 8259 delivered it (ExtINT, no ISR bit), or it was the
 *                  physical APIC's spurious vector (dropped, SDM 10.9). An ExtINT vector goes to
 *                  vmx, which injects it when the guest can take it.
 *                vmx injects the virtual APIC's interrupts by its priority rule (intr_controller,
 *                SDM 10.8.3.1). Not "virtual-interrupt delivery": Bochs 2.7 delivers a pending
 *                virtual interrupt even with RFLAGS.IF=0 when a physical interrupt is pending
 *                too (cpu/event.cc, InterruptAcknowledge tests the virtual interrupt's pending
 *                bit and not its mask), which nested Linux's timer interrupt until its stack
 *                overflowed.
 *
 * The virtual timer (SDM 10.5.4) runs on the physical APIC timer: the guest's LVT timer (its
 * vector, mode and mask), divide configuration and initial count are written to the physical
 * APIC, whose interrupt then arrives as any other physical-APIC interrupt of that vector.
 * Current-count reads come from the physical register. The TSC-deadline mode is hidden.
 * The guest's LDR and DFR are copied too: an I/O APIC message in logical destination mode is
 * matched against the physical APIC's (SDM 10.6.2.2). */
#include "apic/apic_internal.h"
#include "apic/papic.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_defs.h"

#define BIT_SET(bm, n) ((bm)[(n) >> 6] |= 1ull << ((n) & 63))
#define BIT_CLEAR(bm, n) ((bm)[(n) >> 6] &= ~(1ull << ((n) & 63)))
#define BIT_TEST(bm, n) (((bm)[(n) >> 6] >> ((n) & 63)) & 1)

/* Interrupts arrive at any moment, also in the middle of a line the guest writes to the same
 * serial port: their lines are at debug level (log=debug); the counts are in the power-off
 * statistics (`I stats: interrupts ...`). */

/* ---- the virtual APIC as the CPU's interrupt source (SDM 10.8.3.1) ---------------------- */
static int irq_pending(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    if (!vlapic_enabled(&a->vl))
        return -1;
    int irr = vlapic_highest_irr(&a->vl);
    if (irr < 0 || ((uint32_t)irr & 0xF0) <= (vlapic_ppr(&a->vl) & 0xF0)) {
        /* apicv: the guest's TPR writes do not exit (TPR shadow); the TPR threshold makes the
         * one that unblocks this vector exit (reason 43, SDM 29.1.2). VM entry requires the
         * threshold to be at most VTPR[7:4] (26.2.1.1): the blocked class is. */
        if (apic.path == APIC_PATH_APICV && irr >= 0) {
            uint32_t cls = (uint32_t)irr >> 4, tpr = vlapic_reg(&a->vl, APIC_TPR) >> 4;
            vmcs_write(VMCS_TPR_THRESHOLD, cls <= tpr ? cls : 0);
        }
        return -1;
    }
    return irr;
}

static void irq_accepted(struct vcpu *v, uint8_t vector)
{
    struct apic_vcpu *a = apic_of(v);
    vlapic_ack(&a->vl, vector);
    v->virq = vlapic_highest_irr(&a->vl) >= 0;
}

void apic_irq_post(struct vcpu *v, uint8_t vector, bool level)
{
    struct apic_vcpu *a = apic_of(v);
    if (!vlapic_set_irr(&a->vl, vector, level))
        return;  /* already pending: one IRR bit per vector, as in the APIC */
    v->virq = true;
    if (irq_pending(v) >= 0)
        vcpu_wake(v);
}

/* After a guest write that can unblock a pending interrupt (EOI, TPR). */
EXIT_PATH_FN void apic_irq_reevaluate(struct vcpu *v)
{
    v->virq = vlapic_highest_irr(&apic_of(v)->vl) >= 0;
}

/* Exit reason 43, TPR below threshold (SDM 29.1.2, trap-like): the guest lowered its TPR
 * under the class of a vector that waits; vmx injects it before the next entry. */
static enum exit_action exit_tpr_below_threshold(struct vcpu *v)
{
    vmcs_write(VMCS_TPR_THRESHOLD, 0);
    apic_irq_reevaluate(v);
    return EXIT_RESUME;
}

/* ---- EOIs the physical APIC is owed ----------------------------------------------------- */
/* The guest retired `vector` (its EOI, SDM 10.8.5): forward the EOI when the physical APIC
 * still has that level-triggered interrupt in service. */
void apic_irq_guest_eoi(struct vcpu *v, int vector)
{
    struct apic_vcpu *a = apic_of(v);
    if (vector < 0 || !BIT_TEST(a->eoi_owed, vector))
        return;
    papic_eoi();
    BIT_CLEAR(a->eoi_owed, vector);
    a->stats.eoi_forwarded++;
    log_debug("intr", "vcpu%u: guest EOI of level-triggered vector 0x%02x forwarded to the physical APIC (the I/O APIC clears "
         "Remote IRR)", v->id, vector);
}

/* An INIT of the vCPU: what the physical APIC still holds for the old guest is released. */
void apic_irq_reset(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    for (unsigned w = 0; w < 4; w++)   /* one physical EOI per owed vector */
        for (uint64_t owed = a->eoi_owed[w]; owed; owed &= owed - 1)
            papic_eoi();
    memset(a->eoi_owed, 0, sizeof(a->eoi_owed));
    papic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
    papic_write(APIC_TIMER_INITIAL, 0);
    a->ptimer_known = false;
    if (apic.path == APIC_PATH_APICV)   /* at most VTPR[7:4] (SDM 26.2.1.1), and INIT clears the TPR */
        vmcs_write(VMCS_TPR_THRESHOLD, 0);
    v->virq = false;
}

/* ---- an interrupt the CPU acknowledged on a VM exit ------------------------------------- */
static bool irq_external(struct vcpu *v, uint8_t vector)
{
    struct apic_vcpu *a = apic_of(v);
    if (!papic_test(APIC_ISR, vector)) {
        if (vector == (papic_read(APIC_SVR) & 0xFF)) {   /* SDM 10.9: no ISR bit, no EOI */
            a->stats.spurious++;
            log_debug("intr", "vcpu%u: spurious interrupt vector 0x%02x of the physical APIC: dropped", v->id, vector);
            return true;
        }
        a->stats.extint++;
        log_debug("intr", "vcpu%u: external interrupt vector 0x%02x from the 8259 (ExtINT: no physical ISR bit): "
                      "vmx injects it when the guest has IF=1", v->id, vector);
        return false;
    }
    bool level = papic_test(APIC_TMR, vector);
    a->stats.lapic++;
    if (level) {
        a->stats.level++;
        BIT_SET(a->eoi_owed, vector);
    } else {
        papic_eoi();
    }
    log_debug("intr", "vcpu%u: external interrupt vector 0x%02x from the local APIC (%s): pending in the virtual APIC%s", v->id,
         vector, level ? "level-triggered" : "edge-triggered",
         level ? "; the physical EOI waits for the guest's" : "; physical EOI sent");
    apic_irq_post(v, vector, level);
    return true;
}

static const struct intr_controller controller = {irq_external, irq_pending, irq_accepted};

/* ---- direct or virtualized ---------------------------------------------------------------- */
static void set_control(struct vcpu *v, enum vmx_ctl ctl, uint32_t bits, bool on)
{
    uint32_t missing = 0;
    if (!vmx_ctl_change(v, ctl, on ? bits : 0, on ? 0 : bits, &missing))
        panic("the CPU refuses control bits 0x%08x it reported it allows", missing);
}

void apic_irq_mode_update(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    bool want = vlapic_enabled(&a->vl);
    if (want == a->virtualized)
        return;
    a->virtualized = want;
    if (want && !(papic_read(APIC_SVR) & APIC_SVR_ENABLE)) {
        /* the physical APIC must accept I/O APIC messages and run the timer */
        papic_write(APIC_SVR, papic_read(APIC_SVR) | APIC_SVR_ENABLE);
        log_info("intr", "the physical local APIC was software-disabled: enabled it (SVR 0x%03x)",
                 papic_read(APIC_SVR));
    }
    set_control(v, VMX_CTL_PIN, PIN_EXTERNAL_INTERRUPT_EXITING, want);
    v->virq = vlapic_highest_irr(&a->vl) >= 0;
    klog(v->init_count < 4 ? LOG_INFO : LOG_DEBUG, "intr", "%s",
         want ? "the guest enabled its local APIC: interrupts now go through the virtual APIC (external-interrupt "
                "exiting, acknowledge on exit; vmx injects the virtual APIC's interrupts)"
              : "the guest's local APIC is software-disabled: interrupts reach the guest directly, no VM exits");
}

/* ---- the virtual timer on the physical one ---------------------------------------------- */
static uint32_t timer_current_count(void) { return papic_read(APIC_TIMER_CURRENT); }

/* SDM 10.5.4: a write of the initial count starts the count (and the log says so) */
static __attribute__((noinline)) void timer_start(struct vcpu *v, uint32_t lvt)
{
    struct apic_vcpu *a = apic_of(v);
    uint32_t count = vlapic_reg(&a->vl, APIC_TIMER_INITIAL);
    papic_write(APIC_TIMER_INITIAL, count);
    a->stats.timer_starts++;
    klog(a->stats.timer_starts <= 3 ? LOG_INFO : LOG_DEBUG, "intr",
         "vcpu%u: timer %s, vector 0x%02x%s, divide by %u, initial count %u: run by the physical APIC timer", v->id,
         lvt & (1u << 17) ? "periodic" : "one-shot", lvt & 0xFF, lvt & APIC_LVT_MASKED ? " (masked)" : "",
         vlapic_timer_divisor(&a->vl), count);
}

static __attribute__((noinline)) void timer_write(struct vcpu *v, uint32_t offset, uint32_t lvt, uint32_t dcr)
{
    struct apic_vcpu *a = apic_of(v);
    if (!a->ptimer_known || dcr != a->ptimer_dcr)
        papic_write(APIC_TIMER_DIVIDE, dcr);
    if (!a->ptimer_known || lvt != a->ptimer_lvt)
        papic_write(APIC_LVT_TIMER, lvt);
    a->ptimer_known = true;
    a->ptimer_lvt = lvt;
    a->ptimer_dcr = dcr;
    if (offset == APIC_TIMER_INITIAL)
        timer_start(v, lvt);
}

EXIT_PATH_FN void apic_timer_sync(struct vcpu *v, uint32_t offset)
{
    struct apic_vcpu *a = apic_of(v);
    uint32_t lvt = vlapic_reg(&a->vl, APIC_LVT_TIMER), dcr = vlapic_reg(&a->vl, APIC_TIMER_DIVIDE);
    /* a register written with the value it holds changes nothing (only a write of the initial
     * count starts a count, SDM 10.5.4): a guest that rewrites its LVT timer with the same
     * value (Linux, bench_apic) costs no MMIO write to the physical APIC */
    if (offset != APIC_TIMER_INITIAL && a->ptimer_known && lvt == a->ptimer_lvt && dcr == a->ptimer_dcr)
        return;
    timer_write(v, offset, lvt, dcr);
}

void apic_logical_sync(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    papic_write(APIC_DFR, vlapic_reg(&a->vl, APIC_DFR));
    papic_write(APIC_LDR, vlapic_reg(&a->vl, APIC_LDR));
}

/* per vCPU; vCPU 0's line carries no vCPU name (as vmx's summary lines, vmx/exit.c) */
static void stats_log(int status)
{
    (void)status;
    for (unsigned i = 0; i < apic.nvcpus; i++) {
        const struct apic_vcpu *a = &apic.vcpu[i];
        char who[16] = "";
        if (i)
            snprintf(who, sizeof(who), "vcpu%u: ", i);
        log_info("stats", "%sinterrupts lapic=%llu level=%llu extint=%llu spurious=%llu eoi_forwarded=%llu "
                          "timer_starts=%llu ipis_sent=%llu", who, (unsigned long long)a->stats.lapic,
                 (unsigned long long)a->stats.level, (unsigned long long)a->stats.extint,
                 (unsigned long long)a->stats.spurious, (unsigned long long)a->stats.eoi_forwarded,
                 (unsigned long long)a->stats.timer_starts, (unsigned long long)a->stats.ipis_sent);
    }
}

/* Once, with vCPU 0 (machine-wide: the controller vmx asks, the handlers, the statistics). */
void apic_irq_setup(void)
{
    papic_setup();
    intr_controller_set(&controller);
    if (apic.path == APIC_PATH_APICV)
        exit_handler_set(EXIT_REASON_TPR_BELOW_THRESHOLD, exit_tpr_below_threshold);
    stop_hook_register(stats_log);
}

/* Each vCPU, on its own CPU: its physical APIC is the one this CPU reaches at the MMIO base. */
void apic_irq_vcpu_setup(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    vlapic_set_current_count(&a->vl, timer_current_count);
    klog(v->id ? LOG_DEBUG : LOG_INFO, "intr", "physical local APIC: SVR 0x%03x, LVT LINT0 0x%05x, LVT timer 0x%05x; "
         "the guest's interrupts reach it directly until it enables its local APIC", papic_read(APIC_SVR),
         papic_read(APIC_LVT_LINT0), papic_read(APIC_LVT_TIMER));
}
