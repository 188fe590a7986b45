/*
 * guest_check.c - SDM Vol.3C 26.3.1: the guest-state checks of VM entry, in the
 * manual's order, reporting the first rule that fails. No libc, no hardware.
 *
 * Each rule is one REQUIRE(ok, field, value, rule) line: `ok` is the condition
 * the manual demands, `field` and `value` the VMCS field a student should look
 * at, `rule` the manual's requirement in one sentence. The order of the lines
 * is the order of the bullets in 26.3.1.x, so the first failure reported is
 * the one a CPU that checks in manual order would hit first. (Real CPUs and
 * Bochs may check in another order; the exit reason does not tell which rule
 * failed, so this is a diagnosis, not an oracle.)
 */
#include "vmx/guest_check.h"

/* What the rules depend on, computed once from the controls (26.3.1 preamble). */
struct ctx {
    const struct guest_state *g;
    const struct vmx_caps *caps;
    struct guest_check_failure *f;
    bool ug;            /* "unrestricted guest" in effect (needs "activate secondary controls") */
    bool ia32e;         /* "IA-32e mode guest" VM-entry control */
    bool v86;           /* RFLAGS.VM = 1: the guest will be in virtual-8086 mode */
    bool cs_l;          /* CS.L (access rights bit 13) */
    unsigned la_width;  /* linear-address width: 57 if CR4.LA57 may be 1, else 48 */
    bool injecting;     /* VM-entry interruption information valid */
    uint32_t inj_type;  /* interruption type (bits 10:8, not shifted) */
    uint32_t inj_vector;
};

static bool fail(struct ctx *c, const char *field, uint64_t value, const char *rule, const char *section)
{
    c->f->field = field;
    c->f->value = value;
    c->f->rule = rule;
    c->f->section = section;
    return false;
}

/* SECTION is #defined before each group of rules. */
#define REQUIRE(ok, field, value, rule) \
    do { if (!(ok)) return fail(c, (field), (value), (rule), SECTION); } while (0)

/* Bits 63:N-1 all equal (a canonical address for an N-bit linear-address width). */
static bool canonical(uint64_t a, unsigned width)
{
    uint64_t top = a >> (width - 1);
    return top == 0 || top == (~0ull >> (width - 1));
}

static bool hi32_zero(uint64_t v)
{
    return (v >> 32) == 0;
}

/* ------------------------------------------------------------------------- */
/* 26.3.1.1 Checks on guest control registers, debug registers and MSRs      */
/* ------------------------------------------------------------------------- */
#define SECTION "26.3.1.1"

#define DEBUGCTL_RESERVED   0xFFFFFFFFFFFF003Cull  /* bits 5:2, 63:16 (SDM Vol.4 IA32_DEBUGCTL) */
#define EFER_RESERVED       (~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
#define CR3_RESERVED        0xFFF0000000000000ull  /* beyond 52 bits, the architectural MAXPHYADDR */

