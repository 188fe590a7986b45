/*
 * test_exit_events.c - events for the guest, against the fake VMCS (tests/unit/fake_vmcs.h):
 * HLT and the activity state, the interrupt window, injection of held interrupts,
 * re-injection from the IDT-vectoring information, NMIs and NMI blocking.
 * Each test states the SDM rule it checks; the expected values come from the manual, not from
 * vmxlab's constants. The tests named defectN_* are issue 9's defects (docs/cpu-rules.md,
 * docs/interrupts.md): each fails with its fix reverted.
 */
#include "tests/unit/exit_test_common.h"

/* ---- HLT (SDM 25.1.3 "HLT exiting"; activity state SDM 24.4.2) --------------------------- */
/* IF=1 and nothing pending: vmxlab re-enters the guest in the HLT activity state (1), past
 * the HLT (a CPU leaving HLT for an interrupt resumes after it, SDM Vol.2 HLT). */
static void test_hlt_waits(void **s)
{
    (void)s;
    fake_vmcs[VMCS_GUEST_RFLAGS] = 0x2 | RFLAGS_IF_BIT;
    fake_exit(v, EXIT_REASON_HLT, 0, 0xC00, 1);
    assert_int_equal(exit_hlt(v), EXIT_RESUME);
    assert_int_equal(fake_vmcs[VMCS_GUEST_ACTIVITY_STATE], GUEST_ACTIVITY_HLT);
    assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 0xC01);
}

/* IF=1 with an interrupt ready: the HLT ends at once (no HLT activity state), and the next
 * VM entry injects the vector as an external interrupt (SDM 24.8.3 type 0). */
static void test_hlt_interrupt_ready(void **s)
{
    (void)s;
    fake_vmcs[VMCS_GUEST_RFLAGS] = 0x2 | RFLAGS_IF_BIT;
    inject_hold_interrupt(v, 0x08);
    fake_exit(v, EXIT_REASON_HLT, 0, 0xC00, 1);
    assert_int_equal(exit_hlt(v), EXIT_RESUME);
    assert_int_equal(fake_vmcs[VMCS_GUEST_ACTIVITY_STATE], GUEST_ACTIVITY_ACTIVE);
    assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 0xC01);
    intr_before_entry(v);
    assert_int_equal(fake_entry_info(), INFO_VALID | INFO_TYPE(0) | 0x08);
    assert_int_equal(v->nheld, 0);
}

/* Defect 7: HLT with IF=0 is not ended by a maskable interrupt (SDM Vol.2 HLT: "an enabled
 * interrupt", NMI, SMI or INIT resume it): a held interrupt must not wake it. Nothing can,
 * so vmxlab stops the guest (status 1) and says why; RIP stays, nothing is injected. Before
 * the fix a held interrupt woke the guest past the HLT. */
static void test_defect7_hlt_if0_not_woken(void **s)
{
    (void)s;
    inject_hold_interrupt(v, 0x08);
    fake_exit(v, EXIT_REASON_HLT, 0, 0xC00, 1);
    assert_int_equal(exit_hlt(v), EXIT_STOP);
    assert_int_equal(v->stop_status, STATUS_GUEST_FAILED);
    assert_int_equal(fake_vmcs_written[VMCS_GUEST_RIP], 0);
    assert_no_event();
    assert_log(fake_log_find('E', "exit", "HLT", "IF=0", "pending", (char *)0));
}

/* ---- interrupt window and external interrupts (SDM 25.2, 26.3.1.4, 26.3.1.5) ------------- */
/* An 8259 interrupt acknowledged on exit (SDM 27.2.2: the vector in the exit interruption
 * information) while the guest cannot take one (IF=0): held, and interrupt-window exiting set
 * (SDM 24.6.2), no injection (26.3.1.4: an external interrupt needs RFLAGS.IF=1). At the
 * window exit (reason 7) the next entry injects it and the window control is cleared. */
