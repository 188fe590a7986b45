/*
 * test_vmx_names.c - SDM names for exit reasons, VM-instruction errors and
 * control bits; plus consistency checks of the constants in vmx_defs.h
 * (VMCS encodings against the layout rule of SDM 24.11.2 / Appendix B).
 *
 * gcc -std=c11 -Wall -Wextra -Werror -I. tests/unit/test_vmx_names.c vmx/vmx_names.c -lcmocka
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "vmx/vmx_defs.h"
#include "vmx/vmx_names.h"

static unsigned bit_index(uint32_t mask)
{
    unsigned i = 0;
    while (i < 32 && !(mask & (1u << i)))
        i++;
    return i;
}

/* Appendix C, Table C-1: a sample typed from the manual, not from our table. */
static void test_exit_reason_names(void **state)
{
    (void)state;
    assert_string_equal(vmx_exit_reason_name(3), "INIT signal");
    assert_string_equal(vmx_exit_reason_name(10), "CPUID");
    assert_string_equal(vmx_exit_reason_name(18), "VMCALL");
    assert_string_equal(vmx_exit_reason_name(30), "I/O instruction");
    assert_string_equal(vmx_exit_reason_name(33), "VM-entry failure due to invalid guest state");
    assert_string_equal(vmx_exit_reason_name(44), "APIC access");
    assert_string_equal(vmx_exit_reason_name(48), "EPT violation");
    assert_string_equal(vmx_exit_reason_name(49), "EPT misconfiguration");
    assert_string_equal(vmx_exit_reason_name(56), "APIC write");
    assert_string_equal(vmx_exit_reason_name(69), "LOADIWKEY");
    /* The named constants agree with the numbers in the table. */
    assert_int_equal(EXIT_REASON_INIT_SIGNAL, 3);
    assert_int_equal(EXIT_REASON_APIC_ACCESS, 44);
    assert_int_equal(EXIT_REASON_APIC_WRITE, 56);
    assert_int_equal(EXIT_REASON_EPT_VIOLATION, 48);
}

/* Bits 31:16 of the exit-reason field (24.9.1) do not change the basic reason. */
static void test_exit_reason_high_bits_ignored(void **state)
{
    (void)state;
    uint32_t raw = EXIT_REASON_ENTRY_FAILURE | EXIT_REASON_INVALID_GUEST_STATE;
    assert_string_equal(vmx_exit_reason_name(raw), vmx_exit_reason_name(33));
    assert_true(vmx_exit_reason_known(raw));
    assert_string_equal(vmx_exit_reason_section(raw), vmx_exit_reason_section(33));
}

/* Every number 0..69 except the unused 35, 38, 42 is named and has a section. */
static void test_exit_reason_table_complete(void **state)
{
    (void)state;
    for (uint32_t r = 0; r < 70; r++) {
        bool unused = (r == 35 || r == 38 || r == 42);
        assert_int_equal(vmx_exit_reason_known(r), !unused);
        if (unused) {
            assert_string_equal(vmx_exit_reason_name(r), "unknown exit reason");
            assert_string_equal(vmx_exit_reason_section(r), "");
        } else {
            const char *s = vmx_exit_reason_section(r);
            assert_true(strlen(vmx_exit_reason_name(r)) > 0);
            assert_true(s[0] >= '2' && s[0] <= '3');   /* chapters 24..34 */
        }
    }
    assert_false(vmx_exit_reason_known(70));
    assert_false(vmx_exit_reason_known(0xFFFF));
    assert_string_equal(vmx_exit_reason_name(70), "unknown exit reason");
}

static void test_exit_reason_sections(void **state)
{
    (void)state;
    assert_non_null(strstr(vmx_exit_reason_section(EXIT_REASON_APIC_WRITE), "29.4.3.3"));
    assert_non_null(strstr(vmx_exit_reason_section(EXIT_REASON_APIC_ACCESS), "29.4"));
    assert_non_null(strstr(vmx_exit_reason_section(EXIT_REASON_EPT_VIOLATION), "28.2.3.2"));
    assert_non_null(strstr(vmx_exit_reason_section(EXIT_REASON_INVALID_GUEST_STATE), "26.3.1"));
    assert_non_null(strstr(vmx_exit_reason_section(EXIT_REASON_INIT_SIGNAL), "25.2"));
    assert_non_null(strstr(vmx_exit_reason_section(EXIT_REASON_CPUID), "25.1.2"));
}

