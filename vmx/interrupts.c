/* Events for the guest: injection (SDM Vol.3 24.8.3, 26.6), interrupts held while the guest
 * cannot take them (interrupt-window exiting, 25.2), external-interrupt exits (with
 * "acknowledge interrupt on exit", 27.2.2), HLT, and re-injection of an event whose delivery
 * an exit interrupted (IDT-vectoring information, 27.2.4 / 29.2.1... 26.6.1.1).
 *
 * Without external-interrupt exiting (while the guest's local APIC is software-disabled) the
 * CPU delivers interrupts straight to the guest through its IDT: no exits at all. Once the
 * guest enables its APIC, the apic module turns external-interrupt exiting on and takes each
 * acknowledged interrupt (struct intr_controller); what it leaves to vmx is the 8259's
 * (ExtINT), held here and injected. docs/interrupts.md tells the whole story. */
#include "kernel/log.h"
#include "vmx/exit_handlers.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_internal.h"

#define RFLAGS_IF (1ull << 9)

static void set_entry_event(struct vcpu *v, uint32_t info, uint32_t error_code, uint32_t insn_len)
{
    v->event_set = true;
    vmcs_write(VMCS_ENTRY_INTERRUPTION_INFO, info);
    if (info & INTR_INFO_DELIVER_ERROR_CODE)
        vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR_CODE, error_code);
    if (insn_len)
        vmcs_write(VMCS_ENTRY_INSTRUCTION_LENGTH, insn_len);
}

void inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error_code)
{
    /* real mode has no error codes: the CPU pushes none (SDM 20.1.4) */
    bool pe = vmcs_read(VMCS_GUEST_CR0) & 1;
    uint32_t info = INTR_INFO_VALID | INTR_TYPE_HARDWARE_EXCEPTION | vector;
    if (has_error && pe)
        info |= INTR_INFO_DELIVER_ERROR_CODE;
    set_entry_event(v, info, error_code, 0);
    log_debug("inject", "exception %u at 0x%llx", vector, (unsigned long long)v->rip);
}

void inject_hold_interrupt(struct vcpu *v, uint8_t vector)
{
    if (v->nheld == VCPU_HELD_MAX) {
        log_warn("inject", "more than %d interrupts held: vector 0x%02x dropped", VCPU_HELD_MAX, vector);
        return;
    }
    v->held[v->nheld++] = vector;
}

static const struct intr_controller *controller;
void intr_controller_set(const struct intr_controller *c) { controller = c; }

void vcpu_wake(struct vcpu *v)
{
    (void)v;
    if (vmcs_read(VMCS_GUEST_ACTIVITY_STATE) == GUEST_ACTIVITY_HLT)
        vmcs_write(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
}

static void interrupt_window(struct vcpu *v, bool on)
{
    bool is_on = v->ctl[VMX_CTL_PROC] & CPU_BASED_INTERRUPT_WINDOW_EXITING;
    if (on != is_on)
        vmx_ctl_change(v, VMX_CTL_PROC, on ? CPU_BASED_INTERRUPT_WINDOW_EXITING : 0,
                       on ? 0 : CPU_BASED_INTERRUPT_WINDOW_EXITING, 0);
}

static void inject_external(struct vcpu *v, uint8_t vector)
{
    set_entry_event(v, INTR_INFO_VALID | INTR_TYPE_EXTERNAL_INTERRUPT | vector, 0, 0);
    vcpu_wake(v);
}

/* Before every VM entry: re-inject an interrupted delivery; else an interrupt for the guest:
 * first one vmx holds from the 8259 (ExtINT, acknowledged on exit), newest first (in the
 * 8259's fully nested mode a later acknowledge is of a higher-priority IRQ), then the virtual
 * APIC's, when the guest can take one (26.3.1.4: IF=1; 26.3.1.5: no STI/MOV-SS blocking);
 * else an interrupt window (25.2) tells vmx when it can. */
static void intr_deliver(struct vcpu *v)
{
    uint32_t idt = v->idt_info;
    if (idt & INTR_INFO_VALID) {
        uint32_t type = idt & INTR_INFO_TYPE_MASK;
        uint32_t len = (type == INTR_TYPE_SOFTWARE_INTERRUPT || type == INTR_TYPE_SOFTWARE_EXCEPTION ||
                        type == INTR_TYPE_PRIV_SOFTWARE_EXCEPTION)
                           ? (uint32_t)vmcs_read(VMCS_EXIT_INSTRUCTION_LENGTH)
                           : 0;
        set_entry_event(v, idt & ~INTR_INFO_NMI_UNBLOCKING_IRET, (uint32_t)vmcs_read(VMCS_IDT_VECTORING_ERROR_CODE), len);
        v->idt_info = 0;
        return;
    }
    int vector = -1;
    if (!v->nheld && v->virq && controller) {
        vector = controller->pending(v);
        if (vector < 0) {   /* blocked by the guest's priorities: its TPR or EOI write exits */
            v->virq = false;
            interrupt_window(v, false);
            return;
        }
    }
    if (!v->nheld && vector < 0) {
        interrupt_window(v, false);
        return;
    }
    uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
    uint64_t intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY_STATE);
    if (!(rflags & RFLAGS_IF) || (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))) {
        interrupt_window(v, true);
        return;
    }
    if (v->nheld) {
        inject_external(v, v->held[--v->nheld]);
    } else {
        inject_external(v, (uint8_t)vector);
        controller->accepted(v, (uint8_t)vector);
    }
    /* more to come: ask to exit as soon as the guest can take the next one */
    interrupt_window(v, v->nheld || v->virq);
}

