/*
 * test_vlapic.c - the virtual local APIC's register file: reset values (SDM 10.4.7.1/10.4.7.3),
 * read-only and write-only registers, reserved bits, the ESR protocol, software disable,
 * ICR delivery status, EOI, priorities, the timer's current count, APIC-write completion.
 *
 * gcc -std=gnu11 -Wall -Wextra -Werror -I. tests/unit/test_vlapic.c apic/vlapic.c -lcmocka
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "apic/icr.h"
#include "apic/vlapic.h"

static uint32_t page[1024] __attribute__((aligned(4096)));
static uint64_t now;
static uint64_t fake_clock(void) { return now; }

static struct vlapic make(unsigned id)
{
    struct vlapic a;
    memset(page, 0xCC, sizeof(page));
    now = 1000;
    vlapic_setup(&a, page, id, fake_clock);
    return a;
}

static uint32_t rd(struct vlapic *a, uint32_t off) { return vlapic_read(a, off, 4); }

/* SDM 10.4.7.1: after power-up or RESET (and INIT, but for the ID). */
static void test_reset_values(void **s)
{
    (void)s;
    struct vlapic a = make(3);
    assert_int_equal(rd(&a, APIC_ID), 3u << 24);
    assert_int_equal(rd(&a, APIC_VERSION), 0x00050014u);
    assert_int_equal(rd(&a, APIC_TPR), 0);
    assert_int_equal(rd(&a, APIC_PPR), 0);
    assert_int_equal(rd(&a, APIC_LDR), 0);
    assert_int_equal(rd(&a, APIC_DFR), 0xFFFFFFFFu);
    assert_int_equal(rd(&a, APIC_SVR), 0x000000FFu);
    for (uint32_t o = APIC_LVT_TIMER; o <= APIC_LVT_ERROR; o += 0x10)
        assert_int_equal(rd(&a, o), APIC_LVT_MASKED);
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(rd(&a, APIC_ISR + 0x10 * i), 0);
        assert_int_equal(rd(&a, APIC_TMR + 0x10 * i), 0);
        assert_int_equal(rd(&a, APIC_IRR + 0x10 * i), 0);
    }
    assert_int_equal(rd(&a, APIC_ICR_LOW), 0);
    assert_int_equal(rd(&a, APIC_ICR_HIGH), 0);
    assert_int_equal(rd(&a, APIC_TIMER_INITIAL), 0);
    assert_int_equal(rd(&a, APIC_TIMER_CURRENT), 0);
    assert_int_equal(rd(&a, APIC_TIMER_DIVIDE), 0);
    assert_int_equal(rd(&a, APIC_ESR), 0);
    assert_false(vlapic_enabled(&a));
    /* the page is the register file: reserved areas are zero */
    assert_int_equal(page[0], 0);
    assert_int_equal(page[APIC_ID / 4 + 1], 0);
}

/* INIT: every register back to its reset value, except the ID (SDM 10.4.7.3). */
static void test_init_keeps_id(void **s)
{
    (void)s;
    struct vlapic a = make(1);
    vlapic_write(&a, APIC_SVR, 4, 0x1FF);
    vlapic_write(&a, APIC_TPR, 4, 0x20);
    vlapic_write(&a, APIC_LDR, 4, 0x02000000);
    vlapic_write(&a, APIC_DFR, 4, 0x0FFFFFFF);
    vlapic_write(&a, APIC_LVT_LINT0, 4, 0x700);
    vlapic_write(&a, APIC_ICR_HIGH, 4, 0x01000000);
    vlapic_write(&a, APIC_TIMER_INITIAL, 4, 12345);
    vlapic_set_irr(&a, 0x40, true);
    vlapic_ack(&a, 0x40);
    vlapic_set_irr(&a, 0x50, false);
    vlapic_reset(&a);
    assert_int_equal(rd(&a, APIC_ID), 1u << 24);
    assert_int_equal(rd(&a, APIC_SVR), 0xFF);
    assert_int_equal(rd(&a, APIC_TPR), 0);
    assert_int_equal(rd(&a, APIC_LDR), 0);
    assert_int_equal(rd(&a, APIC_DFR), 0xFFFFFFFFu);
    assert_int_equal(rd(&a, APIC_LVT_LINT0), APIC_LVT_MASKED);
    assert_int_equal(rd(&a, APIC_ICR_HIGH), 0);
    assert_int_equal(rd(&a, APIC_TIMER_INITIAL), 0);
    assert_int_equal(vlapic_highest_isr(&a), -1);
    assert_int_equal(vlapic_highest_irr(&a), -1);
    assert_int_equal(rd(&a, APIC_TMR + 0x20), 0);
}

