/*
 * test_irq.c - apic/irq.c against a fake VMCS and a fake physical local APIC: where an
 * acknowledged interrupt goes (local APIC edge / level, 8259 ExtINT, spurious), the physical
 * EOI it owes (at once for edge, at the guest's EOI for level, with the EOI-exit bitmap on
 * apicv), the priority rule for injection on the decode path (SDM 10.8.3.1), and the mode
 * switch at the guest's SVR write (external-interrupt exiting, virtual-interrupt delivery).
 *
 * gcc -std=gnu11 -I. tests/unit/test_irq.c apic/irq.c apic/vlapic.c -lcmocka
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
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_defs.h"

/* ---- fakes -------------------------------------------------------------------------- */
struct apic_state apic;
enum log_level log_threshold = LOG_ERROR;
void klog(enum log_level l, const char *m, const char *f, ...) { (void)l, (void)m, (void)f; }
void panic(const char *f, ...) { (void)f; fail_msg("panic"); abort(); }
void stop_hook_register(void (*fn)(int)) { (void)fn; }
void exit_handler_set(unsigned r, exit_handler_t fn) { (void)r, (void)fn; }
static const struct intr_controller *ctrl;
void intr_controller_set(const struct intr_controller *c) { ctrl = c; }
static int woken;
void vcpu_wake(struct vcpu *v) { (void)v, woken++; }

static uint64_t vmcs[0x7000];
uint64_t vmcs_read(uint64_t f) { return vmcs[f]; }
void vmcs_write(uint64_t f, uint64_t v) { vmcs[f] = v; }
static uint32_t ctl[VMX_CTL_COUNT];
bool vmx_ctl_change(struct vcpu *v, enum vmx_ctl c, uint32_t set, uint32_t clear, uint32_t *missing)
{
    (void)v, (void)missing;
    ctl[c] = (ctl[c] | set) & ~clear;
    return true;
}

static uint32_t phys[1024];  /* the physical APIC's page */
static unsigned phys_eois;
void papic_init(void) {}
uint32_t papic_read(uint32_t off) { return phys[off / 4]; }
void papic_write(uint32_t off, uint32_t val)
{
    if (off == APIC_EOI)
        phys_eois++;
    phys[off / 4] = val;
}
bool papic_test(uint32_t bank, uint8_t v) { return (phys[(bank + 0x10u * (v >> 5)) / 4] >> (v & 31)) & 1; }
static void phys_set(uint32_t bank, uint8_t v) { phys[(bank + 0x10u * (v >> 5)) / 4] |= 1u << (v & 31); }

static uint32_t vpage[1024] __attribute__((aligned(4096)));
static struct vcpu vcpu;

static void setup(enum apic_path path)
{
    memset(&apic, 0, sizeof(apic));
    memset(vmcs, 0, sizeof(vmcs));
    memset(ctl, 0, sizeof(ctl));
    memset(phys, 0, sizeof(phys));
    memset(&vcpu, 0, sizeof(vcpu));
    phys_eois = 0, woken = 0;
    phys[APIC_SVR / 4] = 0x1FF;
    apic.path = path;
    vlapic_init(&apic.vcpu[0].vl, vpage, 0, 0);
    apic_irq_init();
    apic_irq_vcpu_init(&vcpu);
    vlapic_write(&apic.vcpu[0].vl, APIC_SVR, 4, 0x1FF);   /* the guest enables its APIC */
    apic_irq_mode_update(&vcpu);
}

static void test_mode_switch(void **s)
{
    (void)s;
    setup(APIC_PATH_APICV);
    assert_true(apic.vcpu[0].virtualized);
    assert_true(ctl[VMX_CTL_PIN] & PIN_EXTERNAL_INTERRUPT_EXITING);
    /* never virtual-interrupt delivery: vmx injects (docs/interrupts.md, the Bochs 2.7 bug) */
    assert_false(ctl[VMX_CTL_PROC2] & SECONDARY_VIRTUAL_INTERRUPT_DELIVERY);
    vlapic_write(&apic.vcpu[0].vl, APIC_SVR, 4, 0xFF);    /* software-disabled again: direct */
    apic_irq_mode_update(&vcpu);
    assert_false(apic.vcpu[0].virtualized);
    assert_false(ctl[VMX_CTL_PIN] & PIN_EXTERNAL_INTERRUPT_EXITING);
}

