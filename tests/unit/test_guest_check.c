/*
 * test_guest_check.c - the software VM-entry checker (vmx/guest_check.c,
 * SDM Vol.3C 26.3.1) against guest states vmxlab runs or could run.
 *
 * Each state below passes; each FAILS(...) test corrupts one field and
 * expects the checker to name that VMCS field and the SDM section. Every
 * failure's value is cross-checked against the field it names.
 *
 * gcc -std=gnu11 -Wall -Wextra -Werror -I. tests/unit/test_guest_check.c \
 *     vmx/guest_check.c vmx/vmx_caps.c -lcmocka
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vmx/guest_check.h"

/* ---- capabilities: Bochs 2.7 corei7_skylake_x (docs/bochs.md; tests/unit/test_vmx_caps.c) ---- */
static struct vmx_msrs skylake_x_msrs(void)
{
    return (struct vmx_msrs){
        .basic = 0x00d810000000002bull,
        .true_pinbased = 0x0000007f00000016ull, .true_procbased = 0xf7f9fffe04006172ull,
        .true_exit = 0x007fffff00036dfbull, .true_entry = 0x0000ffff000011fbull,
        .pinbased = 0x0000007f00000016ull, .procbased = 0xf7f9fffe0401e172ull,
        .exit = 0x007fffff00036dffull, .entry = 0x0000ffff000011ffull,
        .procbased2 = 0x02177fff00000000ull, .ept_vpid_cap = 0x00000f0106334141ull,
        .misc = 0x600401e0ull,
        .cr0_fixed0 = 0x80000021ull, .cr0_fixed1 = 0xffffffffull,
        .cr4_fixed0 = 0x2000ull, .cr4_fixed1 = 0x3727ffull,
        .feature_control = 0x5, .cpuid1_ecx = CPUID_1_ECX_VMX,
    };
}

static struct vmx_caps caps;            /* skylake_x, decoded once */

static int setup(void **state)
{
    (void)state;
    struct vmx_msrs m = skylake_x_msrs();
    vmx_caps_decode(&m, &caps);
    return 0;
}

/* ---- guest states that pass ---- */
#define ENTRY_BASE   (0x11fbu | ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_LOAD_IA32_PAT | ENTRY_LOAD_IA32_EFER)
#define PROC_BASE    (0x04006172u | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
#define PAT_DEFAULT  0x0007040600070406ull  /* power-on PAT (SDM Vol.3A 11.12.4) */

static void set_seg(struct guest_state *g, enum guest_seg_id id, uint16_t sel, uint64_t base, uint32_t limit,
                    uint32_t ar)
{
    g->seg[id] = (struct guest_seg){ .selector = sel, .base = base, .limit = limit, .access_rights = ar };
}

static void set_data_segs(struct guest_state *g, uint16_t sel, uint32_t limit, uint32_t ar)
{
    static const enum guest_seg_id data[] = { GSEG_ES, GSEG_SS, GSEG_DS, GSEG_FS, GSEG_GS };
    for (unsigned i = 0; i < 5; i++)
        set_seg(g, data[i], sel, 0, limit, ar);
}

/* vmxlab's guest: real mode under unrestricted guest, flat 4 GiB data segments; CS of type 3
 * (read/write accessed data, DPL 0) as after RESET (SDM Vol.3A Table 9-1; vmx/setup.c). */
static struct guest_state real_mode(void)
{
    struct guest_state g = {
        .cr0 = CR0_ET | CR0_NE, .cr4 = CR4_VMXE, .dr7 = 0x400, .rsp = 0x7000, .rip = 0x7c00, .rflags = 2,
        .ia32_pat = PAT_DEFAULT, .vmcs_link_pointer = ~0ull, .gdtr_limit = 0xffff, .idtr_limit = 0x3ff,
        .pin_ctls = 0x16, .proc_ctls = PROC_BASE,
        .proc2_ctls = SECONDARY_ENABLE_EPT | SECONDARY_UNRESTRICTED_GUEST, .entry_ctls = ENTRY_BASE,
    };
    set_seg(&g, GSEG_CS, 0, 0, 0xffff, 0x93);
    set_data_segs(&g, 0, 0xffffffff, 0x8093);
    set_seg(&g, GSEG_LDTR, 0, 0, 0xffff, 0x82);
    set_seg(&g, GSEG_TR, 0, 0, 0xffff, 0x8b);
    return g;
}

/* The state after INIT (SDM Vol.3A 9.1, Table 9-1) with CR0.NE forced by FIXED0. */
static struct guest_state init_state(void)
{
    struct guest_state g = real_mode();
    g.cr0 = 0x60000010 | CR0_NE;
    g.rip = 0xfff0;
    set_seg(&g, GSEG_CS, 0xf000, 0xffff0000, 0xffff, 0x93);
    set_data_segs(&g, 0, 0xffff, 0x93);
    return g;
}

/* 32-bit protected mode with paging, without unrestricted guest. */
static struct guest_state protected_mode(void)
{
    struct guest_state g = real_mode();
    g.cr0 = CR0_PG | CR0_PE | CR0_ET | CR0_NE;
    g.cr3 = 0x1000;
    g.proc2_ctls = SECONDARY_ENABLE_EPT;
    set_seg(&g, GSEG_CS, 0x08, 0, 0xffffffff, 0xc09b);
    set_data_segs(&g, 0x10, 0xffffffff, 0xc093);
    set_seg(&g, GSEG_LDTR, 0, 0, 0, 0x10000);
    set_seg(&g, GSEG_TR, 0x18, 0x5000, 0x67, 0x8b);
    return g;
}