/* SDM 30.4, Table 30-1 */
static void test_instruction_errors(void **state)
{
    (void)state;
    assert_string_equal(vmx_instruction_error_text(1), "VMCALL executed in VMX root operation");
    assert_string_equal(vmx_instruction_error_text(7), "VM entry with invalid control field(s)");
    assert_string_equal(vmx_instruction_error_text(8), "VM entry with invalid host-state field(s)");
    assert_string_equal(vmx_instruction_error_text(11), "VMPTRLD with incorrect VMCS revision identifier");
    assert_string_equal(vmx_instruction_error_text(12), "VMREAD/VMWRITE from/to unsupported VMCS component");
    assert_string_equal(vmx_instruction_error_text(26), "VM entry with events blocked by MOV SS");
    assert_string_equal(vmx_instruction_error_text(28), "Invalid operand to INVEPT/INVVPID");
    const char *reserved = "reserved VM-instruction error number";
    for (uint32_t e = 0; e < 40; e++) {
        bool is_reserved = (e == 0 || e == 14 || e == 21 || e == 27 || e > 28);
        if (is_reserved)
            assert_string_equal(vmx_instruction_error_text(e), reserved);
        else
            assert_string_not_equal(vmx_instruction_error_text(e), reserved);
    }
}

static void test_control_names(void **state)
{
    (void)state;
    assert_string_equal(vmx_control_name(VMX_CTL_PROC2, 0), "virtualize APIC accesses");
    assert_string_equal(vmx_control_name(VMX_CTL_PROC2, bit_index(SECONDARY_APIC_REGISTER_VIRTUALIZATION)),
                        "APIC-register virtualization");
    assert_string_equal(vmx_control_name(VMX_CTL_PROC2, bit_index(SECONDARY_VIRTUAL_INTERRUPT_DELIVERY)),
                        "virtual-interrupt delivery");
    assert_string_equal(vmx_control_name(VMX_CTL_PROC2, 7), "unrestricted guest");
    assert_string_equal(vmx_control_name(VMX_CTL_PROC, 31), "activate secondary controls");
    assert_string_equal(vmx_control_name(VMX_CTL_PROC, 21), "use TPR shadow");
    assert_string_equal(vmx_control_name(VMX_CTL_PIN, 0), "external-interrupt exiting");
    assert_string_equal(vmx_control_name(VMX_CTL_EXIT, 15), "acknowledge interrupt on exit");
    assert_string_equal(vmx_control_name(VMX_CTL_ENTRY, 15), "load IA32_EFER");
    assert_null(vmx_control_name(VMX_CTL_PROC2, 32));
    assert_null(vmx_control_name(VMX_CTL_COUNT, 0));
    assert_string_equal(vmx_control_field_name(VMX_CTL_PROC2),
                        "secondary processor-based VM-execution controls");
}

/* The default1 class (A.2) is reserved: no bit of it may carry a name,
 * and every defined control macro must have one. */