/* Memory types a PAT entry may hold: UC, WC, WT, WP, WB, UC- (SDM Vol.3A 11.12.2) */
static bool pat_valid(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        unsigned t = (pat >> (8 * i)) & 0xFF;
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

static bool check_control_regs_msrs(struct ctx *c)
{
    const struct guest_state *g = c->g;
    bool load_dbg = g->entry_ctls & ENTRY_LOAD_DEBUG_CONTROLS;

    REQUIRE(vmx_cr_check(g->cr0, vmx_guest_cr0_fixed0(c->caps, c->ug), c->caps->cr0_fixed1, NULL),
            "GUEST_CR0", g->cr0,
            "CR0 bits set in IA32_VMX_CR0_FIXED0 must be 1 and bits clear in IA32_VMX_CR0_FIXED1 "
            "must be 0 (PE and PG are exempt only with unrestricted guest)");
    REQUIRE(!(g->cr0 & CR0_PG) || (g->cr0 & CR0_PE), "GUEST_CR0", g->cr0,
            "CR0.PG = 1 requires CR0.PE = 1");
    REQUIRE(vmx_guest_cr4_check(c->caps, g->cr4, NULL), "GUEST_CR4", g->cr4,
            "CR4 bits set in IA32_VMX_CR4_FIXED0 (VMXE) must be 1 and bits clear in "
            "IA32_VMX_CR4_FIXED1 (unsupported or reserved) must be 0");
    REQUIRE(!(g->cr4 & CR4_CET) || (g->cr0 & CR0_WP), "GUEST_CR0", g->cr0,
            "CR4.CET = 1 requires CR0.WP = 1");
    REQUIRE(!load_dbg || !(g->ia32_debugctl & DEBUGCTL_RESERVED), "GUEST_IA32_DEBUGCTL",
            g->ia32_debugctl,
            "with \"load debug controls\", IA32_DEBUGCTL reserved bits 5:2 and 63:16 must be 0");
    REQUIRE(!c->ia32e || (g->cr0 & CR0_PG), "GUEST_CR0", g->cr0,
            "\"IA-32e mode guest\" requires CR0.PG = 1");
    REQUIRE(!c->ia32e || (g->cr4 & CR4_PAE), "GUEST_CR4", g->cr4,
            "\"IA-32e mode guest\" requires CR4.PAE = 1");
    REQUIRE(c->ia32e || !(g->cr4 & CR4_PCIDE), "GUEST_CR4", g->cr4,
            "CR4.PCIDE must be 0 unless \"IA-32e mode guest\" is 1");
    REQUIRE(!(g->cr3 & CR3_RESERVED), "GUEST_CR3", g->cr3,
            "CR3 bits beyond the physical-address width must be 0 (checked here: 63:52)");
    REQUIRE(!load_dbg || hi32_zero(g->dr7), "GUEST_DR7", g->dr7,
            "with \"load debug controls\", DR7 bits 63:32 must be 0");
    REQUIRE(canonical(g->sysenter_esp, c->la_width), "GUEST_IA32_SYSENTER_ESP", g->sysenter_esp,
            "IA32_SYSENTER_ESP must be canonical");
    REQUIRE(canonical(g->sysenter_eip, c->la_width), "GUEST_IA32_SYSENTER_EIP", g->sysenter_eip,
            "IA32_SYSENTER_EIP must be canonical");
    if (g->entry_ctls & ENTRY_LOAD_IA32_PAT)
        REQUIRE(pat_valid(g->ia32_pat), "GUEST_IA32_PAT", g->ia32_pat,
                "with \"load IA32_PAT\", every PAT entry must be 0 (UC), 1 (WC), 4 (WT), 5 (WP), "
                "6 (WB) or 7 (UC-)");
    if (g->entry_ctls & ENTRY_LOAD_IA32_EFER) {
        REQUIRE(!(g->ia32_efer & EFER_RESERVED), "GUEST_IA32_EFER", g->ia32_efer,
                "with \"load IA32_EFER\", EFER reserved bits (all but SCE, LME, LMA, NXE) must be 0");
        REQUIRE(!!(g->ia32_efer & EFER_LMA) == c->ia32e, "GUEST_IA32_EFER", g->ia32_efer,
                "with \"load IA32_EFER\", EFER.LMA must equal the \"IA-32e mode guest\" control");
        REQUIRE(!(g->cr0 & CR0_PG) || !!(g->ia32_efer & EFER_LMA) == !!(g->ia32_efer & EFER_LME),
                "GUEST_IA32_EFER", g->ia32_efer,
                "with \"load IA32_EFER\" and CR0.PG = 1, EFER.LMA must equal EFER.LME");
    }
    return true;
}
#undef SECTION

/* ------------------------------------------------------------------------- */
/* 26.3.1.2 Checks on guest segment registers                                 */
/* ------------------------------------------------------------------------- */
#define SECTION "26.3.1.2"

/* Access-rights bits (24.4.1, Table 24-2) */
#define AR_TYPE(ar)         ((ar) & 0xFu)
#define AR_S                (1u << 4)
#define AR_DPL(ar)          (((ar) >> 5) & 3u)
#define AR_P                (1u << 7)
#define AR_RSVD_11_8        0x00000F00u
#define AR_L                (1u << 13)
#define AR_DB               (1u << 14)
#define AR_G                (1u << 15)
#define AR_UNUSABLE         (1u << 16)
#define AR_RSVD_31_17       0xFFFE0000u
#define SEL_RPL(sel)        ((sel) & 3u)
#define SEL_TI              (1u << 2)

enum { F_SELECTOR, F_BASE, F_LIMIT, F_AR };

static const char *const seg_field[GSEG_COUNT][4] = {
#define SEG_FIELDS(R) \
    { "GUEST_" #R "_SELECTOR", "GUEST_" #R "_BASE", "GUEST_" #R "_LIMIT", "GUEST_" #R "_ACCESS_RIGHTS" }
    [GSEG_ES] = SEG_FIELDS(ES), [GSEG_CS] = SEG_FIELDS(CS), [GSEG_SS] = SEG_FIELDS(SS),
    [GSEG_DS] = SEG_FIELDS(DS), [GSEG_FS] = SEG_FIELDS(FS), [GSEG_GS] = SEG_FIELDS(GS),
    [GSEG_LDTR] = SEG_FIELDS(LDTR), [GSEG_TR] = SEG_FIELDS(TR),
#undef SEG_FIELDS
};

/* The data-segment registers that "if usable" rules apply to, in SDM order. */
static const enum guest_seg_id data_segs[] = { GSEG_DS, GSEG_ES, GSEG_FS, GSEG_GS };
/* The six code/data registers, in the order the SDM lists them. */
static const enum guest_seg_id six_segs[] = { GSEG_CS, GSEG_SS, GSEG_DS, GSEG_ES, GSEG_FS, GSEG_GS };

static bool usable(const struct guest_seg *s)
{
    return !(s->access_rights & AR_UNUSABLE);
}

/* CS is checked even when marked unusable; the others only when usable. */
static bool applies(const struct guest_seg *s, enum guest_seg_id id)
{
    return id == GSEG_CS || usable(s);
}

/* G bit vs limit: a limit with any of bits 11:0 clear needs byte granularity
 * (G = 0); a limit with any of bits 31:20 set needs page granularity (G = 1). */
static bool granularity_ok(const struct guest_seg *s)
{
    if ((s->limit & 0xFFFu) != 0xFFFu && (s->access_rights & AR_G))
        return false;
    if ((s->limit & 0xFFF00000u) && !(s->access_rights & AR_G))
        return false;
    return true;
}

#define SEG_REQUIRE(ok, id, which, value, rule) REQUIRE(ok, seg_field[id][which], value, rule)

/* Selector and base-address fields; limits and access rights in virtual-8086 mode. */
static bool check_selectors_bases_v86(struct ctx *c)
{
    const struct guest_state *g = c->g;
    const struct guest_seg *cs = &g->seg[GSEG_CS], *ss = &g->seg[GSEG_SS];
    const struct guest_seg *tr = &g->seg[GSEG_TR], *ldtr = &g->seg[GSEG_LDTR];

    /* Selector fields */
    SEG_REQUIRE(!(tr->selector & SEL_TI), GSEG_TR, F_SELECTOR, tr->selector,
                "TR selector TI flag (bit 2) must be 0");
    SEG_REQUIRE(!usable(ldtr) || !(ldtr->selector & SEL_TI), GSEG_LDTR, F_SELECTOR, ldtr->selector,
                "usable LDTR: selector TI flag (bit 2) must be 0");
    SEG_REQUIRE(c->v86 || c->ug || SEL_RPL(ss->selector) == SEL_RPL(cs->selector), GSEG_SS, F_SELECTOR,
                ss->selector, "without unrestricted guest or virtual-8086 mode, SS.RPL must equal CS.RPL");

    /* Base-address fields */
    for (unsigned i = 0; c->v86 && i < 6; i++) {
        const struct guest_seg *s = &g->seg[six_segs[i]];
        SEG_REQUIRE(s->base == (uint64_t)s->selector << 4, six_segs[i], F_BASE, s->base,
                    "virtual-8086 mode: base must be the selector shifted left by 4");
    }
    SEG_REQUIRE(canonical(tr->base, c->la_width), GSEG_TR, F_BASE, tr->base, "TR base must be canonical");
    SEG_REQUIRE(canonical(g->seg[GSEG_FS].base, c->la_width), GSEG_FS, F_BASE, g->seg[GSEG_FS].base,
                "FS base must be canonical");
    SEG_REQUIRE(canonical(g->seg[GSEG_GS].base, c->la_width), GSEG_GS, F_BASE, g->seg[GSEG_GS].base,
                "GS base must be canonical");
    SEG_REQUIRE(!usable(ldtr) || canonical(ldtr->base, c->la_width), GSEG_LDTR, F_BASE, ldtr->base,
                "usable LDTR: base must be canonical");
    SEG_REQUIRE(hi32_zero(cs->base), GSEG_CS, F_BASE, cs->base, "CS base bits 63:32 must be 0");
    static const enum guest_seg_id ss_ds_es[] = { GSEG_SS, GSEG_DS, GSEG_ES };
    for (unsigned i = 0; i < 3; i++) {
        const struct guest_seg *s = &g->seg[ss_ds_es[i]];
        SEG_REQUIRE(!usable(s) || hi32_zero(s->base), ss_ds_es[i], F_BASE, s->base,
                    "usable SS, DS, ES: base bits 63:32 must be 0");
    }

    /* Limit and access-rights fields in virtual-8086 mode */
    if (c->v86) {
        for (unsigned i = 0; i < 6; i++) {
            const struct guest_seg *s = &g->seg[six_segs[i]];
            SEG_REQUIRE(s->limit == 0xFFFF, six_segs[i], F_LIMIT, s->limit,
                        "virtual-8086 mode: limit must be 0000FFFFh");
        }
        for (unsigned i = 0; i < 6; i++) {
            const struct guest_seg *s = &g->seg[six_segs[i]];
            SEG_REQUIRE(s->access_rights == 0xF3, six_segs[i], F_AR, s->access_rights,
                        "virtual-8086 mode: access rights must be 000000F3h "
                        "(present, DPL 3, read/write accessed data)");
        }
    }
    return true;
}

/* Access rights of CS, SS, DS, ES, FS, GS outside virtual-8086 mode. The SDM
 * lists the rules by bit ("bit 4 for CS, SS, ...", then "bits 6:5 ..."), so the
 * loops go bit by bit across registers, not register by register. */
static bool check_code_data_access_rights(struct ctx *c)
{
    const struct guest_state *g = c->g;
    const struct guest_seg *cs = &g->seg[GSEG_CS], *ss = &g->seg[GSEG_SS];
    unsigned cs_type = AR_TYPE(cs->access_rights);

    /* Type (bits 3:0) */
    SEG_REQUIRE(cs_type == 9 || cs_type == 11 || cs_type == 13 || cs_type == 15 || (c->ug && cs_type == 3),
                GSEG_CS, F_AR, cs->access_rights,
                c->ug ? "CS type must be 3 (read/write accessed data), 9, 11, 13 or 15 (accessed code)"
                      : "CS type must be 9, 11, 13 or 15 (accessed code); 3 needs unrestricted guest");
    SEG_REQUIRE(!usable(ss) || AR_TYPE(ss->access_rights) == 3 || AR_TYPE(ss->access_rights) == 7,
                GSEG_SS, F_AR, ss->access_rights,
                "usable SS: type must be 3 or 7 (read/write accessed data)");
    for (unsigned i = 0; i < 4; i++) {
        const struct guest_seg *s = &g->seg[data_segs[i]];
        unsigned t = AR_TYPE(s->access_rights);
        SEG_REQUIRE(!usable(s) || (t & 1), data_segs[i], F_AR, s->access_rights,
                    "usable DS, ES, FS, GS: type bit 0 (accessed) must be 1");
        SEG_REQUIRE(!usable(s) || !(t & 8) || (t & 2), data_segs[i], F_AR, s->access_rights,
                    "usable DS, ES, FS, GS: a code segment must be readable (type bit 1)");
    }
    /* S (bit 4) */
    for (unsigned i = 0; i < 6; i++) {
        const struct guest_seg *s = &g->seg[six_segs[i]];
        SEG_REQUIRE(!applies(s, six_segs[i]) || (s->access_rights & AR_S), six_segs[i], F_AR,
                    s->access_rights, "CS, and any usable SS, DS, ES, FS, GS: S (bit 4) must be 1");
    }
    /* DPL (bits 6:5) */
    unsigned cs_dpl = AR_DPL(cs->access_rights), ss_dpl = AR_DPL(ss->access_rights);
    SEG_REQUIRE(cs_type != 3 || cs_dpl == 0, GSEG_CS, F_AR, cs->access_rights,
                "CS type 3 (unrestricted guest): DPL must be 0");
    SEG_REQUIRE(!(cs_type == 9 || cs_type == 11) || cs_dpl == ss_dpl, GSEG_CS, F_AR, cs->access_rights,
                "non-conforming CS (type 9 or 11): DPL must equal SS.DPL");
    SEG_REQUIRE(!(cs_type == 13 || cs_type == 15) || cs_dpl <= ss_dpl, GSEG_CS, F_AR, cs->access_rights,
                "conforming CS (type 13 or 15): DPL must not be greater than SS.DPL");
    SEG_REQUIRE(c->ug || ss_dpl == SEL_RPL(ss->selector), GSEG_SS, F_AR, ss->access_rights,
                "without unrestricted guest, SS.DPL must equal SS.RPL");
    SEG_REQUIRE(!(cs_type == 3 || !(g->cr0 & CR0_PE)) || ss_dpl == 0, GSEG_SS, F_AR, ss->access_rights,
                "SS.DPL must be 0 when CR0.PE = 0 or CS type is 3");
    for (unsigned i = 0; i < 4; i++) {
        const struct guest_seg *s = &g->seg[data_segs[i]];
        bool checked = !c->ug && usable(s) && AR_TYPE(s->access_rights) <= 11;
        SEG_REQUIRE(!checked || AR_DPL(s->access_rights) >= SEL_RPL(s->selector), data_segs[i], F_AR,
                    s->access_rights,
                    "without unrestricted guest, usable data or non-conforming code segment: DPL >= RPL");
    }
    /* CS.RPL against CS.DPL: without unrestricted guest this follows from the rules above
     * (CS.RPL = SS.RPL = SS.DPL, and CS.DPL = SS.DPL for non-conforming, <= for conforming
     * code). With unrestricted guest the SDM drops the SS rules and states none for CS, but
     * Bochs 2.7 (cpu/vmx.cc, "non-conforming CS.RPL <> CS.DPL") checks it in every mode, and
     * Bochs is vmxlab's VMX machine: a real-mode CS whose selector has RPL 1-3 (guest.entry=
     * 0001:7BF0) is then refused with a code-segment type. vmxlab's real-mode CS is type 3
     * (data, DPL 0), as after RESET (Table 9-1), which neither rule covers. */
    SEG_REQUIRE(!(cs_type == 9 || cs_type == 11) || cs_dpl == SEL_RPL(cs->selector), GSEG_CS, F_SELECTOR,
                cs->selector,
                "non-conforming CS (type 9 or 11): the selector's RPL must equal CS.DPL (implied without "
                "unrestricted guest; Bochs checks it with unrestricted guest too: use type 3 in real mode)");
    SEG_REQUIRE(!(cs_type == 13 || cs_type == 15) || cs_dpl <= SEL_RPL(cs->selector), GSEG_CS, F_SELECTOR,
                cs->selector,
                "conforming CS (type 13 or 15): the selector's RPL must not be below CS.DPL (implied without "
                "unrestricted guest; Bochs checks it with unrestricted guest too)");
    /* P (bit 7), reserved bits 11:8 */
    for (unsigned i = 0; i < 6; i++) {
        const struct guest_seg *s = &g->seg[six_segs[i]];
        SEG_REQUIRE(!applies(s, six_segs[i]) || (s->access_rights & AR_P), six_segs[i], F_AR,
                    s->access_rights, "CS, and any usable SS, DS, ES, FS, GS: P (bit 7) must be 1");
    }
    for (unsigned i = 0; i < 6; i++) {
        const struct guest_seg *s = &g->seg[six_segs[i]];
        SEG_REQUIRE(!applies(s, six_segs[i]) || !(s->access_rights & AR_RSVD_11_8), six_segs[i], F_AR,
                    s->access_rights, "CS, and any usable SS, DS, ES, FS, GS: reserved bits 11:8 must be 0");
    }
    /* D/B (bit 14) */
    SEG_REQUIRE(!(c->ia32e && c->cs_l) || !(cs->access_rights & AR_DB), GSEG_CS, F_AR, cs->access_rights,
                "IA-32e mode guest with CS.L = 1: CS.D/B must be 0");
    /* G (bit 15), reserved bits 31:17 */
    for (unsigned i = 0; i < 6; i++) {
        const struct guest_seg *s = &g->seg[six_segs[i]];
        SEG_REQUIRE(!applies(s, six_segs[i]) || granularity_ok(s), six_segs[i], F_AR, s->access_rights,
                    "G (bit 15) must be 1 if any limit bit 31:20 is 1, and 0 if any limit bit 11:0 is 0");
    }
    for (unsigned i = 0; i < 6; i++) {
        const struct guest_seg *s = &g->seg[six_segs[i]];
        SEG_REQUIRE(!applies(s, six_segs[i]) || !(s->access_rights & AR_RSVD_31_17), six_segs[i], F_AR,
                    s->access_rights, "CS, and any usable SS, DS, ES, FS, GS: reserved bits 31:17 must be 0");
    }
    return true;
}

/* TR (always) and LDTR (if usable) */
static bool check_system_segments(struct ctx *c)
{
    const struct guest_seg *tr = &c->g->seg[GSEG_TR], *ldtr = &c->g->seg[GSEG_LDTR];

    /* TR: never unusable */
    unsigned tr_ar = tr->access_rights, tr_type = AR_TYPE(tr_ar);
    SEG_REQUIRE(c->ia32e ? tr_type == 11 : (tr_type == 3 || tr_type == 11), GSEG_TR, F_AR, tr_ar,
                c->ia32e ? "IA-32e mode guest: TR type must be 11 (busy 64-bit TSS)"
                         : "TR type must be 3 or 11 (busy TSS)");
    SEG_REQUIRE(!(tr_ar & AR_S), GSEG_TR, F_AR, tr_ar, "TR: S (bit 4) must be 0 (system segment)");
    SEG_REQUIRE(tr_ar & AR_P, GSEG_TR, F_AR, tr_ar, "TR: P (bit 7) must be 1");
    SEG_REQUIRE(!(tr_ar & AR_RSVD_11_8), GSEG_TR, F_AR, tr_ar, "TR: reserved bits 11:8 must be 0");
    SEG_REQUIRE(granularity_ok(tr), GSEG_TR, F_AR, tr_ar,
                "TR: G (bit 15) must be 1 if any limit bit 31:20 is 1, and 0 if any limit bit 11:0 is 0");
    SEG_REQUIRE(!(tr_ar & AR_UNUSABLE), GSEG_TR, F_AR, tr_ar, "TR must be usable (bit 16 = 0)");
    SEG_REQUIRE(!(tr_ar & AR_RSVD_31_17), GSEG_TR, F_AR, tr_ar, "TR: reserved bits 31:17 must be 0");

    /* LDTR, if usable */
    if (usable(ldtr)) {
        unsigned ar = ldtr->access_rights;
        SEG_REQUIRE(AR_TYPE(ar) == 2, GSEG_LDTR, F_AR, ar, "usable LDTR: type must be 2 (LDT)");
        SEG_REQUIRE(!(ar & AR_S), GSEG_LDTR, F_AR, ar, "usable LDTR: S (bit 4) must be 0 (system segment)");
        SEG_REQUIRE(ar & AR_P, GSEG_LDTR, F_AR, ar, "usable LDTR: P (bit 7) must be 1");
        SEG_REQUIRE(!(ar & AR_RSVD_11_8), GSEG_LDTR, F_AR, ar, "usable LDTR: reserved bits 11:8 must be 0");
        SEG_REQUIRE(granularity_ok(ldtr), GSEG_LDTR, F_AR, ar,
                    "usable LDTR: G (bit 15) must be 1 if any limit bit 31:20 is 1, and 0 if any limit "
                    "bit 11:0 is 0");
        SEG_REQUIRE(!(ar & AR_RSVD_31_17), GSEG_LDTR, F_AR, ar, "usable LDTR: reserved bits 31:17 must be 0");
    }
    return true;
}

static bool check_segments(struct ctx *c)
{
    return check_selectors_bases_v86(c) && (c->v86 || check_code_data_access_rights(c)) &&
           check_system_segments(c);
}
#undef SECTION

/* ------------------------------------------------------------------------- */
/* 26.3.1.3 Checks on guest descriptor-table registers                        */
/* ------------------------------------------------------------------------- */
#define SECTION "26.3.1.3"

static bool check_descriptor_tables(struct ctx *c)
{
    const struct guest_state *g = c->g;

    REQUIRE(canonical(g->gdtr_base, c->la_width), "GUEST_GDTR_BASE", g->gdtr_base, "GDTR base must be canonical");
    REQUIRE(canonical(g->idtr_base, c->la_width), "GUEST_IDTR_BASE", g->idtr_base, "IDTR base must be canonical");
    REQUIRE(!(g->gdtr_limit & 0xFFFF0000u), "GUEST_GDTR_LIMIT", g->gdtr_limit, "GDTR limit bits 31:16 must be 0");
    REQUIRE(!(g->idtr_limit & 0xFFFF0000u), "GUEST_IDTR_LIMIT", g->idtr_limit, "IDTR limit bits 31:16 must be 0");
    return true;
}
#undef SECTION

/* ------------------------------------------------------------------------- */
/* 26.3.1.4 Checks on guest RIP and RFLAGS                                    */
/* ------------------------------------------------------------------------- */
#define SECTION "26.3.1.4"

#define RFLAGS_FIXED1       (1ull << 1)
#define RFLAGS_RESERVED     (~0x3FFFFFull | (1ull << 15) | (1ull << 5) | (1ull << 3))
#define RFLAGS_TF           (1ull << 8)
#define RFLAGS_IF           (1ull << 9)
#define RFLAGS_VM           (1ull << 17)

static bool check_rip_rflags(struct ctx *c)
{
    const struct guest_state *g = c->g;
    bool long64 = c->ia32e && c->cs_l;

    REQUIRE(long64 || hi32_zero(g->rip), "GUEST_RIP", g->rip,
            "RIP bits 63:32 must be 0 unless \"IA-32e mode guest\" is 1 and CS.L = 1");
    /* "bits 63:N must be identical", N = linear-address width: one bit laxer than canonical */
    REQUIRE(!long64 || canonical(g->rip, c->la_width + 1), "GUEST_RIP", g->rip,
            "64-bit guest: RIP bits 63:N (N = linear-address width) must be identical");
    REQUIRE(!(g->rflags & RFLAGS_RESERVED) && (g->rflags & RFLAGS_FIXED1), "GUEST_RFLAGS", g->rflags,
            "RFLAGS bit 1 must be 1; bits 3, 5, 15 and 63:22 must be 0");
    REQUIRE(!(g->rflags & RFLAGS_VM) || (!c->ia32e && (g->cr0 & CR0_PE)), "GUEST_RFLAGS", g->rflags,
            "RFLAGS.VM must be 0 in IA-32e mode or when CR0.PE = 0");
    REQUIRE(!(c->injecting && c->inj_type == INTR_TYPE_EXTERNAL_INTERRUPT) || (g->rflags & RFLAGS_IF),
            "GUEST_RFLAGS", g->rflags, "RFLAGS.IF must be 1 when injecting an external interrupt");
    return true;
}
#undef SECTION

/* ------------------------------------------------------------------------- */
/* 26.3.1.5 Checks on guest non-register state                                */
/* ------------------------------------------------------------------------- */
#define SECTION "26.3.1.5"

#define PENDING_DBG_RESERVED    0xFFFFFFFFFFFEAFF0ull  /* bits 11:4, 13, 15, 63:17 */
#define PENDING_DBG_ENABLED_BP  (1ull << 12)
#define PENDING_DBG_BS          (1ull << 14)
#define PENDING_DBG_RTM         (1ull << 16)
#define DEBUGCTL_BTF            (1ull << 1)
#define INTR_STATE_RESERVED     0xFFFFFFE0u            /* bits 31:5 */
#define VECTOR_DB               1u
#define VECTOR_MC               18u

static bool activity_supported(const struct vmx_caps *caps, uint32_t state)
{
    switch (state) {
    case GUEST_ACTIVITY_ACTIVE:     return true;
    case GUEST_ACTIVITY_HLT:        return caps->misc.activity_hlt;
    case GUEST_ACTIVITY_SHUTDOWN:   return caps->misc.activity_shutdown;
    case GUEST_ACTIVITY_WAIT_SIPI:  return caps->misc.activity_wait_for_sipi;
    default:                        return false;
    }
}

/* 26.3.1.5, "activity state" bullets: events that may be injected in each state.
 * HLT wakes for external interrupts, NMIs, #DB, #MC and a pending MTF (type 7,
 * vector 0); shutdown only for NMI and #MC; wait-for-SIPI for nothing. */
static bool injection_allowed_in(const struct ctx *c, uint32_t state)
{
    uint32_t t = c->inj_type, v = c->inj_vector;
    switch (state) {
    case GUEST_ACTIVITY_HLT:
        return t == INTR_TYPE_EXTERNAL_INTERRUPT || t == INTR_TYPE_NMI ||
               (t == INTR_TYPE_HARDWARE_EXCEPTION && (v == VECTOR_DB || v == VECTOR_MC)) ||
               (t == INTR_TYPE_OTHER_EVENT && v == 0);
    case GUEST_ACTIVITY_SHUTDOWN:
        return t == INTR_TYPE_NMI || (t == INTR_TYPE_HARDWARE_EXCEPTION && v == VECTOR_MC);
    case GUEST_ACTIVITY_WAIT_SIPI:
        return false;
    default:
        return true;
    }
}

static bool check_non_register_state(struct ctx *c)
{
    const struct guest_state *g = c->g;
    uint32_t act = g->activity_state, intr = g->interruptibility;
    bool sti = intr & GUEST_INTR_STATE_STI, movss = intr & GUEST_INTR_STATE_MOV_SS;
    bool smm = g->entry_ctls & ENTRY_ENTRY_TO_SMM;
    bool ext = c->injecting && c->inj_type == INTR_TYPE_EXTERNAL_INTERRUPT;
    bool nmi = c->injecting && c->inj_type == INTR_TYPE_NMI;

    /* Activity state */
    REQUIRE(act <= GUEST_ACTIVITY_WAIT_SIPI, "GUEST_ACTIVITY_STATE", act,
            "activity state must be 0 (active), 1 (HLT), 2 (shutdown) or 3 (wait-for-SIPI)");
    REQUIRE(activity_supported(c->caps, act), "GUEST_ACTIVITY_STATE", act,
            "activity state must be one IA32_VMX_MISC bits 8:6 report as supported");
    REQUIRE(act != GUEST_ACTIVITY_HLT || AR_DPL(g->seg[GSEG_SS].access_rights) == 0, "GUEST_ACTIVITY_STATE", act,
            "HLT activity state requires SS.DPL = 0");
    REQUIRE(act == GUEST_ACTIVITY_ACTIVE || !(sti || movss), "GUEST_ACTIVITY_STATE", act,
            "activity state must be active while blocking by STI or by MOV SS is indicated");
    REQUIRE(!c->injecting || injection_allowed_in(c, act), "GUEST_ACTIVITY_STATE", act,
            "the injected event must be one that leaves this activity state: HLT takes external "
            "interrupts, NMI, #DB, #MC and MTF; shutdown NMI and #MC; wait-for-SIPI nothing");
    REQUIRE(!smm || act != GUEST_ACTIVITY_WAIT_SIPI, "GUEST_ACTIVITY_STATE", act,
            "\"entry to SMM\" forbids the wait-for-SIPI activity state");

    /* Interruptibility state */
    REQUIRE(!(intr & INTR_STATE_RESERVED), "GUEST_INTERRUPTIBILITY_STATE", intr,
            "interruptibility state reserved bits 31:5 must be 0");
    REQUIRE(!(sti && movss), "GUEST_INTERRUPTIBILITY_STATE", intr,
            "blocking by STI (bit 0) and by MOV SS (bit 1) must not both be 1");
    REQUIRE(!sti || (g->rflags & RFLAGS_IF), "GUEST_INTERRUPTIBILITY_STATE", intr,
            "blocking by STI (bit 0) requires RFLAGS.IF = 1");
    REQUIRE(!ext || !(sti || movss), "GUEST_INTERRUPTIBILITY_STATE", intr,
            "injecting an external interrupt requires no blocking by STI or MOV SS (bits 1:0 = 0)");
    REQUIRE(!nmi || !movss, "GUEST_INTERRUPTIBILITY_STATE", intr,
            "injecting an NMI requires no blocking by MOV SS (bit 1 = 0)");
    /* vmxlab never runs in SMM, so "bit 2 must be 0 outside SMM" always applies. */
    REQUIRE(!(intr & GUEST_INTR_STATE_SMI), "GUEST_INTERRUPTIBILITY_STATE", intr,
            "blocking by SMI (bit 2) must be 0 when the processor is not in SMM");
    REQUIRE(!smm || (intr & GUEST_INTR_STATE_SMI), "GUEST_INTERRUPTIBILITY_STATE", intr,
            "\"entry to SMM\" requires blocking by SMI (bit 2) = 1");
    REQUIRE(!(nmi && (g->pin_ctls & PIN_VIRTUAL_NMIS)) || !(intr & GUEST_INTR_STATE_NMI),
            "GUEST_INTERRUPTIBILITY_STATE", intr,
            "with \"virtual NMIs\", injecting an NMI requires blocking by NMI (bit 3) = 0");
    REQUIRE(!(movss && (intr & GUEST_INTR_STATE_ENCLAVE)), "GUEST_INTERRUPTIBILITY_STATE", intr,
            "enclave interruption (bit 4) must be 0 with blocking by MOV SS");

    /* Pending debug exceptions */
    uint64_t pd = g->pending_dbg;
    REQUIRE(!(pd & PENDING_DBG_RESERVED), "GUEST_PENDING_DEBUG_EXCEPTIONS", pd,
            "pending debug exceptions reserved bits 11:4, 13, 15 and 63:17 must be 0");
    if (sti || movss || act == GUEST_ACTIVITY_HLT) {
        bool single_step = (g->rflags & RFLAGS_TF) && !(g->ia32_debugctl & DEBUGCTL_BTF);
        REQUIRE(!single_step || (pd & PENDING_DBG_BS), "GUEST_PENDING_DEBUG_EXCEPTIONS", pd,
                "with STI/MOV SS blocking or HLT, BS (bit 14) must be 1 if RFLAGS.TF = 1 and "
                "IA32_DEBUGCTL.BTF = 0");
        REQUIRE(single_step || !(pd & PENDING_DBG_BS), "GUEST_PENDING_DEBUG_EXCEPTIONS", pd,
                "with STI/MOV SS blocking or HLT, BS (bit 14) must be 0 if RFLAGS.TF = 0 or "
                "IA32_DEBUGCTL.BTF = 1");
    }
    if (pd & PENDING_DBG_RTM) {
        REQUIRE((pd & ~(PENDING_DBG_RTM | PENDING_DBG_ENABLED_BP)) == 0 && (pd & PENDING_DBG_ENABLED_BP),
                "GUEST_PENDING_DEBUG_EXCEPTIONS", pd,
                "RTM (bit 16) = 1 requires bit 12 = 1 and bits 11:0, 15:13 and 63:17 = 0");
        REQUIRE(!movss, "GUEST_INTERRUPTIBILITY_STATE", intr,
                "pending debug exceptions RTM (bit 16) = 1 forbids blocking by MOV SS");
    }

    /* VMCS link pointer. The CPU accepts another value if it is a 4 KiB-aligned
     * VMCS with the right revision ID; vmxlab uses no VMCS shadowing, so any
     * other value is a mistake. */
    REQUIRE(g->vmcs_link_pointer == ~0ull, "VMCS_LINK_POINTER", g->vmcs_link_pointer,
            "VMCS link pointer must be FFFFFFFF_FFFFFFFFh (vmxlab uses no shadow VMCS)");
    return true;
}
#undef SECTION

bool guest_state_check(const struct guest_state *g, const struct vmx_caps *caps,
                       struct guest_check_failure *f)
{
    struct ctx c = {
        .g = g,
        .caps = caps,
        .f = f,
        .ug = (g->proc_ctls & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
              (g->proc2_ctls & SECONDARY_UNRESTRICTED_GUEST),
        .ia32e = (g->entry_ctls & ENTRY_IA32E_MODE_GUEST) != 0,
        .v86 = (g->rflags & RFLAGS_VM) != 0,
        .cs_l = (g->seg[GSEG_CS].access_rights & AR_L) != 0,
        .la_width = (caps->cr4_fixed1 & CR4_LA57) ? 57 : 48,
        .injecting = (g->entry_intr_info & INTR_INFO_VALID) != 0,
        .inj_type = g->entry_intr_info & INTR_INFO_TYPE_MASK,
        .inj_vector = g->entry_intr_info & INTR_INFO_VECTOR_MASK,
    };

    return check_control_regs_msrs(&c) && check_segments(&c) && check_descriptor_tables(&c) &&
           check_rip_rflags(&c) && check_non_register_state(&c);
}
