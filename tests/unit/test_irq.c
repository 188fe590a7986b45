/*
 * test_irq.c - apic/irq.c against a fake VMCS and a fake physical local APIC: where an
 * acknowledged interrupt goes (local APIC edge / level, 8259 ExtINT, spurious), the physical
 * EOI it owes (at once for edge, at the guest's EOI for level, with the EOI-exit bitmap on
 * apicv), the priority rule for injection on the decode path (SDM 10.8.3.1), and the mode
 * switch at the guest's SVR write (external-interrupt exiting, virtual-interrupt delivery).
 *
 * gcc -std=gnu11 -DVMXLAB_HOST_TEST -I. tests/unit/test_irq.c tests/unit/fake_vmcs.c apic/irq.c apic/vlapic.c
 *     vmx/vmx_caps.c -lcmocka
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apic/apic_internal.h"
#include "apic/papic.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "tests/unit/fake_vmcs.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_defs.h"

/* The fake VMCS, CPU, log and physical local APIC: tests/unit/fake_vmcs.h. apic.c (where the
 * apic global lives) is not linked. */
struct apic_state apic;

static uint32_t vpage[1024] __attribute__((aligned(4096)));
static struct vcpu vcpu;

static void setup(enum apic_path path)
{
    fake_reset();
    memset(&apic, 0, sizeof(apic));
    memset(&vcpu, 0, sizeof(vcpu));
    apic.path = path;
    vlapic_setup(&apic.vcpu[0].vl, vpage, 0, 0);
    apic_irq_setup();
    apic_irq_vcpu_setup(&vcpu);
    vlapic_write(&apic.vcpu[0].vl, APIC_SVR, 4, 0x1FF);   /* the guest enables its APIC */
    apic_irq_mode_update(&vcpu);
}

static void test_mode_switch(void **s)
{
    (void)s;
    setup(APIC_PATH_APICV);
    assert_true(apic.vcpu[0].virtualized);
    assert_true(vcpu.ctl[VMX_CTL_PIN] & PIN_EXTERNAL_INTERRUPT_EXITING);
    /* never virtual-interrupt delivery: vmx injects (docs/interrupts.md, the Bochs 2.7 bug) */
    assert_false(vcpu.ctl[VMX_CTL_PROC2] & SECONDARY_VIRTUAL_INTERRUPT_DELIVERY);
    vlapic_write(&apic.vcpu[0].vl, APIC_SVR, 4, 0xFF);    /* software-disabled again: direct */
    apic_irq_mode_update(&vcpu);
    assert_false(apic.vcpu[0].virtualized);
    assert_false(vcpu.ctl[VMX_CTL_PIN] & PIN_EXTERNAL_INTERRUPT_EXITING);
}

/* Defect 6: while the guest's local APIC is software-disabled (SVR bit 8 = 0, as after reset
 * and INIT, SDM 10.4.7.1 and 10.4.7.2), interrupts reach the guest directly: no
 * external-interrupt exiting (SDM 24.6.1), so an 8259 interrupt that arrives while the guest
 * has IF=0 is not acknowledged by the CPU and stays in the 8259's IRR, maskable there (SDM
 * 6.8.1), as on bare metal. Before the fix every interrupt exited, was acknowledged, and was
 * delivered later even when the guest masked the IRQ meanwhile. */
static void test_defect6_apic_disabled_no_exits(void **s)
{
    (void)s;
    fake_reset();
    memset(&apic, 0, sizeof(apic));
    memset(&vcpu, 0, sizeof(vcpu));
    apic.path = APIC_PATH_DECODE;
    vlapic_setup(&apic.vcpu[0].vl, vpage, 0, 0);   /* SVR 0xFF: software-disabled */
    apic_irq_setup();
    apic_irq_vcpu_setup(&vcpu);
    apic_irq_mode_update(&vcpu);
    assert_false(vcpu.ctl[VMX_CTL_PIN] & PIN_EXTERNAL_INTERRUPT_EXITING);
    assert_false(fake_vmcs[VMCS_CTRL_PIN_BASED] & PIN_EXTERNAL_INTERRUPT_EXITING);
    vlapic_write(&apic.vcpu[0].vl, APIC_SVR, 4, 0x1FF);
    apic_irq_mode_update(&vcpu);
    assert_true(fake_vmcs[VMCS_CTRL_PIN_BASED] & PIN_EXTERNAL_INTERRUPT_EXITING);
    vlapic_reset(&apic.vcpu[0].vl);                 /* INIT: disabled again */
    apic_irq_mode_update(&vcpu);
    assert_false(fake_vmcs[VMCS_CTRL_PIN_BASED] & PIN_EXTERNAL_INTERRUPT_EXITING);
    assert_non_null(fake_log_find('I', "intr", "software-disabled", "directly", (char *)0));
}