static void test_control_names_match_defs(void **state)
{
    (void)state;
    static const uint32_t default1[VMX_CTL_COUNT] = {
        [VMX_CTL_PIN] = PIN_BASED_DEFAULT1, [VMX_CTL_PROC] = CPU_BASED_DEFAULT1,
        [VMX_CTL_PROC2] = SECONDARY_DEFAULT1, [VMX_CTL_EXIT] = EXIT_DEFAULT1,
        [VMX_CTL_ENTRY] = ENTRY_DEFAULT1,
    };
    static const uint32_t defined[VMX_CTL_COUNT] = {
        [VMX_CTL_PIN] = PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS |
                        PIN_ACTIVATE_PREEMPTION_TIMER | PIN_PROCESS_POSTED_INTERRUPTS,
        [VMX_CTL_PROC] = CPU_BASED_INTERRUPT_WINDOW_EXITING | CPU_BASED_USE_TSC_OFFSETTING |
                         CPU_BASED_HLT_EXITING | CPU_BASED_INVLPG_EXITING | CPU_BASED_MWAIT_EXITING |
                         CPU_BASED_RDPMC_EXITING | CPU_BASED_RDTSC_EXITING | CPU_BASED_CR3_LOAD_EXITING |
                         CPU_BASED_CR3_STORE_EXITING | CPU_BASED_ACTIVATE_TERTIARY_CONTROLS |
                         CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |
                         CPU_BASED_USE_TPR_SHADOW | CPU_BASED_NMI_WINDOW_EXITING |
                         CPU_BASED_MOV_DR_EXITING | CPU_BASED_UNCONDITIONAL_IO_EXITING |
                         CPU_BASED_USE_IO_BITMAPS | CPU_BASED_MONITOR_TRAP_FLAG |
                         CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_MONITOR_EXITING |
                         CPU_BASED_PAUSE_EXITING | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
        [VMX_CTL_PROC2] = SECONDARY_VIRTUALIZE_APIC_ACCESSES | SECONDARY_ENABLE_EPT |
                          SECONDARY_DESCRIPTOR_TABLE_EXITING | SECONDARY_ENABLE_RDTSCP |
                          SECONDARY_VIRTUALIZE_X2APIC_MODE | SECONDARY_ENABLE_VPID |
                          SECONDARY_WBINVD_EXITING | SECONDARY_UNRESTRICTED_GUEST |
                          SECONDARY_APIC_REGISTER_VIRTUALIZATION | SECONDARY_VIRTUAL_INTERRUPT_DELIVERY |
                          SECONDARY_PAUSE_LOOP_EXITING | SECONDARY_RDRAND_EXITING |
                          SECONDARY_ENABLE_INVPCID | SECONDARY_ENABLE_VM_FUNCTIONS |
                          SECONDARY_VMCS_SHADOWING | SECONDARY_ENABLE_ENCLS_EXITING |
                          SECONDARY_RDSEED_EXITING | SECONDARY_ENABLE_PML | SECONDARY_EPT_VIOLATION_VE |
                          SECONDARY_CONCEAL_VMX_FROM_PT | SECONDARY_ENABLE_XSAVES_XRSTORS |
                          SECONDARY_MODE_BASED_EPT_EXECUTE | SECONDARY_SUBPAGE_WRITE_PERMISSIONS |
                          SECONDARY_PT_USES_GUEST_PHYSICAL | SECONDARY_USE_TSC_SCALING |
                          SECONDARY_ENABLE_USER_WAIT_PAUSE | SECONDARY_ENABLE_ENCLV_EXITING,
        [VMX_CTL_EXIT] = EXIT_SAVE_DEBUG_CONTROLS | EXIT_HOST_ADDRESS_SPACE_SIZE |
                         EXIT_LOAD_IA32_PERF_GLOBAL_CTRL | EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT |
                         EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT | EXIT_SAVE_IA32_EFER |
                         EXIT_LOAD_IA32_EFER | EXIT_SAVE_PREEMPTION_TIMER | EXIT_CLEAR_IA32_BNDCFGS |
                         EXIT_CONCEAL_VMX_FROM_PT | EXIT_CLEAR_IA32_RTIT_CTL | EXIT_LOAD_CET_STATE,
        [VMX_CTL_ENTRY] = ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_IA32E_MODE_GUEST | ENTRY_ENTRY_TO_SMM |
                          ENTRY_DEACTIVATE_DUAL_MONITOR | ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL |
                          ENTRY_LOAD_IA32_PAT | ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_BNDCFGS |
                          ENTRY_CONCEAL_VMX_FROM_PT | ENTRY_LOAD_IA32_RTIT_CTL | ENTRY_LOAD_CET_STATE,
    };
    for (int c = 0; c < VMX_CTL_COUNT; c++) {
        /* default1 bits are reserved except those the SDM gave a meaning that the
         * TRUE MSRs may let software clear (A.2): CR3-load/CR3-store exiting
         * (primary bits 15, 16) and save/load debug controls (exit/entry bit 2). */
        uint32_t named_default1 =
            (c == VMX_CTL_PROC) ? (CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING)
            : (c == VMX_CTL_EXIT) ? EXIT_SAVE_DEBUG_CONTROLS
            : (c == VMX_CTL_ENTRY) ? ENTRY_LOAD_DEBUG_CONTROLS : 0;
        assert_int_equal(defined[c] & default1[c] & ~named_default1, 0);
        for (unsigned b = 0; b < 32; b++) {
            bool is_defined = (defined[c] >> b) & 1;
            if (is_defined)
                assert_non_null(vmx_control_name((enum vmx_ctl)c, b));
            else
                assert_null(vmx_control_name((enum vmx_ctl)c, b));
        }
    }
}

