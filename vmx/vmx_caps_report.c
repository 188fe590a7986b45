/*
 * vmx_caps_report.c - the capability report as text lines, for the serial log.
 * A tiny line builder and number formatter instead of printf: this file runs
 * freestanding in the kernel and natively in the tests.
 */
#include "vmx/vmx_caps.h"
#include "vmx/vmx_names.h"

size_t vmx_fmt_dec(char *buf, size_t cap, uint64_t value)
{
    char tmp[20];                       /* 2^64 - 1 has 20 digits */
    size_t n = 0, len = 0;

    if (cap == 0)
        return 0;
    do {
        tmp[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0 && len + 1 < cap)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

size_t vmx_fmt_hex(char *buf, size_t cap, uint64_t value, unsigned min_digits)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[18];
    size_t n = 0, len = 0;

    if (cap == 0)
        return 0;
    if (min_digits > 16)
        min_digits = 16;
    do {
        tmp[n++] = digits[value & 0xF];
        value >>= 4;
    } while (value != 0 || n < min_digits);
    tmp[n++] = 'x';
    tmp[n++] = '0';
    while (n > 0 && len + 1 < cap)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

/* A line under construction; text beyond the buffer is dropped, never overrun. */
struct line_buf {
    char text[VMX_REPORT_LINE_MAX];
    size_t len;
    vmx_line_fn emit;
    void *ctx;
};

static void lb_str(struct line_buf *lb, const char *s)
{
    while (*s && lb->len + 1 < sizeof lb->text)
        lb->text[lb->len++] = *s++;
    lb->text[lb->len] = '\0';
}

static void lb_dec(struct line_buf *lb, uint64_t v)
{
    char tmp[24];
    vmx_fmt_dec(tmp, sizeof tmp, v);
    lb_str(lb, tmp);
}

static void lb_hex(struct line_buf *lb, uint64_t v, unsigned min_digits)
{
    char tmp[24];
    vmx_fmt_hex(tmp, sizeof tmp, v, min_digits);
    lb_str(lb, tmp);
}

static void lb_pad(struct line_buf *lb, size_t column)
{
    while (lb->len < column && lb->len + 1 < sizeof lb->text)
        lb->text[lb->len++] = ' ';
    lb->text[lb->len] = '\0';
}

static void lb_yn(struct line_buf *lb, bool v)
{
    lb_str(lb, v ? "yes" : "no");
}

static void lb_end(struct line_buf *lb)
{
    lb->emit(lb->ctx, lb->text);
    lb->len = 0;
    lb->text[0] = '\0';
}

/* "label: yes" */
static void line_flag(struct line_buf *lb, const char *label, bool v)
{
    lb_str(lb, label);
    lb_str(lb, ": ");
    lb_yn(lb, v);
    lb_end(lb);
}

static const char *memtype_name(unsigned t)
{
    switch (t) {                        /* SDM Vol.3A 11.3, Table 11-2 */
    case EPT_MT_UC: return "UC";
    case EPT_MT_WC: return "WC";
    case EPT_MT_WT: return "WT";
    case EPT_MT_WP: return "WP";
    case EPT_MT_WB: return "WB";
    default:        return "reserved";
    }
}

/* Table of one control field: every named bit, plus reserved bits that are
 * not simply "must be 0" (a reserved bit fixed to 1 matters when writing). */
static void report_controls(struct line_buf *lb, const struct vmx_caps *c, enum vmx_ctl ctl)
{
    const struct vmx_ctl_caps *cc = &c->ctl[ctl];

    lb_str(lb, vmx_control_field_name(ctl));
    lb_str(lb, " (MSR ");
    lb_hex(lb, cc->msr_index, 0);
    lb_str(lb, " = ");
    lb_hex(lb, cc->msr_value, 16);
    lb_str(lb, ")");
    lb_end(lb);
    lb_str(lb, "  bit  0  1  control      (y = the CPU allows this setting)");
    lb_end(lb);
    for (unsigned b = 0; b < 32; b++) {
        const char *name = vmx_control_name(ctl, b);
        bool can0 = vmx_ctl_can_be_0(cc, b), can1 = vmx_ctl_can_be_1(cc, b);
        if (name == NULL && can0 && !can1)
            continue;                   /* reserved and 0: nothing to say */
        lb_pad(lb, 3);                  /* bit number right-aligned under "bit" */
        if (b < 10)
            lb_str(lb, " ");
        lb_dec(lb, b);
        lb_pad(lb, 7);
        lb_str(lb, can0 ? "y" : "-");
        lb_pad(lb, 10);
        lb_str(lb, can1 ? "y" : "-");
        lb_pad(lb, 13);
        lb_str(lb, name ? name : "(reserved)");
        lb_end(lb);
    }
}

static void report_ept(struct line_buf *lb, const struct vmx_caps *c)
{
    const struct vmx_ept_vpid_caps *e = &c->ept;

    lb_str(lb, "EPT/VPID capabilities (IA32_VMX_EPT_VPID_CAP = ");
    lb_hex(lb, c->ept_vpid_cap_raw, 16);
    lb_str(lb, ")");
    lb_end(lb);
    line_flag(lb, "  page-walk length 4", e->walk_length_4);
    line_flag(lb, "  page-walk length 5", e->walk_length_5);
    lb_str(lb, "  EPTP memory types: UC ");
    lb_yn(lb, e->memtype_uc);
    lb_str(lb, ", WB ");
    lb_yn(lb, e->memtype_wb);
    lb_end(lb);
    lb_str(lb, "  large pages: 2 MiB ");
    lb_yn(lb, e->pages_2m);
    lb_str(lb, ", 1 GiB ");
    lb_yn(lb, e->pages_1g);
    lb_end(lb);
    line_flag(lb, "  accessed and dirty flags", e->accessed_dirty);
    line_flag(lb, "  execute-only translations", e->execute_only);
    line_flag(lb, "  advanced EPT-violation exit information", e->advanced_exit_info);
    lb_str(lb, "  INVEPT: ");
    lb_yn(lb, e->invept);
    lb_str(lb, " (single-context ");
    lb_yn(lb, e->invept_single_context);
    lb_str(lb, ", all-context ");
    lb_yn(lb, e->invept_all_context);
    lb_str(lb, ")");
    lb_end(lb);
    lb_str(lb, "  INVVPID: ");
    lb_yn(lb, e->invvpid);
    lb_str(lb, " (individual-address ");
    lb_yn(lb, e->invvpid_individual_address);
    lb_str(lb, ", single-context ");
    lb_yn(lb, e->invvpid_single_context);
    lb_str(lb, ", all-context ");
    lb_yn(lb, e->invvpid_all_context);
    lb_str(lb, ", single-context-retaining-globals ");
    lb_yn(lb, e->invvpid_single_context_globals);
    lb_str(lb, ")");
    lb_end(lb);
}

static void report_misc(struct line_buf *lb, const struct vmx_caps *c)
{
    const struct vmx_misc_caps *m = &c->misc;

    lb_str(lb, "miscellaneous (IA32_VMX_MISC = ");
    lb_hex(lb, c->misc_raw, 16);
    lb_str(lb, ")");
    lb_end(lb);
    lb_str(lb, "  VMX-preemption timer: ticks every 2^");
    lb_dec(lb, m->preemption_timer_rate);
    lb_str(lb, " TSC cycles");
    lb_end(lb);
    lb_str(lb, "  activity states: HLT ");
    lb_yn(lb, m->activity_hlt);
    lb_str(lb, ", shutdown ");
    lb_yn(lb, m->activity_shutdown);
    lb_str(lb, ", wait-for-SIPI ");
    lb_yn(lb, m->activity_wait_for_sipi);
    lb_end(lb);
    lb_str(lb, "  CR3-target values: ");
    lb_dec(lb, m->cr3_target_count);
    lb_end(lb);
    lb_str(lb, "  MSR-list entries (recommended maximum): ");
    lb_dec(lb, m->max_msr_list);
    lb_end(lb);
    line_flag(lb, "  EFER.LMA stored into \"IA-32e mode guest\" on exit", m->store_efer_lma);
    line_flag(lb, "  VMWRITE to any VMCS field", m->vmwrite_any_field);
    line_flag(lb, "  injection with instruction length 0", m->zero_length_injection);
}

static void report_cr(struct line_buf *lb, const char *name, uint64_t f0, uint64_t f1)
{
    lb_str(lb, name);
    lb_str(lb, " fixed bits: must be 1 ");
    lb_hex(lb, f0, 8);
    lb_str(lb, ", may be 1 ");
    lb_hex(lb, f1, 8);
    lb_end(lb);
}

void vmx_caps_report(const struct vmx_caps *c, vmx_line_fn line, void *ctx)
{
    struct line_buf lb = { .len = 0, .emit = line, .ctx = ctx };
    lb.text[0] = '\0';

    lb_str(&lb, "VMX capability report");
    lb_end(&lb);
    lb_str(&lb, "verdict: ");
    lb_str(&lb, vmx_verdict_text(c->verdict));
    lb_end(&lb);
    if (c->verdict == VMX_VERDICT_NO_VMX)
        return;                         /* no VMX MSRs to show */

    lb_str(&lb, "IA32_FEATURE_CONTROL = ");
    lb_hex(&lb, c->feature_control_raw, 0);
    lb_str(&lb, c->feature_control_locked ? " (locked" : " (unlocked");
    lb_str(&lb, c->vmx_outside_smx ? ", VMX outside SMX enabled)" : ", VMX outside SMX disabled)");
    lb_end(&lb);

    lb_str(&lb, "VMCS revision ID ");
    lb_hex(&lb, c->revision_id, 0);
    lb_str(&lb, ", region size ");
    lb_dec(&lb, c->vmcs_region_size);
    lb_str(&lb, " bytes, memory type ");
    lb_str(&lb, memtype_name(c->vmcs_memory_type));
    lb_end(&lb);
    line_flag(&lb, "TRUE control MSRs (IA32_VMX_BASIC bit 55)", c->true_controls);
    line_flag(&lb, "INS/OUTS instruction information (bit 54)", c->ins_outs_info);
    line_flag(&lb, "VMXON/VMCS regions below 4 GiB only (bit 48)", c->phys_addr_32bit);

    for (int i = 0; i < VMX_CTL_COUNT; i++)
        report_controls(&lb, c, (enum vmx_ctl)i);
    report_ept(&lb, c);
    report_misc(&lb, c);
    report_cr(&lb, "CR0", c->cr0_fixed0, c->cr0_fixed1);
    report_cr(&lb, "CR4", c->cr4_fixed0, c->cr4_fixed1);

    lb_str(&lb, "features vmxlab uses:");
    lb_end(&lb);
    for (int f = 0; f < VMX_FEAT_COUNT; f++)
        line_flag(&lb, vmx_feature_name((enum vmx_feature)f), c->has[f]);
}