static void test_interrupt_window(void **s)
{
    (void)s;
    fake_vmcs[VMCS_EXIT_INTERRUPTION_INFO] = INFO_VALID | INFO_TYPE(0) | 0x20;
    fake_exit(v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, 0xD00, 0);
    assert_int_equal(exit_external_interrupt(v), EXIT_RESUME);
    intr_before_entry(v);
    assert_no_event();
    assert_true(fake_vmcs[VMCS_CTRL_PROC_BASED] & CPU_BASED_INTERRUPT_WINDOW_EXITING);

    /* IF=1 but blocking by STI (SDM 24.4.2 Table 24-3; 26.3.1.5): still no injection */
    fake_vmcs[VMCS_GUEST_RFLAGS] = 0x2 | RFLAGS_IF_BIT;
    fake_vmcs[VMCS_GUEST_INTERRUPTIBILITY_STATE] = GUEST_INTR_STATE_STI;
    intr_before_entry(v);
    assert_no_event();

    fake_vmcs[VMCS_GUEST_INTERRUPTIBILITY_STATE] = 0;
    fake_exit(v, EXIT_REASON_INTERRUPT_WINDOW, 0, 0xD04, 0);
    assert_int_equal(exit_interrupt_window(v), EXIT_RESUME);
    intr_before_entry(v);
    assert_int_equal(fake_entry_info(), INFO_VALID | INFO_TYPE(0) | 0x20);
    assert_false(fake_vmcs[VMCS_CTRL_PROC_BASED] & CPU_BASED_INTERRUPT_WINDOW_EXITING);
    assert_log(fake_log_find('D', "intr", "0x20", "8259", (char *)0));
}

/* Two held: one injected, the window stays on for the other (one event per VM entry). */
static void test_interrupt_window_two_held(void **s)
{
    (void)s;
    fake_vmcs[VMCS_GUEST_RFLAGS] = 0x2 | RFLAGS_IF_BIT;
    inject_hold_interrupt(v, 0x20);
    inject_hold_interrupt(v, 0x21);
    intr_before_entry(v);
    assert_true(fake_entry_info() & INFO_VALID);
    assert_true(fake_vmcs[VMCS_CTRL_PROC_BASED] & CPU_BASED_INTERRUPT_WINDOW_EXITING);
    fake_exit(v, EXIT_REASON_INTERRUPT_WINDOW, 0, 0xD04, 0);
    exit_interrupt_window(v);
    intr_before_entry(v);
    assert_true(fake_entry_info() & INFO_VALID);
    assert_int_equal(v->nheld, 0);
    assert_false(fake_vmcs[VMCS_CTRL_PROC_BASED] & CPU_BASED_INTERRUPT_WINDOW_EXITING);
}

/* ---- re-injection (SDM 27.2.4 IDT-vectoring information, 26.6.1.1) ----------------------- */
/* An exit during the delivery of an event leaves the event in the IDT-vectoring information;
 * the VMM re-injects it by copying that field (but for bit 12, undefined there) into the
 * entry interruption information, with the error code, and for a software interrupt or
 * exception the instruction length (SDM 26.6.1.1, Table 24-16; 27.2.4). It goes before any
 * held interrupt. */
static void test_reinject_idt_vectoring(void **s)
{
    (void)s;
    protected_mode();
    fake_vmcs[VMCS_GUEST_RFLAGS] = 0x2 | RFLAGS_IF_BIT;
    inject_hold_interrupt(v, 0x20);
    fake_vmcs[VMCS_IDT_VECTORING_INFO] = INFO_VALID | INFO_TYPE(3) | INFO_ERRCODE | (1u << 12) | 14;
    fake_vmcs[VMCS_IDT_VECTORING_ERROR_CODE] = 0x6;
    fake_exit(v, EXIT_REASON_EPT_VIOLATION, 0, 0xE00, 0);
    intr_before_entry(v);
    assert_int_equal(fake_entry_info(), INFO_VALID | INFO_TYPE(3) | INFO_ERRCODE | 14);
    assert_int_equal(fake_vmcs[VMCS_ENTRY_EXCEPTION_ERROR_CODE], 0x6);
    assert_int_equal(v->nheld, 1);   /* the held interrupt waits */

    /* a software interrupt (INT n) interrupted: re-injected with its instruction length */
    fake_vmcs[VMCS_IDT_VECTORING_INFO] = INFO_VALID | INFO_TYPE(4) | 0x21;
    fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] = 0;
    fake_exit(v, EXIT_REASON_EPT_VIOLATION, 0, 0xE00, 2);
    intr_before_entry(v);
    assert_int_equal(fake_entry_info(), INFO_VALID | INFO_TYPE(4) | 0x21);
    assert_int_equal(fake_vmcs[VMCS_ENTRY_INSTRUCTION_LENGTH], 2);
}