/* SDM 24.11.2: encodings carry width (14:13) and type (11:10). One field per
 * Appendix B sub-table, checked against the sub-table it is listed in. */
static void test_vmcs_encoding_layout(void **state)
{
    (void)state;
    static const struct { uint32_t enc; unsigned width, type; } f[] = {
        { VMCS_VPID,                     VMCS_ENC_WIDTH_16,      VMCS_ENC_TYPE_CONTROL },   /* B.1.1 */
        { VMCS_GUEST_CS_SELECTOR,        VMCS_ENC_WIDTH_16,      VMCS_ENC_TYPE_GUEST },     /* B.1.2 */
        { VMCS_GUEST_INTERRUPT_STATUS,   VMCS_ENC_WIDTH_16,      VMCS_ENC_TYPE_GUEST },
        { VMCS_HOST_TR_SELECTOR,         VMCS_ENC_WIDTH_16,      VMCS_ENC_TYPE_HOST },      /* B.1.3 */
        { VMCS_MSR_BITMAP,               VMCS_ENC_WIDTH_64,      VMCS_ENC_TYPE_CONTROL },   /* B.2.1 */
        { VMCS_VIRTUAL_APIC_ADDRESS,     VMCS_ENC_WIDTH_64,      VMCS_ENC_TYPE_CONTROL },
        { VMCS_APIC_ACCESS_ADDRESS,      VMCS_ENC_WIDTH_64,      VMCS_ENC_TYPE_CONTROL },
        { VMCS_EPT_POINTER,              VMCS_ENC_WIDTH_64,      VMCS_ENC_TYPE_CONTROL },
        { VMCS_EOI_EXIT_BITMAP3,         VMCS_ENC_WIDTH_64,      VMCS_ENC_TYPE_CONTROL },
        { VMCS_GUEST_PHYSICAL_ADDRESS,   VMCS_ENC_WIDTH_64,      VMCS_ENC_TYPE_EXIT_INFO }, /* B.2.2 */
        { VMCS_VMCS_LINK_POINTER,        VMCS_ENC_WIDTH_64,      VMCS_ENC_TYPE_GUEST },     /* B.2.3 */
        { VMCS_GUEST_IA32_EFER,          VMCS_ENC_WIDTH_64,      VMCS_ENC_TYPE_GUEST },
        { VMCS_HOST_IA32_EFER,           VMCS_ENC_WIDTH_64,      VMCS_ENC_TYPE_HOST },      /* B.2.4 */
        { VMCS_CTRL_PIN_BASED,           VMCS_ENC_WIDTH_32,      VMCS_ENC_TYPE_CONTROL },   /* B.3.1 */
        { VMCS_CTRL_PROC_BASED2,         VMCS_ENC_WIDTH_32,      VMCS_ENC_TYPE_CONTROL },
        { VMCS_TPR_THRESHOLD,            VMCS_ENC_WIDTH_32,      VMCS_ENC_TYPE_CONTROL },
        { VMCS_EXIT_REASON,              VMCS_ENC_WIDTH_32,      VMCS_ENC_TYPE_EXIT_INFO }, /* B.3.2 */
        { VMCS_EXIT_INSTRUCTION_INFO,    VMCS_ENC_WIDTH_32,      VMCS_ENC_TYPE_EXIT_INFO },
        { VMCS_GUEST_TR_ACCESS_RIGHTS,   VMCS_ENC_WIDTH_32,      VMCS_ENC_TYPE_GUEST },     /* B.3.3 */
        { VMCS_PREEMPTION_TIMER_VALUE,   VMCS_ENC_WIDTH_32,      VMCS_ENC_TYPE_GUEST },
        { VMCS_HOST_IA32_SYSENTER_CS,    VMCS_ENC_WIDTH_32,      VMCS_ENC_TYPE_HOST },      /* B.3.4 */
        { VMCS_CR4_READ_SHADOW,          VMCS_ENC_WIDTH_NATURAL, VMCS_ENC_TYPE_CONTROL },   /* B.4.1 */
        { VMCS_EXIT_QUALIFICATION,       VMCS_ENC_WIDTH_NATURAL, VMCS_ENC_TYPE_EXIT_INFO }, /* B.4.2 */
        { VMCS_GUEST_LINEAR_ADDRESS,     VMCS_ENC_WIDTH_NATURAL, VMCS_ENC_TYPE_EXIT_INFO },
        { VMCS_GUEST_CS_BASE,            VMCS_ENC_WIDTH_NATURAL, VMCS_ENC_TYPE_GUEST },     /* B.4.3 */
        { VMCS_GUEST_RFLAGS,             VMCS_ENC_WIDTH_NATURAL, VMCS_ENC_TYPE_GUEST },
        { VMCS_HOST_RIP,                 VMCS_ENC_WIDTH_NATURAL, VMCS_ENC_TYPE_HOST },      /* B.4.4 */
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        assert_int_equal(VMCS_ENC_WIDTH(f[i].enc), f[i].width);
        assert_int_equal(VMCS_ENC_TYPE(f[i].enc), f[i].type);
        assert_int_equal(f[i].enc & VMCS_ENC_ACCESS_HIGH, 0);   /* "full" access */
        assert_int_equal(f[i].enc & (1u << 12), 0);             /* bit 12 reserved */
    }
    /* Index order inside B.4.3: the guest segment bases are consecutive, ES..TR. */
    assert_int_equal(VMCS_GUEST_CS_BASE - VMCS_GUEST_ES_BASE, 2);
    assert_int_equal(VMCS_GUEST_TR_BASE - VMCS_GUEST_ES_BASE, 14);
    assert_int_equal(VMCS_GUEST_TR_ACCESS_RIGHTS - VMCS_GUEST_ES_ACCESS_RIGHTS, 14);
}