/* edge: physical EOI at once; pending in the virtual IRR, for vmx to inject */
static void test_edge_apicv(void **s)
{
    (void)s;
    setup(APIC_PATH_APICV);
    phys_set(APIC_ISR, 0x40);
    assert_true(ctrl->external(&vcpu, 0x40));
    assert_int_equal(phys_eois, 1);
    assert_int_equal(vlapic_highest_irr(&apic.vcpu[0].vl), 0x40);
    assert_true(vcpu.virq);
    assert_int_equal(ctrl->pending(&vcpu), 0x40);
    assert_int_equal(apic.vcpu[0].stats.lapic, 1);
}

/* level: the physical EOI waits for the guest's EOI of that vector (its APIC-write exit) */
static void test_level_apicv(void **s)
{
    (void)s;
    setup(APIC_PATH_APICV);
    phys_set(APIC_ISR, 0x71);
    phys_set(APIC_TMR, 0x71);
    assert_true(ctrl->external(&vcpu, 0x71));
    assert_int_equal(phys_eois, 0);
    apic_irq_guest_eoi(&vcpu, 0x40);            /* another vector: nothing owed */
    assert_int_equal(phys_eois, 0);
    apic_irq_guest_eoi(&vcpu, 0x71);
    assert_int_equal(phys_eois, 1);
    apic_irq_guest_eoi(&vcpu, 0x71);            /* forwarded once only */
    assert_int_equal(phys_eois, 1);
    assert_int_equal(apic.vcpu[0].stats.eoi_forwarded, 1);
}

/* no physical ISR bit: the 8259's (ExtINT), for vmx to hold; the spurious vector is dropped */
static void test_extint_and_spurious(void **s)
{
    (void)s;
    setup(APIC_PATH_DECODE);
    assert_false(ctrl->external(&vcpu, 0x08));
    assert_int_equal(apic.vcpu[0].stats.extint, 1);
    assert_true(ctrl->external(&vcpu, 0xFF));
    assert_int_equal(apic.vcpu[0].stats.spurious, 1);
    assert_int_equal(vlapic_highest_irr(&apic.vcpu[0].vl), -1);
    assert_int_equal(phys_eois, 0);
}

/* decode: vmx injects the highest IRR vector whose class is above the PPR's (SDM 10.8.3.1) */
static void test_decode_priority(void **s)
{
    (void)s;
    setup(APIC_PATH_DECODE);
    vlapic_write(&apic.vcpu[0].vl, APIC_TPR, 4, 0x50);
    phys_set(APIC_ISR, 0x45);
    assert_true(ctrl->external(&vcpu, 0x45));
    assert_true(vcpu.virq);
    assert_int_equal(ctrl->pending(&vcpu), -1);   /* class 4 <= TPR class 5 */
    vlapic_write(&apic.vcpu[0].vl, APIC_TPR, 4, 0x20);
    assert_int_equal(ctrl->pending(&vcpu), 0x45);
    ctrl->accepted(&vcpu, 0x45);
    assert_int_equal(vlapic_highest_isr(&apic.vcpu[0].vl), 0x45);
    assert_false(vcpu.virq);
    apic_irq_post(&vcpu, 0x41, false);           /* same class as the one in service */
    assert_int_equal(ctrl->pending(&vcpu), -1);
    vlapic_write(&apic.vcpu[0].vl, APIC_EOI, 4, 0);
    apic_irq_reevaluate(&vcpu);
    assert_int_equal(ctrl->pending(&vcpu), 0x41);
}

/* apicv: a vector the guest's TPR blocks sets the TPR threshold to its class, so the TPR write
 * that unblocks it exits (reason 43; the TPR shadow lets the others through) */