static void test_read_only(void **s)
{
    (void)s;
    struct vlapic a = make(0);
    assert_int_equal(vlapic_write(&a, APIC_ID, 4, 0x05000000), VLAPIC_READ_ONLY);
    assert_int_equal(rd(&a, APIC_ID), 0);
    assert_int_equal(vlapic_write(&a, APIC_VERSION, 4, 0), VLAPIC_READ_ONLY);
    assert_int_equal(rd(&a, APIC_VERSION), VLAPIC_VERSION);
    assert_int_equal(vlapic_write(&a, APIC_PPR, 4, 0xF0), VLAPIC_READ_ONLY);
    assert_int_equal(vlapic_write(&a, APIC_ISR + 0x10, 4, ~0u), VLAPIC_READ_ONLY);
    assert_int_equal(vlapic_write(&a, APIC_IRR + 0x70, 4, ~0u), VLAPIC_READ_ONLY);
    assert_int_equal(vlapic_write(&a, APIC_TIMER_CURRENT, 4, 5), VLAPIC_READ_ONLY);
    assert_int_equal(vlapic_highest_irr(&a), -1);
    assert_int_equal(rd(&a, APIC_ESR), 0);     /* no error for read-only writes */
}

static void test_reserved_bits(void **s)
{
    (void)s;
    struct vlapic a = make(0);
    vlapic_write(&a, APIC_SVR, 4, 0xFFFFFFFF);
    assert_int_equal(rd(&a, APIC_SVR), 0x3FF);
    vlapic_write(&a, APIC_TPR, 4, 0xFFFFFFFF);
    assert_int_equal(rd(&a, APIC_TPR), 0xFF);
    vlapic_write(&a, APIC_LDR, 4, 0xFFFFFFFF);
    assert_int_equal(rd(&a, APIC_LDR), 0xFF000000u);
    vlapic_write(&a, APIC_DFR, 4, 0);
    assert_int_equal(rd(&a, APIC_DFR), 0x0FFFFFFFu);
    vlapic_write(&a, APIC_ICR_HIGH, 4, 0xFFFFFFFF);
    assert_int_equal(rd(&a, APIC_ICR_HIGH), 0xFF000000u);
    vlapic_write(&a, APIC_LVT_LINT0, 4, 0xFFFFFFFF);
    assert_int_equal(rd(&a, APIC_LVT_LINT0), 0x0001A7FFu);   /* delivery status, remote IRR RO */
    vlapic_write(&a, APIC_LVT_TIMER, 4, 0xFFFFFFFF);
    assert_int_equal(rd(&a, APIC_LVT_TIMER), 0x000300FFu);
    vlapic_write(&a, APIC_LVT_ERROR, 4, 0xFFFFFFFF);
    assert_int_equal(rd(&a, APIC_LVT_ERROR), 0x000100FFu);
    vlapic_write(&a, APIC_TIMER_DIVIDE, 4, 0xFFFFFFFF);
    assert_int_equal(rd(&a, APIC_TIMER_DIVIDE), 0xB);
}

