/*
 * test_icr.c - ICR decoding (SDM 10.6.1, Figure 10-12) and classification by SDM Table 10-3,
 * with the log lines vmxlab prints.
 *
 * gcc -std=gnu11 -Wall -Wextra -Werror -I. tests/unit/test_icr.c apic/icr.c -lcmocka
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "apic/icr.h"

/* One vCPU (vmxlab today), APIC enabled, flat logical ID 1, not waiting for SIPI. */
static struct icr_env one_vcpu(void)
{
    struct icr_env e = {.self = 0, .nvcpus = 1};
    e.vcpu[0] = (struct icr_vcpu_view){.ldr = 0x01000000u, .dfr = 0xFFFFFFFFu, .apic_enabled = true};
    return e;
}

static struct icr_env two_vcpus(void)
{
    struct icr_env e = one_vcpu();
    e.nvcpus = 2;
    e.vcpu[1] = (struct icr_vcpu_view){.ldr = 0x02000000u, .dfr = 0xFFFFFFFFu, .wait_for_sipi = true,
                                       .apic_enabled = true};
    return e;
}

static struct icr_decision classify(uint32_t low, uint32_t high, const struct icr_env *e)
{
    struct icr_decision d;
    memset(&d, 0x5A, sizeof(d));
    icr_classify(low, high, e, &d);
    return d;
}