/* edge: physical EOI at once; pending in the virtual IRR, for vmx to inject */
static void test_edge_apicv(void **s)
{
    (void)s;
    setup(APIC_PATH_APICV);
    fake_papic_set(APIC_ISR, 0x40);
    assert_true(fake_intr_controller->external(&vcpu, 0x40));
    assert_int_equal(fake_papic_eois, 1);
    assert_int_equal(vlapic_highest_irr(&apic.vcpu[0].vl), 0x40);
    assert_true(vcpu.virq);
    assert_int_equal(fake_intr_controller->pending(&vcpu), 0x40);
    assert_int_equal(apic.vcpu[0].stats.lapic, 1);
}

/* level: the physical EOI waits for the guest's EOI of that vector (its APIC-write exit) */
static void test_level_apicv(void **s)
{
    (void)s;
    setup(APIC_PATH_APICV);
    fake_papic_set(APIC_ISR, 0x71);
    fake_papic_set(APIC_TMR, 0x71);
    assert_true(fake_intr_controller->external(&vcpu, 0x71));
    assert_int_equal(fake_papic_eois, 0);
    apic_irq_guest_eoi(&vcpu, 0x40);            /* another vector: nothing owed */
    assert_int_equal(fake_papic_eois, 0);
    apic_irq_guest_eoi(&vcpu, 0x71);
    assert_int_equal(fake_papic_eois, 1);
    apic_irq_guest_eoi(&vcpu, 0x71);            /* forwarded once only */
    assert_int_equal(fake_papic_eois, 1);
    assert_int_equal(apic.vcpu[0].stats.eoi_forwarded, 1);
}

/* no physical ISR bit: the 8259's (ExtINT), for vmx to hold; the spurious vector is dropped */
static void test_extint_and_spurious(void **s)
{
    (void)s;
    setup(APIC_PATH_DECODE);
    assert_false(fake_intr_controller->external(&vcpu, 0x08));
    assert_int_equal(apic.vcpu[0].stats.extint, 1);
    assert_true(fake_intr_controller->external(&vcpu, 0xFF));
    assert_int_equal(apic.vcpu[0].stats.spurious, 1);
    assert_int_equal(vlapic_highest_irr(&apic.vcpu[0].vl), -1);
    assert_int_equal(fake_papic_eois, 0);
}

/* decode: vmx injects the highest IRR vector whose class is above the PPR's (SDM 10.8.3.1) */
static void test_decode_priority(void **s)
{
    (void)s;
    setup(APIC_PATH_DECODE);
    vlapic_write(&apic.vcpu[0].vl, APIC_TPR, 4, 0x50);
    fake_papic_set(APIC_ISR, 0x45);
    assert_true(fake_intr_controller->external(&vcpu, 0x45));
    assert_true(vcpu.virq);
    assert_int_equal(fake_intr_controller->pending(&vcpu), -1);   /* class 4 <= TPR class 5 */
    vlapic_write(&apic.vcpu[0].vl, APIC_TPR, 4, 0x20);
    assert_int_equal(fake_intr_controller->pending(&vcpu), 0x45);
    fake_intr_controller->accepted(&vcpu, 0x45);
    assert_int_equal(vlapic_highest_isr(&apic.vcpu[0].vl), 0x45);
    assert_false(vcpu.virq);
    apic_irq_post(&vcpu, 0x41, false);           /* same class as the one in service */
    assert_int_equal(fake_intr_controller->pending(&vcpu), -1);
    vlapic_write(&apic.vcpu[0].vl, APIC_EOI, 4, 0);
    apic_irq_reevaluate(&vcpu);
    assert_int_equal(fake_intr_controller->pending(&vcpu), 0x41);
}

/* apicv: a vector the guest's TPR blocks sets the TPR threshold to its class, so the TPR write
 * that unblocks it exits (reason 43; the TPR shadow lets the others through) */
static void test_apicv_tpr_threshold(void **s)
{
    (void)s;
    setup(APIC_PATH_APICV);
    vlapic_write(&apic.vcpu[0].vl, APIC_TPR, 4, 0x50);
    apic_irq_post(&vcpu, 0x45, false);
    assert_int_equal(fake_intr_controller->pending(&vcpu), -1);
    assert_int_equal(fake_vmcs[VMCS_TPR_THRESHOLD], 4);
    vlapic_write(&apic.vcpu[0].vl, APIC_TPR, 4, 0x30);   /* what the CPU stores in the page */
    assert_int_equal(fake_intr_controller->pending(&vcpu), 0x45);
}