static void test_eoi_write_only(void **s)
{
    (void)s;
    struct vlapic a = make(0);
    vlapic_write(&a, APIC_SVR, 4, 0x1FF);
    vlapic_set_irr(&a, 0x31, false);
    vlapic_set_irr(&a, 0x62, true);
    assert_int_equal(vlapic_highest_irr(&a), 0x62);
    vlapic_ack(&a, 0x62);
    vlapic_ack(&a, 0x31);
    assert_int_equal(vlapic_highest_isr(&a), 0x62);
    assert_int_equal(rd(&a, APIC_PPR), 0x60);
    assert_int_equal(rd(&a, APIC_TMR + 0x30), 1u << 2);      /* 0x62: level */
    assert_int_equal(vlapic_write(&a, APIC_EOI, 4, 0), VLAPIC_EOI);
    assert_int_equal(vlapic_last_eoi(&a), 0x62);
    assert_int_equal(rd(&a, APIC_TMR + 0x30), 0);
    assert_int_equal(vlapic_highest_isr(&a), 0x31);
    assert_int_equal(rd(&a, APIC_PPR), 0x30);
    assert_int_equal(rd(&a, APIC_EOI), 0);                   /* write-only: reads 0 */
    vlapic_write(&a, APIC_EOI, 4, 0);
    vlapic_write(&a, APIC_EOI, 4, 0);                        /* nothing in service */
    assert_int_equal(vlapic_last_eoi(&a), -1);
    assert_int_equal(rd(&a, APIC_PPR), 0);
}

static void test_priorities(void **s)
{
    (void)s;
    struct vlapic a = make(0);
    vlapic_write(&a, APIC_TPR, 4, 0x45);
    assert_int_equal(rd(&a, APIC_PPR), 0x45);
    assert_int_equal(vlapic_reg(&a, APIC_PPR), 0x45);         /* the page copy, for APICv */
    vlapic_set_irr(&a, 0x80, false);
    vlapic_ack(&a, 0x80);
    assert_int_equal(rd(&a, APIC_PPR), 0x80);
    assert_int_equal(rd(&a, APIC_APR), 0x00);                /* TPR class 4 < ISRV class 8 */
    assert_int_equal(vlapic_write(&a, APIC_TPR, 4, 0x45), VLAPIC_NO_EFFECT);   /* the same value */
    assert_int_equal(vlapic_write(&a, APIC_TPR, 4, 0x95), VLAPIC_NO_EFFECT);   /* a higher class */
    assert_int_equal(rd(&a, APIC_PPR), 0x95);
    assert_int_equal(vlapic_write(&a, APIC_TPR, 4, 0x9F), VLAPIC_NO_EFFECT);   /* the same class */
    assert_int_equal(vlapic_reg(&a, APIC_PPR), 0x9F);
    assert_int_equal(vlapic_write(&a, APIC_TPR, 4, 0x85), VLAPIC_WROTE);       /* lower: may unblock */
    assert_int_equal(rd(&a, APIC_PPR), 0x85);
    vlapic_write(&a, APIC_TPR, 4, 0x95);
    assert_int_equal(rd(&a, APIC_PPR), 0x95);
    assert_int_equal(rd(&a, APIC_APR), 0x95);
    assert_false(vlapic_set_irr(&a, 0x05, false));           /* illegal vector */
    vlapic_write(&a, APIC_ESR, 4, 0);
    assert_int_equal(rd(&a, APIC_ESR), 1u << 6);
    assert_false(vlapic_set_irr(&a, 0x80, false) && vlapic_set_irr(&a, 0x80, false));
}