void intr_before_entry_work(struct vcpu *v)
{
    if (v->nmi_pending)
        nmi_before_entry(v); /* vmx/nmi.c: an NMI goes before interrupts when the guest can take it */
    if (v->event_set)
        return; /* a handler set up an event for this entry */
    if ((v->idt_info & INTR_INFO_VALID) || v->nheld || v->virq)
        intr_deliver(v);
}

enum exit_action exit_external_interrupt(struct vcpu *v)
{
    uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO);
    if (!(info & INTR_INFO_VALID))
        return EXIT_RESUME; /* not acknowledged: vmxlab's controls always acknowledge on exit */
    uint8_t vector = (uint8_t)(info & INTR_INFO_VECTOR_MASK);
    if (controller && controller->external(v, vector))
        return EXIT_RESUME;
    log_debug("intr", "vcpu%u: external interrupt vector 0x%02x from the 8259 (ExtINT): held for injection", v->id,
              vector);
    inject_hold_interrupt(v, vector);
    return EXIT_RESUME;
}

enum exit_action exit_interrupt_window(struct vcpu *v)
{
    (void)v; /* intr_before_entry() injects, and asks for the window again if more wait */
    interrupt_window(v, false);
    return EXIT_RESUME;
}

/* HLT (SDM 25.1.3 with "HLT exiting"): with IF=1 the guest waits for an interrupt: vmxlab
 * re-enters it in the HLT activity state (24.4.2), or injects a held interrupt at once.
 * With IF=0 and nothing held, nothing can wake it: a stuck guest. */
enum exit_action exit_hlt(struct vcpu *v)
{
    uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
    /* SDM Vol.2 HLT: only an enabled interrupt (IF=1), an NMI, SMI or INIT resumes it; an
     * interrupt vmx holds does not wake a CPU that has IF=0 */
    if (!(rflags & RFLAGS_IF)) {
        log_error("exit", "HLT with interrupts disabled (IF=0) at %04llx:%04llx%s: the guest is stuck",
                  (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip,
                  v->nheld || v->virq ? " (an interrupt is pending, but IF=0 masks it)" : " and nothing pending");
        v->stop_status = STATUS_GUEST_FAILED;
        return EXIT_STOP;
    }
    vcpu_skip_instruction(v);
    /* An interrupt that is ready (held, or pending in the virtual APIC above its PPR, which
     * the STI shadow of `sti; hlt` kept from being injected) ends the HLT at once (SDM Vol.2
     * HLT): vmxlab does not enter the HLT activity state, and the VM entry injects it. */
    bool ready = v->nheld || (controller && controller->pending(v) >= 0);
    if (!ready)
        vmcs_write(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_HLT);
    return EXIT_RESUME;
}

/* MONITOR and MWAIT (SDM 25.1.3 with "MONITOR exiting" / "MWAIT exiting"): vmxlab hides them
 * (CPUID.1:ECX[3] = 0, vmx/cpuid.c), so the guest gets #UD as on a CPU without them (SDM
 * Vol.2 MONITOR/MWAIT). Executed natively, an MWAIT would sleep through an interrupt vmxlab
 * holds for injection (only a physical interrupt ends it): an OS idles with HLT instead,
 * which exits (exit_hlt). */
enum exit_action exit_monitor_mwait(struct vcpu *v)
{
    log_info("exit", "%s at %04llx:%04llx: #UD (MONITOR/MWAIT hidden from the guest: CPUID.1:ECX[3] = 0)",
             exit_reason_text(v->exit_reason), (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR),
             (unsigned long long)v->rip);
    inject_ud(v);
    return EXIT_RESUME;
}
