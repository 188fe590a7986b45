/*
 * test_cpuid_view.c - the guest's CPUID view: a feature whose instruction needs a secondary
 * control (SDM Vol.3C 25.3) is shown with the control on, or hidden when the CPU cannot set it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "vmx/cpuid_view.h"
#include "vmx/vmx_defs.h"

/* A CPU like Bochs's corei7_skylake_x: RDTSCP, INVPCID, XSAVES; no RDPID, no WAITPKG */
static void skylake(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
    memset(r, 0, 16);
    if (leaf == 0)
        r[CPUID_EAX] = 0x16;
    else if (leaf == 0x80000000)
        r[CPUID_EAX] = 0x80000008;
    else if (leaf == 1)
        r[CPUID_ECX] = 0x77faf3bfu | (1u << 5);
    else if (leaf == 7 && subleaf == 0)
        r[CPUID_EBX] = 1u << 10 | 1u << 18;
    else if (leaf == 0xD && subleaf == 1)
        r[CPUID_EAX] = 0xF, r[CPUID_ECX] = 0x100;
    else if (leaf == 0x80000001)
        r[CPUID_EDX] = 1u << 27 | 1u << 29;
}

/* the same CPU with max basic leaf 1: leaf 7 and 0xD do not exist */
static void old_cpu(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
    skylake(leaf, subleaf, r);
    if (leaf == 0)
        r[CPUID_EAX] = 1;
    else if (leaf > 1 && leaf < 0x80000000)
        memset(r, 0xFF, 16);
}

static void all_controls_allowed(void **state)
{
    (void)state;
    struct cpuid_view v;
    cpuid_view_decide(&v, 0xFFFFFFFFu, skylake);
    assert_int_equal(v.proc2, SECONDARY_ENABLE_RDTSCP | SECONDARY_ENABLE_INVPCID | SECONDARY_ENABLE_XSAVES_XRSTORS);
    assert_int_equal(v.hidden, 0);
    uint32_t r[4];
    skylake(7, 0, r);
    cpuid_view_apply(&v, 7, 0, r);
    assert_int_equal(r[CPUID_EBX], 1u << 10 | 1u << 18);
    skylake(1, 0, r);
    cpuid_view_apply(&v, 1, 0, r);
    assert_int_equal(r[CPUID_ECX] & (1u << 5), 0);      /* VMX hidden */
    assert_int_equal(r[CPUID_ECX] >> 31, 1);            /* hypervisor present */
}

static void no_invpcid_control(void **state)
{
    (void)state;
    struct cpuid_view v;
    cpuid_view_decide(&v, ~(SECONDARY_ENABLE_INVPCID | SECONDARY_ENABLE_XSAVES_XRSTORS), skylake);
    assert_int_equal(v.proc2, SECONDARY_ENABLE_RDTSCP);
    uint32_t r[4];
    skylake(7, 0, r);
    cpuid_view_apply(&v, 7, 0, r);
    assert_int_equal(r[CPUID_EBX], 1u << 18);           /* INVPCID gone, RDSEED kept */
    skylake(0xD, 1, r);
    cpuid_view_apply(&v, 0xD, 1, r);
    assert_int_equal(r[CPUID_EAX], 0x7);                /* XSAVES gone */
    assert_int_equal(r[CPUID_ECX], 0);                  /* and the IA32_XSS bits with it */
    skylake(0x80000001, 0, r);
    cpuid_view_apply(&v, 0x80000001, 0, r);
    assert_int_equal(r[CPUID_EDX], 1u << 27 | 1u << 29);
}

static void missing_leaf_is_absent(void **state)
{
    (void)state;
    struct cpuid_view v;
    cpuid_view_decide(&v, 0xFFFFFFFFu, old_cpu);
    assert_int_equal(v.proc2, SECONDARY_ENABLE_RDTSCP);
    assert_int_equal(v.hidden, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_controls_allowed),
        cmocka_unit_test(no_invpcid_control),
        cmocka_unit_test(missing_leaf_is_absent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