static void expect_line(uint32_t low, uint32_t high, const struct icr_env *e, const char *want)
{
    struct icr_decision d = classify(low, high, e);
    char buf[200];
    int n = icr_describe(&d, low, high, buf, sizeof(buf));
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_decode_fields(void **s)
{
    (void)s;
    struct icr i;
    icr_decode(0x00004500u, 0x00000000u, &i);          /* the seed's INIT */
    assert_int_equal(i.vector, 0);
    assert_int_equal(i.delivery, ICR_DM_INIT);
    assert_false(i.logical);
    assert_false(i.pending);
    assert_true(i.level_assert);
    assert_false(i.trigger_level);
    assert_int_equal(i.shorthand, ICR_SH_NONE);
    assert_int_equal(i.dest, 0);

    icr_decode(0x000CDFFFu, 0xFF000000u, &i);          /* every bit set */
    assert_int_equal(i.vector, 0xFF);
    assert_int_equal(i.delivery, 7);
    assert_true(i.logical);
    assert_true(i.pending);
    assert_true(i.level_assert);
    assert_true(i.trigger_level);
    assert_int_equal(i.shorthand, ICR_SH_ALL_EXCL);
    assert_int_equal(i.dest, 0xFF);

    icr_decode(0x00000608u, 0x01000000u, &i);          /* SIPI vector 8 to APIC 1 */
    assert_int_equal(i.delivery, ICR_DM_STARTUP);
    assert_int_equal(i.vector, 8);
    assert_int_equal(i.dest, 1);

    assert_string_equal(icr_delivery_name(ICR_DM_STARTUP), "SIPI");
    assert_string_equal(icr_shorthand_name(ICR_SH_ALL_INCL), "all including self");
}

/* INIT level-assert to the own ID: reset; the line of the issue. */
static void test_init_self_by_id(void **s)
{
    (void)s;
    struct icr_env e = one_vcpu();
    struct icr_decision d = classify(0x00004500u, 0, &e);
    assert_int_equal(d.action, ICR_DELIVER_INIT);
    assert_int_equal(d.targets, 1);
    assert_null(d.why);
    expect_line(0x00004500u, 0, &e, "ICR 0x00004500 dest 00 -> INIT to vcpu0");
    /* level trigger with level assert: sent as edge (Table 10-3 note 2) */
    assert_int_equal(classify(0x0000C500u, 0, &e).action, ICR_DELIVER_INIT);
}

/* Broadcast including self: physical FFh, logical FFh, a logical mask that names us. */
static void test_init_broadcast(void **s)
{
    (void)s;
    struct icr_env e = one_vcpu();
    struct icr_decision d = classify(0x00004500u, 0xFF000000u, &e);
    assert_int_equal(d.action, ICR_DELIVER_INIT);
    assert_int_equal(d.targets, 1);
    d = classify(0x00004D00u, 0xFF000000u, &e);            /* logical broadcast */
    assert_int_equal(d.action, ICR_DELIVER_INIT);
    d = classify(0x00004D00u, 0x03000000u, &e);            /* logical mask 0b11 includes ID 1 */
    assert_int_equal(d.action, ICR_DELIVER_INIT);
    d = classify(0x00004D00u, 0x02000000u, &e);            /* logical mask misses us */
    assert_int_equal(d.action, ICR_DROPPED);

    struct icr_env two = two_vcpus();
    d = classify(0x00004500u, 0xFF000000u, &two);
    assert_int_equal(d.targets, 3);
    expect_line(0x00004500u, 0xFF000000u, &two, "ICR 0x00004500 dest ff -> INIT to vcpu0+vcpu1");
    d = classify(0x000C4500u, 0, &two);                    /* all excluding self: valid */
    assert_int_equal(d.action, ICR_DELIVER_INIT);
    assert_int_equal(d.targets, 2);
    d = classify(0x000C4500u, 0, &e);                      /* ... with nobody else */
    assert_int_equal(d.action, ICR_DROPPED);
}

static void test_init_deassert_ignored(void **s)
{
    (void)s;
    struct icr_env e = one_vcpu();
    struct icr_decision d = classify(0x00008500u, 0, &e);  /* INIT, level trigger, de-assert */
    assert_int_equal(d.action, ICR_IGNORED);
    assert_int_equal(d.targets, 0);
    expect_line(0x00008500u, 0, &e,
                "ICR 0x00008500 dest 00 -> ignored: INIT level de-assert: a P6 message, ignored by the xAPIC (SDM 10.6.1)");
    d = classify(0x000C8500u, 0, &e);                      /* the broadcast form Linux once sent */
    assert_int_equal(d.action, ICR_IGNORED);
}

static void test_self_shorthand_invalid(void **s)
{
    (void)s;
    struct icr_env e = one_vcpu();
    expect_line(0x00044500u, 0, &e,
                "ICR 0x00044500 dest 00 -> refused: INIT with the self shorthand is not a valid combination (SDM Table 10-3)");
    expect_line(0x00044608u, 0, &e,
                "ICR 0x00044608 dest 00 -> refused: SIPI with the self shorthand is not a valid combination (SDM Table 10-3)");
    assert_int_equal(classify(0x00044400u, 0, &e).action, ICR_INVALID);   /* NMI, self */
    assert_int_equal(classify(0x00084500u, 0, &e).action, ICR_INVALID);   /* INIT, all incl. self */
    assert_int_equal(classify(0x00084608u, 0, &e).action, ICR_INVALID);   /* SIPI, all incl. self */
    assert_int_equal(classify(0x00044140u, 0, &e).action, ICR_INVALID);   /* lowest priority, self */
    struct icr_decision d = classify(0x00084500u, 0, &e);
    assert_string_equal(d.why, "INIT with the all-including-self shorthand is not a valid combination (SDM Table 10-3)");
    assert_int_equal(d.targets, 0);
}

static void test_sipi(void **s)
{
    (void)s;
    struct icr_env e = one_vcpu();
    struct icr_decision d = classify(0x00004608u, 0, &e);  /* to ourselves: not waiting */
    assert_int_equal(d.action, ICR_IGNORED);
    assert_string_equal(d.why, "SIPI to a vCPU that is not waiting for SIPI (SDM 8.4.2)");

    struct icr_env two = two_vcpus();
    d = classify(0x00004608u, 0x01000000u, &two);
    assert_int_equal(d.action, ICR_DELIVER_SIPI);
    assert_int_equal(d.targets, 2);
    assert_int_equal(d.vector, 8);
    expect_line(0x00004608u, 0x01000000u, &two, "ICR 0x00004608 dest 01 -> SIPI vector 0x08 to vcpu1 (start at 0800:0000)");
    d = classify(0x000C4608u, 0, &two);                    /* all excluding self: vcpu1 only */
    assert_int_equal(d.targets, 2);
    two.vcpu[1].wait_for_sipi = false;                     /* the second SIPI of INIT-SIPI-SIPI */
    assert_int_equal(classify(0x00004608u, 0x01000000u, &two).action, ICR_IGNORED);
}

static void test_fixed_and_nmi(void **s)
{
    (void)s;
    struct icr_env e = one_vcpu();
    struct icr_decision d = classify(0x00040040u, 0, &e);  /* fixed 0x40, self shorthand */
    assert_int_equal(d.action, ICR_DELIVER_FIXED);
    assert_int_equal(d.vector, 0x40);
    assert_int_equal(d.targets, 1);
    expect_line(0x00040040u, 0, &e, "ICR 0x00040040 dest 00 -> fixed vector 0x40 to vcpu0");
    assert_int_equal(classify(0x00000040u, 0, &e).action, ICR_DELIVER_FIXED);   /* by ID */
    assert_int_equal(classify(0x00080040u, 0, &e).action, ICR_DELIVER_FIXED);   /* all incl. self */

    d = classify(0x00000400u, 0, &e);                      /* NMI to own ID */
    assert_int_equal(d.action, ICR_DELIVER_NMI);
    expect_line(0x00000400u, 0, &e, "ICR 0x00000400 dest 00 -> NMI to vcpu0");

    d = classify(0x0000000Fu, 0, &e);                      /* illegal vector */
    assert_int_equal(d.action, ICR_INVALID);
    assert_int_equal(d.esr, ESR_SEND_ILLEGAL_VECTOR);

    e.vcpu[0].apic_enabled = false;                        /* software-disabled APIC */
    d = classify(0x00040040u, 0, &e);
    assert_int_equal(d.action, ICR_DROPPED);
    assert_int_equal(classify(0x00000400u, 0, &e).action, ICR_DELIVER_NMI); /* NMI still accepted */
    assert_int_equal(classify(0x00004500u, 0, &e).action, ICR_DELIVER_INIT);

    struct icr_env two = two_vcpus();
    d = classify(0x00080141u, 0, &two);                    /* lowest priority to all excl. self */
    assert_int_equal(d.action, ICR_INVALID);               /* ... with all-incl: invalid */
    d = classify(0x000C0141u, 0, &two);
    assert_int_equal(d.action, ICR_DELIVER_FIXED);
    assert_int_equal(d.targets, 2);
    d = classify(0x00000941u, 0xFF000000u, &two);          /* lowest priority, logical broadcast: one */
    assert_int_equal(d.targets, 1);
}

static void test_absent_and_reserved(void **s)
{
    (void)s;
    struct icr_env e = one_vcpu();
    struct icr_decision d = classify(0x00004500u, 0x05000000u, &e);
    assert_int_equal(d.action, ICR_DROPPED);
    expect_line(0x00004500u, 0x05000000u, &e, "ICR 0x00004500 dest 05 -> dropped: no vCPU has that APIC ID");
    assert_int_equal(classify(0x00000300u, 0, &e).action, ICR_INVALID);  /* mode 011b */
    assert_int_equal(classify(0x00000700u, 0, &e).action, ICR_INVALID);  /* mode 111b */
    assert_int_equal(classify(0x00000240u, 0, &e).action, ICR_IGNORED);  /* SMI */
}

/* Cluster model (DFR 0000b): cluster in 7:4, member mask in 3:0 (SDM 10.6.2.2). */
static void test_logical_cluster(void **s)
{
    (void)s;
    struct icr_env e = one_vcpu();
    e.vcpu[0].dfr = 0x0FFFFFFFu;
    e.vcpu[0].ldr = 0x21000000u;                           /* cluster 2, member bit 0 */
    assert_int_equal(classify(0x00004D00u, 0x21000000u, &e).action, ICR_DELIVER_INIT);
    assert_int_equal(classify(0x00004D00u, 0x23000000u, &e).action, ICR_DELIVER_INIT);
    assert_int_equal(classify(0x00004D00u, 0x11000000u, &e).action, ICR_DROPPED);
    assert_int_equal(classify(0x00004D00u, 0x22000000u, &e).action, ICR_DROPPED);
}

/* ---- several vCPUs (issue 10): destination resolution over vCPUs 0-3 -------------------- */

/* Four vCPUs, APICs enabled, none waiting for SIPI; flat logical IDs 1, 2, 4, 8. */
static struct icr_env four_vcpus(unsigned self)
{
    struct icr_env e = {.self = self, .nvcpus = 4};
    for (unsigned i = 0; i < 4; i++)
        e.vcpu[i] = (struct icr_vcpu_view){.ldr = (1u << i) << 24, .dfr = 0xFFFFFFFFu, .apic_enabled = true};
    return e;
}

static uint32_t targets_of(uint32_t low, uint32_t high, const struct icr_env *e, enum icr_action want)
{
    struct icr_decision d = classify(low, high, e);
    assert_int_equal(d.action, want);
    return d.targets;
}

/* Physical destination (SDM 10.6.2.1): one APIC ID, FFh to all, an absent ID to nobody. */
static void test_four_physical(void **s)
{
    (void)s;
    struct icr_env e = four_vcpus(0);
    assert_int_equal(targets_of(0x00000040u, 0x03000000u, &e, ICR_DELIVER_FIXED), 0x8);
    assert_int_equal(targets_of(0x00000040u, 0xFF000000u, &e, ICR_DELIVER_FIXED), 0xF);
    assert_int_equal(targets_of(0x00004500u, 0x02000000u, &e, ICR_DELIVER_INIT), 0x4);
    assert_int_equal(classify(0x00000040u, 0x04000000u, &e).action, ICR_DROPPED);
}

/* Flat model (DFR 1111b, SDM 10.6.2.2): every vCPU whose logical ID shares a bit with the
 * 8-bit destination; FFh reaches all. */
static void test_four_logical_flat(void **s)
{
    (void)s;
    struct icr_env e = four_vcpus(0);
    assert_int_equal(targets_of(0x00000840u, 0x05000000u, &e, ICR_DELIVER_FIXED), 0x5);
    assert_int_equal(targets_of(0x00000840u, 0x0A000000u, &e, ICR_DELIVER_FIXED), 0xA);
    assert_int_equal(targets_of(0x00000840u, 0xFF000000u, &e, ICR_DELIVER_FIXED), 0xF);
    assert_int_equal(targets_of(0x00004D00u, 0x0C000000u, &e, ICR_DELIVER_INIT), 0xC);
    assert_int_equal(classify(0x00000840u, 0x30000000u, &e).action, ICR_DROPPED);
    expect_line(0x00000840u, 0x05000000u, &e, "ICR 0x00000840 dest 05 -> fixed vector 0x40 to vcpu0+vcpu2");
    /* a software-disabled APIC accepts no fixed interrupt (SDM 10.4.7.2), the others still do */
    e.vcpu[2].apic_enabled = false;
    assert_int_equal(targets_of(0x00000840u, 0x05000000u, &e, ICR_DELIVER_FIXED), 0x1);
}

/* Cluster model (DFR 0000b): cluster 1 holds vCPUs 0 and 1, cluster 2 vCPUs 2 and 3. */
static void test_four_logical_cluster(void **s)
{
    (void)s;
    struct icr_env e = four_vcpus(0);
    static const uint32_t ldr[4] = {0x11, 0x12, 0x21, 0x22};
    for (unsigned i = 0; i < 4; i++)
        e.vcpu[i].dfr = 0x0FFFFFFFu, e.vcpu[i].ldr = ldr[i] << 24;
    assert_int_equal(targets_of(0x00000840u, 0x13000000u, &e, ICR_DELIVER_FIXED), 0x3);
    assert_int_equal(targets_of(0x00000840u, 0x22000000u, &e, ICR_DELIVER_FIXED), 0x8);
    assert_int_equal(targets_of(0x00000840u, 0x23000000u, &e, ICR_DELIVER_FIXED), 0xC);
    assert_int_equal(targets_of(0x00000840u, 0xFF000000u, &e, ICR_DELIVER_FIXED), 0xF);
    assert_int_equal(classify(0x00000840u, 0x31000000u, &e).action, ICR_DROPPED);  /* no cluster 3 */
    assert_int_equal(classify(0x00000840u, 0x14000000u, &e).action, ICR_DROPPED);  /* no member bit 2 */
}

/* Shorthands (SDM 10.6.1, Table 10-3) seen from sender vCPU 2. */
static void test_four_shorthands(void **s)
{
    (void)s;
    struct icr_env e = four_vcpus(2);
    assert_int_equal(targets_of(0x00040040u, 0, &e, ICR_DELIVER_FIXED), 0x4);      /* self */
    assert_int_equal(targets_of(0x00080040u, 0, &e, ICR_DELIVER_FIXED), 0xF);      /* all including self */
    assert_int_equal(targets_of(0x000C0040u, 0, &e, ICR_DELIVER_FIXED), 0xB);      /* all excluding self */
    assert_int_equal(targets_of(0x000C0400u, 0, &e, ICR_DELIVER_NMI), 0xB);
    assert_int_equal(targets_of(0x000C4500u, 0, &e, ICR_DELIVER_INIT), 0xB);       /* broadcast INIT to the others */
    expect_line(0x000C4500u, 0, &e, "ICR 0x000c4500 dest 00 -> INIT to vcpu0+vcpu1+vcpu3");
    /* SIPI to all excluding self starts only the vCPUs that wait for it (SDM 8.4.2) */
    e.vcpu[1].wait_for_sipi = e.vcpu[3].wait_for_sipi = true;
    assert_int_equal(targets_of(0x000C4610u, 0, &e, ICR_DELIVER_SIPI), 0xA);
    /* the destination field does not matter with a shorthand */
    assert_int_equal(targets_of(0x000C0040u, 0x01000000u, &e, ICR_DELIVER_FIXED), 0xB);
    /* with one vCPU, all-excluding-self names nobody */
    struct icr_env one = one_vcpu();
    assert_int_equal(classify(0x000C4500u, 0, &one).action, ICR_DROPPED);
}

/* Lowest priority (SDM 10.6.2.4): one vCPU of the set takes it; vmxlab picks the
 * lowest-numbered enabled one. */
static void test_four_lowest_priority(void **s)
{
    (void)s;
    struct icr_env e = four_vcpus(0);
    assert_int_equal(targets_of(0x00000940u, 0x0E000000u, &e, ICR_DELIVER_FIXED), 0x2);
    assert_int_equal(targets_of(0x00000940u, 0xFF000000u, &e, ICR_DELIVER_FIXED), 0x1);
    e.vcpu[1].apic_enabled = false;
    assert_int_equal(targets_of(0x00000940u, 0x0E000000u, &e, ICR_DELIVER_FIXED), 0x4);
    expect_line(0x00000940u, 0x0E000000u, &e, "ICR 0x00000940 dest 0e -> lowest-priority vector 0x40 to vcpu2");
    e.vcpu[2].apic_enabled = e.vcpu[3].apic_enabled = false;
    assert_int_equal(classify(0x00000940u, 0x0E000000u, &e).action, ICR_DROPPED);
}

static void test_describe_truncates(void **s)
{
    (void)s;
    struct icr_env e = one_vcpu();
    struct icr_decision d = classify(0x00004500u, 0, &e);
    char buf[10];
    int n = icr_describe(&d, 0x00004500u, 0, buf, sizeof(buf));
    assert_int_equal(n, (int)strlen("ICR 0x00004500 dest 00 -> INIT to vcpu0"));
    assert_string_equal(buf, "ICR 0x000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_fields),
        cmocka_unit_test(test_init_self_by_id),
        cmocka_unit_test(test_init_broadcast),
        cmocka_unit_test(test_init_deassert_ignored),
        cmocka_unit_test(test_self_shorthand_invalid),
        cmocka_unit_test(test_sipi),
        cmocka_unit_test(test_fixed_and_nmi),
        cmocka_unit_test(test_absent_and_reserved),
        cmocka_unit_test(test_logical_cluster),
        cmocka_unit_test(test_describe_truncates),
        cmocka_unit_test(test_four_physical),
        cmocka_unit_test(test_four_logical_flat),
        cmocka_unit_test(test_four_logical_cluster),
        cmocka_unit_test(test_four_shorthands),
        cmocka_unit_test(test_four_lowest_priority),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
