/*
 * exit_test_common.h - what the host tests of vmx's exit handlers share (test_exit_insn.c,
 * test_exit_cr.c, test_exit_events.c): the SDM's encoding of an
 * injected event, a real-mode guest as vmx/setup.c starts it, and the guest's view of CR0/CR4.
 * Test-only; on the fake of tests/unit/fake_vmcs.h.
 */
#ifndef VMXLAB_TESTS_EXIT_TEST_COMMON_H
#define VMXLAB_TESTS_EXIT_TEST_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/panic.h"
#include "tests/unit/fake_vmcs.h"
#include "vmx/exit.h"
#include "vmx/exit_handlers.h"
#include "vmx/inject.h"
#include "vmx/vmx_internal.h"


/* SDM Vol.3C 24.8.3, Table 24-16 (the VM-entry interruption-information field): vector in
 * bits 7:0, type in 10:8 (0 external interrupt, 2 NMI, 3 hardware exception, 4 software
 * interrupt, 6 software exception), deliver error code bit 11, valid bit 31. */
#define INFO_VALID (1u << 31)
#define INFO_ERRCODE (1u << 11)
#define INFO_TYPE(t) ((uint32_t)(t) << 8)
#define GP_PROTECTED (INFO_VALID | INFO_TYPE(3) | INFO_ERRCODE | 13u) /* #GP(0), CR0.PE=1 */
#define GP_REAL (INFO_VALID | INFO_TYPE(3) | 13u)  /* real mode: no error code (SDM 26.2.1.3) */
#define RFLAGS_IF_BIT (1ull << 9)

static struct vcpu *v;

/* A 16-bit real-mode guest as vmx/setup.c starts it: CR0.ET (NE forced under the shadow),
 * CR4 0 (VMXE forced), RFLAGS 2, CPL 0. */
static inline int setup(void **s)
{
    (void)s;
    fake_reset();
    v = &vmx.vcpus[0];
    intr_controller_set(0);
    cpuid_filter_set(0);
    fake_vmcs[VMCS_GUEST_CR0] = vmx_guest_cr0_real(CR0_ET);
    fake_vmcs[VMCS_CR0_READ_SHADOW] = CR0_ET & vmx.cr0_mask;
    fake_vmcs[VMCS_GUEST_CR4] = vmx_guest_cr4_real(0);
    fake_vmcs[VMCS_CR4_READ_SHADOW] = 0;
    fake_vmcs[VMCS_GUEST_RFLAGS] = 0x2;
    fake_vmcs[VMCS_GUEST_CS_ACCESS_RIGHTS] = 0x9B;
    fake_vmcs[VMCS_GUEST_SS_ACCESS_RIGHTS] = 0x93;
    fake_vmcs[VMCS_GUEST_CS_SELECTOR] = 0x0000;
    return 0;
}

static inline void protected_mode(void)
{
    fake_vmcs[VMCS_GUEST_CR0] = vmx_guest_cr0_real(CR0_PE | CR0_ET);
    fake_vmcs[VMCS_CR0_READ_SHADOW] = (CR0_PE | CR0_ET) & vmx.cr0_mask;
}

/* The CR0/CR4 the guest reads: SDM 25.3, MOV from CR0/CR4 returns the read shadow's bit for
 * each bit set in the guest/host mask, the register's bit elsewhere. */
static inline uint64_t guest_reads_cr0(void)
{
    uint64_t m = fake_vmcs[VMCS_CR0_GUEST_HOST_MASK];
    return (fake_vmcs[VMCS_GUEST_CR0] & ~m) | (fake_vmcs[VMCS_CR0_READ_SHADOW] & m);
}
static inline uint64_t guest_reads_cr4(void)
{
    uint64_t m = fake_vmcs[VMCS_CR4_GUEST_HOST_MASK];
    return (fake_vmcs[VMCS_GUEST_CR4] & ~m) | (fake_vmcs[VMCS_CR4_READ_SHADOW] & m);
}

static inline void assert_no_event(void) { assert_false(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] & INFO_VALID); }

static inline void assert_log(const char *line)
{
    if (!line) {
        fake_log_dump();
        fail_msg("expected log line not found");
    }
}

#endif