/* SDM 10.5.3: write the ESR, then read it; errors are latched at the write. */
static void test_esr_protocol(void **s)
{
    (void)s;
    struct vlapic a = make(0);
    assert_int_equal(vlapic_read(&a, 0x040, 4), 0);          /* no register at 0x40 */
    assert_int_equal(rd(&a, APIC_ESR), 0);                   /* not yet latched */
    assert_int_equal(vlapic_write(&a, APIC_ESR, 4, 0), VLAPIC_WROTE);
    assert_int_equal(rd(&a, APIC_ESR), ESR_ILLEGAL_REGISTER);
    assert_int_equal(vlapic_write(&a, 0x3F0, 4, 1), VLAPIC_ILLEGAL);
    vlapic_error(&a, ESR_SEND_ILLEGAL_VECTOR);
    assert_int_equal(rd(&a, APIC_ESR), ESR_ILLEGAL_REGISTER); /* still the last latch */
    vlapic_write(&a, APIC_ESR, 4, 0xFFFFFFFF);               /* the value written does not matter */
    assert_int_equal(rd(&a, APIC_ESR), ESR_ILLEGAL_REGISTER | ESR_SEND_ILLEGAL_VECTOR);
    vlapic_write(&a, APIC_ESR, 4, 0);
    assert_int_equal(rd(&a, APIC_ESR), 0);
    assert_null(vlapic_reg_name(0x040));
    assert_null(vlapic_reg_name(0x2F0));                     /* no CMCI LVT: max LVT 5 */
}

/* SDM 10.4.7.2: software-disabled, LVT masks are set and cannot be cleared. */
static void test_software_disable(void **s)
{
    (void)s;
    struct vlapic a = make(0);
    vlapic_write(&a, APIC_LVT_LINT0, 4, 0x00000700);         /* disabled: mask stays */
    assert_int_equal(rd(&a, APIC_LVT_LINT0), 0x00010700u);
    assert_int_equal(vlapic_write(&a, APIC_SVR, 4, 0x1FF), VLAPIC_WROTE);
    assert_true(vlapic_enabled(&a));
    vlapic_write(&a, APIC_LVT_LINT0, 4, 0x00000700);
    assert_int_equal(rd(&a, APIC_LVT_LINT0), 0x00000700u);
    vlapic_write(&a, APIC_LVT_ERROR, 4, 0x000000FE);
    assert_int_equal(vlapic_write(&a, APIC_SVR, 4, 0x0FF), VLAPIC_DISABLED);
    assert_int_equal(rd(&a, APIC_LVT_LINT0), 0x00010700u);
    assert_int_equal(rd(&a, APIC_LVT_ERROR), 0x000100FEu);
}

static void test_icr_delivery_status(void **s)
{
    (void)s;
    struct vlapic a = make(0);
    assert_int_equal(vlapic_write(&a, APIC_ICR_HIGH, 4, 0x00000000), VLAPIC_WROTE);
    assert_int_equal(vlapic_write(&a, APIC_ICR_LOW, 4, 0x00004500 | ICR_DELIVERY_PENDING | 0xFFF00000u),
                     VLAPIC_SEND_IPI);
    assert_int_equal(rd(&a, APIC_ICR_LOW), 0x00004500u | ICR_DELIVERY_PENDING);
    vlapic_icr_done(&a);
    assert_int_equal(rd(&a, APIC_ICR_LOW), 0x00004500u);     /* idle: the guest's poll ends */
}

/* Byte and word accesses, and the reserved bytes 4-15 of each slot. */
static void test_partial_access(void **s)
{
    (void)s;
    struct vlapic a = make(2);
    assert_int_equal(vlapic_read(&a, APIC_ID + 3, 1), 2);
    assert_int_equal(vlapic_read(&a, APIC_VERSION, 2), 0x0014);
    assert_int_equal(vlapic_read(&a, APIC_VERSION + 2, 2), 0x0005);
    assert_int_equal(vlapic_read(&a, APIC_VERSION + 4, 4), 0);
    assert_int_equal(vlapic_write(&a, APIC_ICR_HIGH + 3, 1, 0x01), VLAPIC_WROTE);
    assert_int_equal(rd(&a, APIC_ICR_HIGH), 0x01000000u);
    assert_int_equal(vlapic_write(&a, APIC_TPR + 8, 4, 0x20), VLAPIC_ILLEGAL);
    assert_int_equal(rd(&a, APIC_TPR), 0);
    vlapic_write(&a, APIC_ESR, 4, 0);
    assert_int_equal(rd(&a, APIC_ESR), 0);                   /* no ESR bit for reserved bytes */
}