/* The MSRs vmxlab refuses because it hides VMX, by their SDM names (Vol.4 Table 2-2, Vol.3D
 * Appendix A: the numbers restated here, not taken from vmx_defs.h) */
static void test_vmx_msr_names(void **state)
{
    (void)state;
    assert_string_equal(vmx_msr_name(0x3A), "IA32_FEATURE_CONTROL");
    assert_string_equal(vmx_msr_name(0x480), "IA32_VMX_BASIC");
    assert_string_equal(vmx_msr_name(0x486), "IA32_VMX_CR0_FIXED0");
    assert_string_equal(vmx_msr_name(0x48B), "IA32_VMX_PROCBASED_CTLS2");
    assert_string_equal(vmx_msr_name(0x48C), "IA32_VMX_EPT_VPID_CAP");
    assert_string_equal(vmx_msr_name(0x490), "IA32_VMX_TRUE_ENTRY_CTLS");
    assert_string_equal(vmx_msr_name(0x491), "IA32_VMX_VMFUNC");
    assert_null(vmx_msr_name(0x47F));
    assert_null(vmx_msr_name(0x492));
    assert_null(vmx_msr_name(0x1B));        /* IA32_APIC_BASE */
    assert_null(vmx_msr_name(0xC0011000));  /* an AMD MSR */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_reason_names),
        cmocka_unit_test(test_exit_reason_high_bits_ignored),
        cmocka_unit_test(test_exit_reason_table_complete),
        cmocka_unit_test(test_exit_reason_sections),
        cmocka_unit_test(test_instruction_errors),
        cmocka_unit_test(test_control_names),
        cmocka_unit_test(test_control_names_match_defs),
        cmocka_unit_test(test_vmcs_encoding_layout),
        cmocka_unit_test(test_vmx_msr_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