/* A handler's own event (here #GP from a refused MSR) is the one this entry delivers: the
 * held interrupt waits (one event per entry, SDM 26.6). */
static void test_handler_event_first(void **s)
{
    (void)s;
    fake_vmcs[VMCS_GUEST_RFLAGS] = 0x2 | RFLAGS_IF_BIT;
    inject_hold_interrupt(v, 0x20);
    v->gpr[GPR_RCX] = 0xC0011029;
    fake_exit(v, EXIT_REASON_RDMSR, 0, 0xF00, 2);
    exit_rdmsr(v);
    intr_before_entry(v);
    assert_int_equal(fake_entry_info(), GP_REAL);
    assert_int_equal(v->nheld, 1);
}

/* ---- NMIs (SDM 24.6.1 virtual NMIs, 24.6.2 NMI-window exiting, 26.6.6) ------------------- */
/* Defect 4: an NMI for the guest while it blocks NMIs (interruptibility bit 3, SDM 24.4.2:
 * from an NMI's delivery to the next IRET) is held: NMI-window exiting on, nothing injected.
 * After the IRET the window exit (reason 8) comes and the entry injects it: type 2, vector 2
 * (SDM 24.8.3). Before the fix the NMI went in at once, inside the handler. */
static void test_defect4_nmi_waits_for_iret(void **s)
{
    (void)s;
    fake_vmcs[VMCS_GUEST_INTERRUPTIBILITY_STATE] = GUEST_INTR_STATE_NMI;
    inject_nmi(v);
    intr_before_entry(v);
    assert_no_event();
    assert_true(fake_vmcs[VMCS_CTRL_PROC_BASED] & CPU_BASED_NMI_WINDOW_EXITING);
    assert_log(fake_log_find('I', "nmi", "NMI held", "NMI-window exiting on", (char *)0));

    fake_vmcs[VMCS_GUEST_INTERRUPTIBILITY_STATE] = 0;   /* the guest's IRET */
    fake_exit(v, EXIT_REASON_NMI_WINDOW, 0, 0x1000, 0);
    exit_nmi_window(v);
    intr_before_entry(v);
    assert_int_equal(fake_entry_info(), INFO_VALID | INFO_TYPE(2) | 2);
    assert_false(fake_vmcs[VMCS_CTRL_PROC_BASED] & CPU_BASED_NMI_WINDOW_EXITING);
    assert_false(v->nmi_pending);
}

/* An NMI wakes a CPU in the HLT activity state (SDM 26.6.2 / 24.4.2). */
static void test_nmi_wakes_hlt(void **s)
{
    (void)s;
    fake_vmcs[VMCS_GUEST_ACTIVITY_STATE] = GUEST_ACTIVITY_HLT;
    inject_nmi(v);
    intr_before_entry(v);
    assert_int_equal(fake_entry_info(), INFO_VALID | INFO_TYPE(2) | 2);
    assert_int_equal(fake_vmcs[VMCS_GUEST_ACTIVITY_STATE], GUEST_ACTIVITY_ACTIVE);
}

#define T(f) cmocka_unit_test_setup(f, setup)
int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_hlt_waits),
        T(test_hlt_interrupt_ready),
        T(test_defect7_hlt_if0_not_woken),
        T(test_interrupt_window),
        T(test_interrupt_window_two_held),
        T(test_reinject_idt_vectoring),
        T(test_handler_event_first),
        T(test_defect4_nmi_waits_for_iret),
        T(test_nmi_wakes_hlt),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