static void test_apicv_tpr_threshold(void **s)
{
    (void)s;
    setup(APIC_PATH_APICV);
    vlapic_write(&apic.vcpu[0].vl, APIC_TPR, 4, 0x50);
    apic_irq_post(&vcpu, 0x45, false);
    assert_int_equal(ctrl->pending(&vcpu), -1);
    assert_int_equal(vmcs[VMCS_TPR_THRESHOLD], 4);
    vlapic_write(&apic.vcpu[0].vl, APIC_TPR, 4, 0x30);   /* what the CPU stores in the page */
    assert_int_equal(ctrl->pending(&vcpu), 0x45);
}

/* INIT: owed physical EOIs are sent, the physical timer stops */
static void test_reset(void **s)
{
    (void)s;
    setup(APIC_PATH_DECODE);
    phys_set(APIC_ISR, 0x71);
    phys_set(APIC_TMR, 0x71);
    ctrl->external(&vcpu, 0x71);
    phys[APIC_TIMER_INITIAL / 4] = 1234;
    apic_irq_reset(&vcpu);
    assert_int_equal(phys_eois, 1);
    assert_int_equal(phys[APIC_TIMER_INITIAL / 4], 0);
    assert_true(phys[APIC_LVT_TIMER / 4] & APIC_LVT_MASKED);
}

/* the guest's timer registers go to the physical APIC; the current count comes back */
static void test_timer(void **s)
{
    (void)s;
    setup(APIC_PATH_APICV);
    vlapic_write(&apic.vcpu[0].vl, APIC_TIMER_DIVIDE, 4, 3);
    vlapic_write(&apic.vcpu[0].vl, APIC_LVT_TIMER, 4, (1u << 17) | 0xEC);
    apic_timer_sync(&vcpu, APIC_LVT_TIMER);
    assert_int_equal(phys[APIC_LVT_TIMER / 4], (1u << 17) | 0xEC);
    assert_int_equal(phys[APIC_TIMER_DIVIDE / 4], 3);
    assert_int_equal(phys[APIC_TIMER_INITIAL / 4], 0);   /* only an initial-count write starts it */
    vlapic_write(&apic.vcpu[0].vl, APIC_TIMER_INITIAL, 4, 5000);
    apic_timer_sync(&vcpu, APIC_TIMER_INITIAL);
    assert_int_equal(phys[APIC_TIMER_INITIAL / 4], 5000);
    phys[APIC_TIMER_CURRENT / 4] = 4321;
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
    vlapic_init(&apic.vcpu[1].vl, vpage1, 1, 0);
    vlapic_write(&apic.vcpu[1].vl, APIC_SVR, 4, 0x1FF);
    apic_irq_mode_update(&v1);
    assert_true(apic.vcpu[1].virtualized);

    phys_set(APIC_ISR, 0x71);
    phys_set(APIC_TMR, 0x71);     /* level-triggered, arriving on vCPU 1 */
    assert_true(ctrl->external(&v1, 0x71));
    assert_int_equal(vlapic_highest_irr(&apic.vcpu[1].vl), 0x71);
    assert_int_equal(vlapic_highest_irr(&apic.vcpu[0].vl), -1);
    assert_true(v1.virq);
    assert_false(vcpu.virq);
    assert_int_equal(apic.vcpu[1].stats.level, 1);
    assert_int_equal(apic.vcpu[0].stats.level, 0);
    apic_irq_guest_eoi(&vcpu, 0x71);   /* vCPU 0 owes nothing for 0x71 */
    assert_int_equal(phys_eois, 0);
    apic_irq_guest_eoi(&v1, 0x71);
    assert_int_equal(phys_eois, 1);
    assert_int_equal(apic.vcpu[1].stats.eoi_forwarded, 1);
    assert_int_equal(apic.vcpu[0].stats.eoi_forwarded, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_switch),        cmocka_unit_test(test_edge_apicv),
        cmocka_unit_test(test_level_apicv),        cmocka_unit_test(test_extint_and_spurious),
        cmocka_unit_test(test_decode_priority),    cmocka_unit_test(test_apicv_tpr_threshold),    cmocka_unit_test(test_reset),
        cmocka_unit_test(test_timer),              cmocka_unit_test(test_two_vcpus_apart),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