/* INIT: owed physical EOIs are sent, the physical timer stops */
static void test_reset(void **s)
{
    (void)s;
    setup(APIC_PATH_DECODE);
    fake_papic_set(APIC_ISR, 0x71);
    fake_papic_set(APIC_TMR, 0x71);
    fake_intr_controller->external(&vcpu, 0x71);
    fake_papic[APIC_TIMER_INITIAL / 4] = 1234;
    apic_irq_reset(&vcpu);
    assert_int_equal(fake_papic_eois, 1);
    assert_int_equal(fake_papic[APIC_TIMER_INITIAL / 4], 0);
    assert_true(fake_papic[APIC_LVT_TIMER / 4] & APIC_LVT_MASKED);
}

/* the guest's timer registers go to the physical APIC; the current count comes back */
static void test_timer(void **s)
{
    (void)s;
    setup(APIC_PATH_APICV);
    vlapic_write(&apic.vcpu[0].vl, APIC_TIMER_DIVIDE, 4, 3);
    vlapic_write(&apic.vcpu[0].vl, APIC_LVT_TIMER, 4, (1u << 17) | 0xEC);
    apic_timer_sync(&vcpu, APIC_LVT_TIMER);
    assert_int_equal(fake_papic[APIC_LVT_TIMER / 4], (1u << 17) | 0xEC);
    assert_int_equal(fake_papic[APIC_TIMER_DIVIDE / 4], 3);
    assert_int_equal(fake_papic[APIC_TIMER_INITIAL / 4], 0);   /* only an initial-count write starts it */
    vlapic_write(&apic.vcpu[0].vl, APIC_TIMER_INITIAL, 4, 5000);
    apic_timer_sync(&vcpu, APIC_TIMER_INITIAL);
    assert_int_equal(fake_papic[APIC_TIMER_INITIAL / 4], 5000);
    fake_papic[APIC_TIMER_CURRENT / 4] = 4321;
    assert_int_equal(vlapic_read(&apic.vcpu[0].vl, APIC_TIMER_CURRENT, 4), 4321);
}

/* Two vCPUs (issue 10): each has its own virtual APIC, owed EOIs and counts (apic_of(v)). */
static uint32_t vpage1[1024] __attribute__((aligned(4096)));
static void test_two_vcpus_apart(void **s)
{
    (void)s;
    setup(APIC_PATH_DECODE);
    struct vcpu v1;
    memset(&v1, 0, sizeof(v1));
    v1.id = 1;
    apic.nvcpus = 2;
    vlapic_setup(&apic.vcpu[1].vl, vpage1, 1, 0);
    vlapic_write(&apic.vcpu[1].vl, APIC_SVR, 4, 0x1FF);
    apic_irq_mode_update(&v1);
    assert_true(apic.vcpu[1].virtualized);

    fake_papic_set(APIC_ISR, 0x71);
    fake_papic_set(APIC_TMR, 0x71);     /* level-triggered, arriving on vCPU 1 */
    assert_true(fake_intr_controller->external(&v1, 0x71));
    assert_int_equal(vlapic_highest_irr(&apic.vcpu[1].vl), 0x71);
    assert_int_equal(vlapic_highest_irr(&apic.vcpu[0].vl), -1);
    assert_true(v1.virq);
    assert_false(vcpu.virq);
    assert_int_equal(apic.vcpu[1].stats.level, 1);
    assert_int_equal(apic.vcpu[0].stats.level, 0);
    apic_irq_guest_eoi(&vcpu, 0x71);   /* vCPU 0 owes nothing for 0x71 */
    assert_int_equal(fake_papic_eois, 0);
    apic_irq_guest_eoi(&v1, 0x71);
    assert_int_equal(fake_papic_eois, 1);
    assert_int_equal(apic.vcpu[1].stats.eoi_forwarded, 1);
    assert_int_equal(apic.vcpu[0].stats.eoi_forwarded, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_switch),
        cmocka_unit_test(test_defect6_apic_disabled_no_exits),
        cmocka_unit_test(test_edge_apicv),
        cmocka_unit_test(test_level_apicv),
        cmocka_unit_test(test_extint_and_spurious),
        cmocka_unit_test(test_decode_priority),
        cmocka_unit_test(test_apicv_tpr_threshold),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_timer),
        cmocka_unit_test(test_two_vcpus_apart),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