/* The same at CPL 3. */
static struct guest_state user_mode(void)
{
    struct guest_state g = protected_mode();
    set_seg(&g, GSEG_CS, 0x1b, 0, 0xffffffff, 0xc0fb);
    set_data_segs(&g, 0x23, 0xffffffff, 0xc0f3);
    return g;
}

/* 64-bit mode (IA-32e mode guest, CS.L = 1), with unrestricted guest on. */
static struct guest_state long_mode(void)
{
    struct guest_state g = protected_mode();
    g.cr4 |= CR4_PAE;
    g.ia32_efer = EFER_LME | EFER_LMA;
    g.entry_ctls |= ENTRY_IA32E_MODE_GUEST;
    g.proc2_ctls |= SECONDARY_UNRESTRICTED_GUEST;
    g.rip = 0xffffffff80100000ull;
    set_seg(&g, GSEG_CS, 0x08, 0, 0xffffffff, 0xa09b);
    return g;
}

/* Virtual-8086 mode: selectors, bases, limits and access rights as 26.3.1.2 demands. */
static struct guest_state v86_mode(void)
{
    struct guest_state g = protected_mode();
    static const enum guest_seg_id six[] = { GSEG_ES, GSEG_CS, GSEG_SS, GSEG_DS, GSEG_FS, GSEG_GS };
    g.rflags |= 1u << 17;
    for (unsigned i = 0; i < 6; i++)
        set_seg(&g, six[i], (uint16_t)(0x1000 + i), (uint64_t)(0x1000 + i) << 4, 0xffff, 0xf3);
    return g;
}