static void test_timer(void **s)
{
    (void)s;
    struct vlapic a = make(0);
    vlapic_write(&a, APIC_TIMER_DIVIDE, 4, 0xB);             /* divide by 1 */
    assert_int_equal(vlapic_write(&a, APIC_TIMER_INITIAL, 4, 1000), VLAPIC_TIMER_ARMED);
    now += 300;
    assert_int_equal(rd(&a, APIC_TIMER_CURRENT), 700);
    now += 5000;
    assert_int_equal(rd(&a, APIC_TIMER_CURRENT), 0);         /* one-shot: stays 0 */
    vlapic_write(&a, APIC_SVR, 4, 0x1FF);
    vlapic_write(&a, APIC_LVT_TIMER, 4, 0x20030);            /* periodic, vector 0x30 */
    vlapic_write(&a, APIC_TIMER_DIVIDE, 4, 0x0);             /* divide by 2 */
    vlapic_write(&a, APIC_TIMER_INITIAL, 4, 100);
    now += 2 * 250;
    assert_int_equal(rd(&a, APIC_TIMER_CURRENT), 50);        /* 250 ticks: 2 periods + 50 */
    vlapic_write(&a, APIC_TIMER_DIVIDE, 4, 0xA);             /* divide by 128 */
    assert_int_equal(rd(&a, APIC_TIMER_DIVIDE), 0xA);
}

/* APIC-write exit: the CPU stored the value; vmxlab applies the rules afterwards. */
static void test_write_done(void **s)
{
    (void)s;
    struct vlapic a = make(0);
    page[APIC_ICR_LOW / 4] = 0x00004500;
    assert_int_equal(vlapic_write_done(&a, APIC_ICR_LOW), VLAPIC_SEND_IPI);
    assert_int_equal(vlapic_reg(&a, APIC_ICR_LOW), 0x00004500u | ICR_DELIVERY_PENDING);
    page[APIC_LDR / 4] = 0x12345678;
    vlapic_write_done(&a, APIC_LDR);
    assert_int_equal(vlapic_reg(&a, APIC_LDR), 0x12000000u);
    page[APIC_ESR / 4] = 0xDEAD;
    vlapic_error(&a, ESR_SEND_ILLEGAL_VECTOR);
    vlapic_write_done(&a, APIC_ESR);
    assert_int_equal(vlapic_reg(&a, APIC_ESR), ESR_SEND_ILLEGAL_VECTOR);
    page[APIC_ID / 4] = 0x07000000;                          /* the guest tried to change its ID */
    assert_int_equal(vlapic_write_done(&a, APIC_ID), VLAPIC_READ_ONLY);
    assert_int_equal(vlapic_reg(&a, APIC_ID), 0);
}

static void test_names(void **s)
{
    (void)s;
    assert_string_equal(vlapic_reg_name(APIC_ICR_LOW), "ICR low");
    assert_string_equal(vlapic_reg_name(APIC_ICR_HIGH + 3), "ICR high");
    assert_string_equal(vlapic_reg_name(APIC_ISR + 0x20), "ISR[2]");
    assert_string_equal(vlapic_reg_name(APIC_IRR + 0x70), "IRR[7]");
    assert_string_equal(vlapic_reg_name(APIC_TMR), "TMR[0]");
    assert_string_equal(vlapic_reg_name(APIC_LVT_TIMER), "LVT timer");
    assert_null(vlapic_reg_name(0x1000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_values),
        cmocka_unit_test(test_init_keeps_id),
        cmocka_unit_test(test_read_only),
        cmocka_unit_test(test_reserved_bits),
        cmocka_unit_test(test_eoi_write_only),
        cmocka_unit_test(test_priorities),
        cmocka_unit_test(test_esr_protocol),
        cmocka_unit_test(test_software_disable),
        cmocka_unit_test(test_icr_delivery_status),
        cmocka_unit_test(test_partial_access),
        cmocka_unit_test(test_timer),
        cmocka_unit_test(test_write_done),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