/* ---- helpers ---- */
static uint64_t field_value(const struct guest_state *g, const char *field)
{
    static const char *const seg_names[GSEG_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
    char name[40];
    for (int i = 0; i < GSEG_COUNT; i++) {
        const struct guest_seg *s = &g->seg[i];
        const struct { const char *suffix; uint64_t v; } parts[] = {
            { "SELECTOR", s->selector }, { "BASE", s->base }, { "LIMIT", s->limit },
            { "ACCESS_RIGHTS", s->access_rights },
        };
        for (int p = 0; p < 4; p++) {
            snprintf(name, sizeof name, "GUEST_%s_%s", seg_names[i], parts[p].suffix);
            if (!strcmp(field, name))
                return parts[p].v;
        }
    }
    const struct { const char *name; uint64_t v; } scalars[] = {
        { "GUEST_CR0", g->cr0 }, { "GUEST_CR3", g->cr3 }, { "GUEST_CR4", g->cr4 }, { "GUEST_DR7", g->dr7 },
        { "GUEST_RIP", g->rip }, { "GUEST_RFLAGS", g->rflags }, { "GUEST_IA32_EFER", g->ia32_efer },
        { "GUEST_IA32_PAT", g->ia32_pat }, { "GUEST_IA32_DEBUGCTL", g->ia32_debugctl },
        { "GUEST_IA32_SYSENTER_ESP", g->sysenter_esp }, { "GUEST_IA32_SYSENTER_EIP", g->sysenter_eip },
        { "GUEST_GDTR_BASE", g->gdtr_base }, { "GUEST_GDTR_LIMIT", g->gdtr_limit },
        { "GUEST_IDTR_BASE", g->idtr_base }, { "GUEST_IDTR_LIMIT", g->idtr_limit },
        { "GUEST_ACTIVITY_STATE", g->activity_state }, { "GUEST_INTERRUPTIBILITY_STATE", g->interruptibility },
        { "GUEST_PENDING_DEBUG_EXCEPTIONS", g->pending_dbg }, { "VMCS_LINK_POINTER", g->vmcs_link_pointer },
    };
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        if (!strcmp(field, scalars[i].name))
            return scalars[i].v;
    fail_msg("checker named an unknown field \"%s\"", field);
    return 0;
}

static void expect_pass_with(const struct guest_state *g, const struct vmx_caps *c)
{
    struct guest_check_failure f = { .field = "untouched" };
    bool ok = guest_state_check(g, c, &f);
    if (!ok)
        print_message("    unexpected: %s = 0x%llx: %s (SDM %s)\n", f.field, (unsigned long long)f.value, f.rule,
                      f.section);
    assert_true(ok);
    assert_string_equal(f.field, "untouched");
}

static struct guest_check_failure expect_fail_with(const struct guest_state *g, const struct vmx_caps *c,
                                                   const char *field, const char *section)
{
    struct guest_check_failure f = { 0 };
    assert_false(guest_state_check(g, c, &f));
    print_message("    %s = 0x%llx: %s (SDM %s)\n", f.field, (unsigned long long)f.value, f.rule, f.section);
    assert_non_null(f.rule);
    assert_true(strlen(f.rule) > 10);
    assert_string_equal(f.field, field);
    assert_string_equal(f.section, section);
    assert_int_equal(f.value, field_value(g, field));
    return f;
}

#define expect_pass(g) expect_pass_with(g, &caps)
#define expect_fail(g, field, section) expect_fail_with(g, &caps, field, section)

/* FAILS(name, base state, expected field, expected section, statements corrupting g) */
#define FAILS(name, base, field, section, ...) \
    static void name(void **state) { (void)state; struct guest_state g = base(); __VA_ARGS__; \
                                     expect_fail(&g, field, section); }
/* PASSES(name, base state, statements that keep g valid) */
#define PASSES(name, base, ...) \
    static void name(void **state) { (void)state; struct guest_state g = base(); __VA_ARGS__; expect_pass(&g); }

/* ---- valid states ---- */
PASSES(real_mode_passes, real_mode, )
PASSES(init_state_passes, init_state, )
PASSES(protected_mode_passes, protected_mode, )
PASSES(user_mode_passes, user_mode, )
PASSES(long_mode_passes, long_mode, )
PASSES(v86_mode_passes, v86_mode, )
PASSES(unusable_segments_skip_their_rules, real_mode, g.seg[GSEG_DS].access_rights = 0x1ffff;
       g.seg[GSEG_DS].base = 1ull << 40; g.seg[GSEG_LDTR].access_rights = 0x1ffff; g.seg[GSEG_LDTR].selector = 4)
PASSES(cs_type3_with_unrestricted_guest, real_mode, g.seg[GSEG_CS].access_rights = 0x93)
PASSES(cs_type11_rpl0_in_real_mode, real_mode, g.seg[GSEG_CS].access_rights = 0x9b)
/* The entries of issue 13 that Bochs refused with a code-type CS: CS selector RPL 1 and 3 */
PASSES(real_mode_cs_rpl1_type3, real_mode, g.seg[GSEG_CS].selector = 0x0001; g.seg[GSEG_CS].base = 0x10;
       g.rip = 0x7bf0)
PASSES(real_mode_cs_rpl3_type3, real_mode, g.seg[GSEG_CS].selector = 0x9f7f; g.seg[GSEG_CS].base = 0x9f7f0;
       g.rip = 0xe)
PASSES(conforming_cs_dpl_below_ss, user_mode, g.seg[GSEG_CS].access_rights = 0xc09f)
PASSES(tr_busy_16bit_tss_outside_ia32e, real_mode, g.seg[GSEG_TR].access_rights = 0x83)
PASSES(controls_off_skip_msr_rules, real_mode, g.entry_ctls = 0x11fb; g.dr7 = 1ull << 32;
       g.ia32_debugctl = 1u << 2; g.ia32_pat = 2; g.ia32_efer = 2)
PASSES(hlt_with_external_interrupt, real_mode, g.activity_state = GUEST_ACTIVITY_HLT; g.rflags |= 1u << 9;
       g.entry_intr_info = INTR_INFO_VALID | INTR_TYPE_EXTERNAL_INTERRUPT | 0x20)
PASSES(shutdown_with_nmi, real_mode, g.activity_state = GUEST_ACTIVITY_SHUTDOWN;
       g.entry_intr_info = INTR_INFO_VALID | INTR_TYPE_NMI | 2)
PASSES(wait_for_sipi_alone, real_mode, g.activity_state = GUEST_ACTIVITY_WAIT_SIPI)
PASSES(nmi_with_sti_blocking, real_mode, g.rflags |= 1u << 9; g.interruptibility = GUEST_INTR_STATE_STI;
       g.entry_intr_info = INTR_INFO_VALID | INTR_TYPE_NMI | 2)
PASSES(sti_single_step_with_bs, real_mode, g.rflags |= (1u << 9) | (1u << 8);
       g.interruptibility = GUEST_INTR_STATE_STI; g.pending_dbg = 1u << 14)
PASSES(rtm_pending_debug, real_mode, g.pending_dbg = (1u << 16) | (1u << 12))

/* ---- 26.3.1.1 control registers, debug registers, MSRs ---- */
FAILS(cr0_ne_clear, real_mode, "GUEST_CR0", "26.3.1.1", g.cr0 &= ~CR0_NE)
FAILS(cr0_pe_clear_without_ug, protected_mode, "GUEST_CR0", "26.3.1.1", g.cr0 &= ~CR0_PE)
FAILS(cr0_pg_without_pe, real_mode, "GUEST_CR0", "26.3.1.1", g.cr0 |= CR0_PG)
FAILS(cr4_vmxe_clear, real_mode, "GUEST_CR4", "26.3.1.1", g.cr4 &= ~CR4_VMXE)
FAILS(cr4_unsupported_la57, real_mode, "GUEST_CR4", "26.3.1.1", g.cr4 |= CR4_LA57)
FAILS(debugctl_reserved, real_mode, "GUEST_IA32_DEBUGCTL", "26.3.1.1", g.ia32_debugctl = 1u << 2)
FAILS(ia32e_without_pg, long_mode, "GUEST_CR0", "26.3.1.1", g.cr0 &= ~CR0_PG)
FAILS(ia32e_without_pae, long_mode, "GUEST_CR4", "26.3.1.1", g.cr4 &= ~CR4_PAE)
FAILS(pcide_outside_ia32e, protected_mode, "GUEST_CR4", "26.3.1.1", g.cr4 |= CR4_PCIDE)
FAILS(cr3_beyond_physical_width, protected_mode, "GUEST_CR3", "26.3.1.1", g.cr3 |= 1ull << 60)
FAILS(dr7_high_bits, real_mode, "GUEST_DR7", "26.3.1.1", g.dr7 |= 1ull << 32)
FAILS(sysenter_esp_noncanonical, real_mode, "GUEST_IA32_SYSENTER_ESP", "26.3.1.1", g.sysenter_esp = 1ull << 47)
FAILS(sysenter_eip_noncanonical, real_mode, "GUEST_IA32_SYSENTER_EIP", "26.3.1.1",
      g.sysenter_eip = 0x8000000000000000ull)
/* PA0 = 2: a reserved memory type */
FAILS(pat_invalid_type, real_mode, "GUEST_IA32_PAT", "26.3.1.1", g.ia32_pat = 0x0007040600070402ull)
FAILS(efer_reserved, real_mode, "GUEST_IA32_EFER", "26.3.1.1", g.ia32_efer = 1u << 1)
FAILS(efer_lma_without_ia32e, protected_mode, "GUEST_IA32_EFER", "26.3.1.1", g.ia32_efer = EFER_LMA | EFER_LME)
FAILS(efer_lme_differs_from_lma, long_mode, "GUEST_IA32_EFER", "26.3.1.1", g.ia32_efer = EFER_LMA)

static void cet_requires_wp(void **state)
{
    (void)state;
    struct vmx_msrs m = skylake_x_msrs();
    struct vmx_caps cet;
    m.cr4_fixed1 |= CR4_CET;                    /* a CPU that supports CET */
    vmx_caps_decode(&m, &cet);
    struct guest_state g = protected_mode();
    g.cr4 |= CR4_CET;
    expect_fail_with(&g, &cet, "GUEST_CR0", "26.3.1.1");
    g.cr0 |= CR0_WP;
    expect_pass_with(&g, &cet);
}

/* ---- 26.3.1.2 segment registers ---- */
#define AR(r) g.seg[GSEG_##r].access_rights
FAILS(tr_selector_ti, real_mode, "GUEST_TR_SELECTOR", "26.3.1.2", g.seg[GSEG_TR].selector = 4)
FAILS(ldtr_selector_ti, real_mode, "GUEST_LDTR_SELECTOR", "26.3.1.2", g.seg[GSEG_LDTR].selector = 4)
FAILS(ss_rpl_differs_from_cs_rpl, protected_mode, "GUEST_SS_SELECTOR", "26.3.1.2", g.seg[GSEG_SS].selector = 0x13)
FAILS(v86_base_not_selector_times_16, v86_mode, "GUEST_DS_BASE", "26.3.1.2", g.seg[GSEG_DS].base = 0)
FAILS(tr_base_noncanonical, real_mode, "GUEST_TR_BASE", "26.3.1.2", g.seg[GSEG_TR].base = 1ull << 47)
FAILS(fs_base_noncanonical, real_mode, "GUEST_FS_BASE", "26.3.1.2", g.seg[GSEG_FS].base = 1ull << 50)
FAILS(gs_base_noncanonical, real_mode, "GUEST_GS_BASE", "26.3.1.2", g.seg[GSEG_GS].base = 1ull << 48)
FAILS(ldtr_base_noncanonical, real_mode, "GUEST_LDTR_BASE", "26.3.1.2", g.seg[GSEG_LDTR].base = 1ull << 62)
FAILS(cs_base_above_4g, real_mode, "GUEST_CS_BASE", "26.3.1.2", g.seg[GSEG_CS].base = 1ull << 32)
FAILS(ss_base_above_4g, real_mode, "GUEST_SS_BASE", "26.3.1.2", g.seg[GSEG_SS].base = 1ull << 32)
FAILS(v86_limit, v86_mode, "GUEST_ES_LIMIT", "26.3.1.2", g.seg[GSEG_ES].limit = 0xfffff)
FAILS(v86_access_rights, v86_mode, "GUEST_FS_ACCESS_RIGHTS", "26.3.1.2", AR(FS) = 0xf2)
FAILS(cs_type_data_not_accessed, real_mode, "GUEST_CS_ACCESS_RIGHTS", "26.3.1.2", AR(CS) = 0x92)
FAILS(cs_type3_without_ug, protected_mode, "GUEST_CS_ACCESS_RIGHTS", "26.3.1.2", AR(CS) = 0xc093)
FAILS(ss_type_readonly, real_mode, "GUEST_SS_ACCESS_RIGHTS", "26.3.1.2", AR(SS) = 0x8091)
FAILS(ds_not_accessed, real_mode, "GUEST_DS_ACCESS_RIGHTS", "26.3.1.2", AR(DS) = 0x8092)
FAILS(gs_code_not_readable, real_mode, "GUEST_GS_ACCESS_RIGHTS", "26.3.1.2", AR(GS) = 0x8099)
FAILS(es_system_segment, real_mode, "GUEST_ES_ACCESS_RIGHTS", "26.3.1.2", AR(ES) = 0x8083)
FAILS(cs_s_clear, real_mode, "GUEST_CS_ACCESS_RIGHTS", "26.3.1.2", AR(CS) = 0x8b)
FAILS(cs_type3_dpl3, real_mode, "GUEST_CS_ACCESS_RIGHTS", "26.3.1.2", AR(CS) = 0xf3)
FAILS(nonconforming_cs_dpl_vs_ss, real_mode, "GUEST_CS_ACCESS_RIGHTS", "26.3.1.2", AR(CS) = 0xfb)
FAILS(conforming_cs_dpl_above_ss, real_mode, "GUEST_CS_ACCESS_RIGHTS", "26.3.1.2", AR(CS) = 0xff)
/* guest.entry=0001:7BF0 with a non-conforming code CS: "VMENTER FAIL: VMCS guest non-conforming
 * CS.RPL <> CS.DPL" in Bochs 2.7 (the state vmxlab built before it used type 3) */
FAILS(nonconforming_cs_rpl1_dpl0_ug, real_mode, "GUEST_CS_SELECTOR", "26.3.1.2", AR(CS) = 0x9b;
      g.seg[GSEG_CS].selector = 0x0001; g.seg[GSEG_CS].base = 0x10)
FAILS(nonconforming_cs_rpl3_dpl0_ug, real_mode, "GUEST_CS_SELECTOR", "26.3.1.2", AR(CS) = 0x9b;
      g.seg[GSEG_CS].selector = 0x07bf; g.seg[GSEG_CS].base = 0x7bf0)
/* conforming CS at DPL 3 entered with RPL 0, unrestricted guest on (no SS.RPL = CS.RPL rule) */
FAILS(conforming_cs_rpl_below_dpl_ug, user_mode, "GUEST_CS_SELECTOR", "26.3.1.2",
      g.proc2_ctls |= SECONDARY_UNRESTRICTED_GUEST; g.seg[GSEG_CS].selector = 0x18; AR(CS) = 0xc0ff)
FAILS(ss_dpl_differs_from_rpl, protected_mode, "GUEST_SS_ACCESS_RIGHTS", "26.3.1.2",
      g.seg[GSEG_CS].selector = 0x0b; g.seg[GSEG_SS].selector = 0x13)
FAILS(ss_dpl_nonzero_in_real_mode, real_mode, "GUEST_SS_ACCESS_RIGHTS", "26.3.1.2",
      AR(CS) = 0xfb; AR(SS) = 0x80f3)
FAILS(ds_dpl_below_rpl, protected_mode, "GUEST_DS_ACCESS_RIGHTS", "26.3.1.2", g.seg[GSEG_DS].selector = 0x13)
FAILS(fs_not_present, real_mode, "GUEST_FS_ACCESS_RIGHTS", "26.3.1.2", AR(FS) = 0x8013)
FAILS(cs_not_present, real_mode, "GUEST_CS_ACCESS_RIGHTS", "26.3.1.2", AR(CS) = 0x1b)
FAILS(cs_reserved_11_8, real_mode, "GUEST_CS_ACCESS_RIGHTS", "26.3.1.2", AR(CS) = 0x19b)
FAILS(cs_long_and_default_big, long_mode, "GUEST_CS_ACCESS_RIGHTS", "26.3.1.2", AR(CS) = 0xe09b)
FAILS(ds_4g_limit_byte_granular, real_mode, "GUEST_DS_ACCESS_RIGHTS", "26.3.1.2", AR(DS) = 0x93)
FAILS(cs_limit_11_0_not_ones_page_granular, real_mode, "GUEST_CS_ACCESS_RIGHTS", "26.3.1.2", AR(CS) = 0x809b;
      g.seg[GSEG_CS].limit = 0xfffe)
FAILS(ss_reserved_31_17, real_mode, "GUEST_SS_ACCESS_RIGHTS", "26.3.1.2", AR(SS) = 0x28093)
FAILS(tr_busy_16bit_tss_in_ia32e, long_mode, "GUEST_TR_ACCESS_RIGHTS", "26.3.1.2", AR(TR) = 0x83)
FAILS(tr_code_segment, real_mode, "GUEST_TR_ACCESS_RIGHTS", "26.3.1.2", AR(TR) = 0x9b)
FAILS(tr_not_present, real_mode, "GUEST_TR_ACCESS_RIGHTS", "26.3.1.2", AR(TR) = 0x0b)
FAILS(tr_reserved_11_8, real_mode, "GUEST_TR_ACCESS_RIGHTS", "26.3.1.2", AR(TR) = 0x18b)
FAILS(tr_limit_needs_g, real_mode, "GUEST_TR_ACCESS_RIGHTS", "26.3.1.2", g.seg[GSEG_TR].limit = 0x100fff)
FAILS(tr_unusable, real_mode, "GUEST_TR_ACCESS_RIGHTS", "26.3.1.2", AR(TR) = 0x1008b)
FAILS(tr_reserved_31_17, real_mode, "GUEST_TR_ACCESS_RIGHTS", "26.3.1.2", AR(TR) = 0x2008b)
FAILS(ldtr_type, real_mode, "GUEST_LDTR_ACCESS_RIGHTS", "26.3.1.2", AR(LDTR) = 0x83)
FAILS(ldtr_s_set, real_mode, "GUEST_LDTR_ACCESS_RIGHTS", "26.3.1.2", AR(LDTR) = 0x92)
FAILS(ldtr_not_present, real_mode, "GUEST_LDTR_ACCESS_RIGHTS", "26.3.1.2", AR(LDTR) = 0x02)
FAILS(ldtr_reserved_11_8, real_mode, "GUEST_LDTR_ACCESS_RIGHTS", "26.3.1.2", AR(LDTR) = 0x282)
FAILS(ldtr_limit_needs_g, real_mode, "GUEST_LDTR_ACCESS_RIGHTS", "26.3.1.2", g.seg[GSEG_LDTR].limit = 0x100000)
FAILS(ldtr_reserved_31_17, real_mode, "GUEST_LDTR_ACCESS_RIGHTS", "26.3.1.2", AR(LDTR) = 0x80082)

/* The kernel's debug=bad-guest-state option: TR as an available (not busy) 32-bit TSS. */
static void bad_guest_state_option(void **state)
{
    (void)state;
    struct guest_state g = real_mode();
    g.seg[GSEG_TR].access_rights = 0x0089;
    struct guest_check_failure f = expect_fail(&g, "GUEST_TR_ACCESS_RIGHTS", "26.3.1.2");
    assert_int_equal(f.value, 0x89);
    assert_string_equal(f.rule, "TR type must be 3 or 11 (busy TSS)");
}

/* ---- 26.3.1.3 descriptor-table registers ---- */
FAILS(gdtr_base_noncanonical, real_mode, "GUEST_GDTR_BASE", "26.3.1.3", g.gdtr_base = 1ull << 47)
FAILS(idtr_base_noncanonical, real_mode, "GUEST_IDTR_BASE", "26.3.1.3", g.idtr_base = 0x00f0000000000000ull)
FAILS(gdtr_limit_above_64k, real_mode, "GUEST_GDTR_LIMIT", "26.3.1.3", g.gdtr_limit = 0x10000)
FAILS(idtr_limit_above_64k, real_mode, "GUEST_IDTR_LIMIT", "26.3.1.3", g.idtr_limit = 0x1ffff)

/* ---- 26.3.1.4 RIP and RFLAGS ---- */
FAILS(rip_above_4g_outside_64bit, real_mode, "GUEST_RIP", "26.3.1.4", g.rip = 1ull << 32)
FAILS(rip_bits_63_48_differ, long_mode, "GUEST_RIP", "26.3.1.4", g.rip = 1ull << 48)
FAILS(rflags_bit1_clear, real_mode, "GUEST_RFLAGS", "26.3.1.4", g.rflags = 0)
FAILS(rflags_bit3_set, real_mode, "GUEST_RFLAGS", "26.3.1.4", g.rflags |= 1u << 3)
FAILS(rflags_bit5_set, real_mode, "GUEST_RFLAGS", "26.3.1.4", g.rflags |= 1u << 5)
FAILS(rflags_bit15_set, real_mode, "GUEST_RFLAGS", "26.3.1.4", g.rflags |= 1u << 15)
FAILS(rflags_bit22_set, real_mode, "GUEST_RFLAGS", "26.3.1.4", g.rflags |= 1u << 22)
FAILS(rflags_vm_with_pe_clear, v86_mode, "GUEST_RFLAGS", "26.3.1.4",
      g.cr0 = CR0_ET | CR0_NE; g.proc2_ctls |= SECONDARY_UNRESTRICTED_GUEST)
FAILS(external_interrupt_with_if_clear, real_mode, "GUEST_RFLAGS", "26.3.1.4",
      g.entry_intr_info = INTR_INFO_VALID | INTR_TYPE_EXTERNAL_INTERRUPT | 0x20)

/* ---- 26.3.1.5 non-register state ---- */
#define INJECT(type, vector) (g.entry_intr_info = INTR_INFO_VALID | (type) | (vector))
FAILS(activity_out_of_range, real_mode, "GUEST_ACTIVITY_STATE", "26.3.1.5", g.activity_state = 4)
FAILS(hlt_with_ss_dpl3, user_mode, "GUEST_ACTIVITY_STATE", "26.3.1.5", g.activity_state = GUEST_ACTIVITY_HLT)
FAILS(hlt_with_sti_blocking, real_mode, "GUEST_ACTIVITY_STATE", "26.3.1.5", g.rflags |= 1u << 9;
      g.interruptibility = GUEST_INTR_STATE_STI; g.activity_state = GUEST_ACTIVITY_HLT)
FAILS(hlt_with_gp_injection, real_mode, "GUEST_ACTIVITY_STATE", "26.3.1.5", g.activity_state = GUEST_ACTIVITY_HLT;
      INJECT(INTR_TYPE_HARDWARE_EXCEPTION | INTR_INFO_DELIVER_ERROR_CODE, 13))
FAILS(shutdown_with_external_interrupt, real_mode, "GUEST_ACTIVITY_STATE", "26.3.1.5", g.rflags |= 1u << 9;
      g.activity_state = GUEST_ACTIVITY_SHUTDOWN; INJECT(INTR_TYPE_EXTERNAL_INTERRUPT, 0x20))
FAILS(wait_for_sipi_with_nmi, real_mode, "GUEST_ACTIVITY_STATE", "26.3.1.5",
      g.activity_state = GUEST_ACTIVITY_WAIT_SIPI; INJECT(INTR_TYPE_NMI, 2))
FAILS(wait_for_sipi_with_entry_to_smm, real_mode, "GUEST_ACTIVITY_STATE", "26.3.1.5",
      g.activity_state = GUEST_ACTIVITY_WAIT_SIPI; g.entry_ctls |= ENTRY_ENTRY_TO_SMM)
FAILS(interruptibility_reserved, real_mode, "GUEST_INTERRUPTIBILITY_STATE", "26.3.1.5", g.interruptibility = 1u << 5)
FAILS(sti_and_mov_ss, real_mode, "GUEST_INTERRUPTIBILITY_STATE", "26.3.1.5", g.rflags |= 1u << 9;
      g.interruptibility = GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)
FAILS(sti_with_if_clear, real_mode, "GUEST_INTERRUPTIBILITY_STATE", "26.3.1.5",
      g.interruptibility = GUEST_INTR_STATE_STI)
FAILS(external_interrupt_under_mov_ss, real_mode, "GUEST_INTERRUPTIBILITY_STATE", "26.3.1.5", g.rflags |= 1u << 9;
      g.interruptibility = GUEST_INTR_STATE_MOV_SS; INJECT(INTR_TYPE_EXTERNAL_INTERRUPT, 0x20))
FAILS(nmi_under_mov_ss, real_mode, "GUEST_INTERRUPTIBILITY_STATE", "26.3.1.5",
      g.interruptibility = GUEST_INTR_STATE_MOV_SS; INJECT(INTR_TYPE_NMI, 2))
FAILS(smi_blocking_outside_smm, real_mode, "GUEST_INTERRUPTIBILITY_STATE", "26.3.1.5",
      g.interruptibility = GUEST_INTR_STATE_SMI)
FAILS(entry_to_smm_without_smi_blocking, real_mode, "GUEST_INTERRUPTIBILITY_STATE", "26.3.1.5",
      g.entry_ctls |= ENTRY_ENTRY_TO_SMM)
FAILS(virtual_nmi_injected_while_blocked, real_mode, "GUEST_INTERRUPTIBILITY_STATE", "26.3.1.5",
      g.pin_ctls |= PIN_NMI_EXITING | PIN_VIRTUAL_NMIS; g.interruptibility = GUEST_INTR_STATE_NMI;
      INJECT(INTR_TYPE_NMI, 2))
FAILS(enclave_interruption_with_mov_ss, real_mode, "GUEST_INTERRUPTIBILITY_STATE", "26.3.1.5",
      g.interruptibility = GUEST_INTR_STATE_MOV_SS | GUEST_INTR_STATE_ENCLAVE)
FAILS(pending_debug_reserved, real_mode, "GUEST_PENDING_DEBUG_EXCEPTIONS", "26.3.1.5", g.pending_dbg = 1u << 4)
FAILS(single_step_under_sti_without_bs, real_mode, "GUEST_PENDING_DEBUG_EXCEPTIONS", "26.3.1.5",
      g.rflags |= (1u << 9) | (1u << 8); g.interruptibility = GUEST_INTR_STATE_STI)
FAILS(bs_under_sti_without_single_step, real_mode, "GUEST_PENDING_DEBUG_EXCEPTIONS", "26.3.1.5",
      g.rflags |= 1u << 9; g.interruptibility = GUEST_INTR_STATE_STI; g.pending_dbg = 1u << 14)
FAILS(rtm_without_enabled_breakpoint, real_mode, "GUEST_PENDING_DEBUG_EXCEPTIONS", "26.3.1.5",
      g.pending_dbg = 1u << 16)
FAILS(rtm_under_mov_ss, real_mode, "GUEST_INTERRUPTIBILITY_STATE", "26.3.1.5",
      g.pending_dbg = (1u << 16) | (1u << 12); g.interruptibility = GUEST_INTR_STATE_MOV_SS)
FAILS(vmcs_link_pointer_zero, real_mode, "VMCS_LINK_POINTER", "26.3.1.5", g.vmcs_link_pointer = 0)

/* IA32_VMX_MISC bits 8:6 say which activity states the CPU can enter. */
static void hlt_not_supported(void **state)
{
    (void)state;
    struct vmx_msrs m = skylake_x_msrs();
    struct vmx_caps no_hlt;
    m.misc &= ~VMX_MISC_ACTIVITY_HLT;
    vmx_caps_decode(&m, &no_hlt);
    struct guest_state g = real_mode();
    expect_pass_with(&g, &no_hlt);
    g.activity_state = GUEST_ACTIVITY_HLT;
    expect_fail_with(&g, &no_hlt, "GUEST_ACTIVITY_STATE", "26.3.1.5");
    expect_pass_with(&g, &caps);
}

/* ---- order: the first failure in SDM order is the one reported ---- */
FAILS(order_cr0_before_tr, real_mode, "GUEST_CR0", "26.3.1.1", g.cr0 &= ~CR0_NE; AR(TR) = 0x89)
FAILS(order_tr_before_rflags, real_mode, "GUEST_TR_ACCESS_RIGHTS", "26.3.1.2", AR(TR) = 0x89; g.rflags = 0)
FAILS(order_rflags_before_link_pointer, real_mode, "GUEST_RFLAGS", "26.3.1.4", g.rflags = 0;
      g.vmcs_link_pointer = 0)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_mode_passes), cmocka_unit_test(init_state_passes),
        cmocka_unit_test(protected_mode_passes), cmocka_unit_test(user_mode_passes),
        cmocka_unit_test(long_mode_passes), cmocka_unit_test(v86_mode_passes),
        cmocka_unit_test(unusable_segments_skip_their_rules), cmocka_unit_test(cs_type3_with_unrestricted_guest),
        cmocka_unit_test(cs_type11_rpl0_in_real_mode), cmocka_unit_test(real_mode_cs_rpl1_type3),
        cmocka_unit_test(real_mode_cs_rpl3_type3),
        cmocka_unit_test(conforming_cs_dpl_below_ss), cmocka_unit_test(tr_busy_16bit_tss_outside_ia32e),
        cmocka_unit_test(controls_off_skip_msr_rules), cmocka_unit_test(hlt_with_external_interrupt),
        cmocka_unit_test(shutdown_with_nmi), cmocka_unit_test(wait_for_sipi_alone),
        cmocka_unit_test(nmi_with_sti_blocking), cmocka_unit_test(sti_single_step_with_bs),
        cmocka_unit_test(rtm_pending_debug),
        /* 26.3.1.1 */
        cmocka_unit_test(cr0_ne_clear), cmocka_unit_test(cr0_pe_clear_without_ug),
        cmocka_unit_test(cr0_pg_without_pe), cmocka_unit_test(cr4_vmxe_clear),
        cmocka_unit_test(cr4_unsupported_la57), cmocka_unit_test(cet_requires_wp),
        cmocka_unit_test(debugctl_reserved), cmocka_unit_test(ia32e_without_pg),
        cmocka_unit_test(ia32e_without_pae), cmocka_unit_test(pcide_outside_ia32e),
        cmocka_unit_test(cr3_beyond_physical_width), cmocka_unit_test(dr7_high_bits),
        cmocka_unit_test(sysenter_esp_noncanonical), cmocka_unit_test(sysenter_eip_noncanonical),
        cmocka_unit_test(pat_invalid_type), cmocka_unit_test(efer_reserved),
        cmocka_unit_test(efer_lma_without_ia32e), cmocka_unit_test(efer_lme_differs_from_lma),
        /* 26.3.1.2 */
        cmocka_unit_test(tr_selector_ti), cmocka_unit_test(ldtr_selector_ti),
        cmocka_unit_test(ss_rpl_differs_from_cs_rpl), cmocka_unit_test(v86_base_not_selector_times_16),
        cmocka_unit_test(tr_base_noncanonical), cmocka_unit_test(fs_base_noncanonical),
        cmocka_unit_test(gs_base_noncanonical), cmocka_unit_test(ldtr_base_noncanonical),
        cmocka_unit_test(cs_base_above_4g), cmocka_unit_test(ss_base_above_4g),
        cmocka_unit_test(v86_limit), cmocka_unit_test(v86_access_rights),
        cmocka_unit_test(cs_type_data_not_accessed), cmocka_unit_test(cs_type3_without_ug),
        cmocka_unit_test(ss_type_readonly), cmocka_unit_test(ds_not_accessed),
        cmocka_unit_test(gs_code_not_readable), cmocka_unit_test(es_system_segment),
        cmocka_unit_test(cs_s_clear), cmocka_unit_test(cs_type3_dpl3),
        cmocka_unit_test(nonconforming_cs_dpl_vs_ss), cmocka_unit_test(conforming_cs_dpl_above_ss),
        cmocka_unit_test(nonconforming_cs_rpl1_dpl0_ug), cmocka_unit_test(nonconforming_cs_rpl3_dpl0_ug),
        cmocka_unit_test(conforming_cs_rpl_below_dpl_ug),
        cmocka_unit_test(ss_dpl_differs_from_rpl), cmocka_unit_test(ss_dpl_nonzero_in_real_mode),
        cmocka_unit_test(ds_dpl_below_rpl), cmocka_unit_test(fs_not_present),
        cmocka_unit_test(cs_not_present), cmocka_unit_test(cs_reserved_11_8),
        cmocka_unit_test(cs_long_and_default_big), cmocka_unit_test(ds_4g_limit_byte_granular),
        cmocka_unit_test(cs_limit_11_0_not_ones_page_granular), cmocka_unit_test(ss_reserved_31_17),
        cmocka_unit_test(bad_guest_state_option), cmocka_unit_test(tr_busy_16bit_tss_in_ia32e),
        cmocka_unit_test(tr_code_segment), cmocka_unit_test(tr_not_present),
        cmocka_unit_test(tr_reserved_11_8), cmocka_unit_test(tr_limit_needs_g),
        cmocka_unit_test(tr_unusable), cmocka_unit_test(tr_reserved_31_17),
        cmocka_unit_test(ldtr_type), cmocka_unit_test(ldtr_s_set), cmocka_unit_test(ldtr_not_present),
        cmocka_unit_test(ldtr_reserved_11_8), cmocka_unit_test(ldtr_limit_needs_g),
        cmocka_unit_test(ldtr_reserved_31_17),
        /* 26.3.1.3 */
        cmocka_unit_test(gdtr_base_noncanonical), cmocka_unit_test(idtr_base_noncanonical),
        cmocka_unit_test(gdtr_limit_above_64k), cmocka_unit_test(idtr_limit_above_64k),
        /* 26.3.1.4 */
        cmocka_unit_test(rip_above_4g_outside_64bit), cmocka_unit_test(rip_bits_63_48_differ),
        cmocka_unit_test(rflags_bit1_clear), cmocka_unit_test(rflags_bit3_set),
        cmocka_unit_test(rflags_bit5_set), cmocka_unit_test(rflags_bit15_set),
        cmocka_unit_test(rflags_bit22_set), cmocka_unit_test(rflags_vm_with_pe_clear),
        cmocka_unit_test(external_interrupt_with_if_clear),
        /* 26.3.1.5 */
        cmocka_unit_test(activity_out_of_range), cmocka_unit_test(hlt_not_supported),
        cmocka_unit_test(hlt_with_ss_dpl3), cmocka_unit_test(hlt_with_sti_blocking),
        cmocka_unit_test(hlt_with_gp_injection), cmocka_unit_test(shutdown_with_external_interrupt),
        cmocka_unit_test(wait_for_sipi_with_nmi), cmocka_unit_test(wait_for_sipi_with_entry_to_smm),
        cmocka_unit_test(interruptibility_reserved), cmocka_unit_test(sti_and_mov_ss),
        cmocka_unit_test(sti_with_if_clear), cmocka_unit_test(external_interrupt_under_mov_ss),
        cmocka_unit_test(nmi_under_mov_ss), cmocka_unit_test(smi_blocking_outside_smm),
        cmocka_unit_test(entry_to_smm_without_smi_blocking), cmocka_unit_test(virtual_nmi_injected_while_blocked),
        cmocka_unit_test(enclave_interruption_with_mov_ss), cmocka_unit_test(pending_debug_reserved),
        cmocka_unit_test(single_step_under_sti_without_bs), cmocka_unit_test(bs_under_sti_without_single_step),
        cmocka_unit_test(rtm_without_enabled_breakpoint), cmocka_unit_test(rtm_under_mov_ss),
        cmocka_unit_test(vmcs_link_pointer_zero),
        /* order */
        cmocka_unit_test(order_cr0_before_tr), cmocka_unit_test(order_tr_before_rflags),
        cmocka_unit_test(order_rflags_before_link_pointer),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
