/* Fuzz target: the software VM-entry checker (vmx/guest_check.c, SDM Vol.3C 26.3.1), which
 * judges guest states built from options, INIT/SIPI and what a guest loaded.
 *
 * Input: byte 0 picks a base state that passes (the unit test's: real mode under unrestricted
 * guest, the INIT state, 32-bit protected mode, CPL 3, 64-bit mode; modulo 5); then edits of
 * 9 bytes each: a field number (1 byte, modulo the field count) and a value (8 bytes) that
 * replaces it, or XORs into it when the field number's bit 7 is set. Starting from states that
 * pass keeps the fuzzer near the boundaries of the rules instead of in states that fail the
 * first one. Capabilities: Bochs 2.7 corei7_skylake_x (docs/bochs.md).
 *
 * Properties (vmx/guest_check.h):
 *   - every base state passes (as the unit test says);
 *   - a failure names a VMCS field, a rule and a section of 26.3.1, and is deterministic;
 *   - a state that passes obeys rules stated here independently of the checker: CR0/CR4
 *     fixed bits (26.3.1.1, A.7, A.8); PG needs PE; an IA-32e mode guest has CR0.PG, CR4.PAE
 *     and EFER.LMA; RFLAGS bit 1 set and reserved bits 63:22, 15, 5, 3 clear (26.3.1.4);
 *     TR usable; the VMCS link pointer all ones (vmxlab has no shadow VMCS). */
#include "tests/fuzz/fuzz_common.h"
#include "vmx/guest_check.h"

#define ENTRY_BASE (0x11fbu | ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_LOAD_IA32_PAT | ENTRY_LOAD_IA32_EFER)
#define PROC_BASE (0x04006172u | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)

static struct vmx_caps caps;

static void seg(struct guest_state *g, enum guest_seg_id id, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
    g->seg[id] = (struct guest_seg){.selector = sel, .base = base, .limit = limit, .access_rights = ar};
}

static void data_segs(struct guest_state *g, uint16_t sel, uint32_t limit, uint32_t ar)
{
    static const enum guest_seg_id d[] = {GSEG_ES, GSEG_SS, GSEG_DS, GSEG_FS, GSEG_GS};
    for (unsigned i = 0; i < 5; i++)
        seg(g, d[i], sel, 0, limit, ar);
}

static struct guest_state base_state(unsigned which)
{
    struct guest_state g = {
        .cr0 = CR0_ET | CR0_NE, .cr4 = CR4_VMXE, .dr7 = 0x400, .rsp = 0x7000, .rip = 0x7c00, .rflags = 2,
        .ia32_pat = 0x0007040600070406ull, .vmcs_link_pointer = ~0ull, .gdtr_limit = 0xffff, .idtr_limit = 0x3ff,
        .pin_ctls = 0x16, .proc_ctls = PROC_BASE, .proc2_ctls = SECONDARY_ENABLE_EPT | SECONDARY_UNRESTRICTED_GUEST,
        .entry_ctls = ENTRY_BASE,
    };
    seg(&g, GSEG_CS, 0, 0, 0xffff, 0x9b);
    data_segs(&g, 0, 0xffffffff, 0x8093);
    seg(&g, GSEG_LDTR, 0, 0, 0xffff, 0x82);
    seg(&g, GSEG_TR, 0, 0, 0xffff, 0x8b);
    if (which == 1) { /* INIT (SDM Vol.3A 9.1, Table 9-1) */
        g.cr0 = 0x60000010 | CR0_NE;
        g.rip = 0xfff0;
        seg(&g, GSEG_CS, 0xf000, 0xffff0000, 0xffff, 0x9b);
        data_segs(&g, 0, 0xffff, 0x93);
    } else if (which >= 2) { /* protected mode with paging */
        g.cr0 = CR0_PG | CR0_PE | CR0_ET | CR0_NE;
        g.cr3 = 0x1000;
        g.proc2_ctls = SECONDARY_ENABLE_EPT;
        seg(&g, GSEG_CS, 0x08, 0, 0xffffffff, 0xc09b);
        data_segs(&g, 0x10, 0xffffffff, 0xc093);
        seg(&g, GSEG_LDTR, 0, 0, 0, 0x10000);
        seg(&g, GSEG_TR, 0x18, 0x5000, 0x67, 0x8b);
        if (which == 3) {
            seg(&g, GSEG_CS, 0x1b, 0, 0xffffffff, 0xc0fb);
            data_segs(&g, 0x23, 0xffffffff, 0xc0f3);
        } else if (which == 4) {
            g.cr4 |= CR4_PAE;
            g.ia32_efer = EFER_LME | EFER_LMA;
            g.entry_ctls |= ENTRY_IA32E_MODE_GUEST;
            g.proc2_ctls |= SECONDARY_UNRESTRICTED_GUEST;
            g.rip = 0xffffffff80100000ull;
            seg(&g, GSEG_CS, 0x08, 0, 0xffffffff, 0xa09b);
        }
    }
    return g;
}

/* The fields an edit can reach, by number. */
static void *field(struct guest_state *g, unsigned k, unsigned *width)
{
    uint64_t *q[] = {&g->cr0, &g->cr3, &g->cr4, &g->dr7, &g->rsp, &g->rip, &g->rflags, &g->ia32_efer, &g->ia32_pat,
                     &g->ia32_debugctl, &g->vmcs_link_pointer, &g->pending_dbg, &g->sysenter_esp, &g->sysenter_eip,
                     &g->gdtr_base, &g->idtr_base};
    uint32_t *d[] = {&g->gdtr_limit, &g->idtr_limit, &g->activity_state, &g->interruptibility, &g->pin_ctls,
                     &g->proc_ctls, &g->proc2_ctls, &g->entry_ctls, &g->entry_intr_info};
    const unsigned nq = sizeof(q) / sizeof(q[0]), nd = sizeof(d) / sizeof(d[0]);
    if (k < nq)
        return *width = 8, q[k];
    k -= nq;
    if (k < nd)
        return *width = 4, d[k];
    k -= nd;
    struct guest_seg *s = &g->seg[(k / 4) % GSEG_COUNT];
    switch (k % 4) {
    case 0: return *width = 2, &s->selector;
    case 1: return *width = 8, &s->base;
    case 2: return *width = 4, &s->limit;
    default: return *width = 4, &s->access_rights;
    }
}
#define FIELDS (16 + 9 + 4 * GSEG_COUNT)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!caps.cr0_fixed0) {
        struct vmx_msrs m = {
            .basic = 0x00d810000000002bull, .true_pinbased = 0x0000007f00000016ull,
            .true_procbased = 0xf7f9fffe04006172ull, .true_exit = 0x007fffff00036dfbull,
            .true_entry = 0x0000ffff000011fbull, .pinbased = 0x0000007f00000016ull,
            .procbased = 0xf7f9fffe0401e172ull, .exit = 0x007fffff00036dffull, .entry = 0x0000ffff000011ffull,
            .procbased2 = 0x02177fff00000000ull, .ept_vpid_cap = 0x00000f0106334141ull, .misc = 0x600401e0ull,
            .cr0_fixed0 = 0x80000021ull, .cr0_fixed1 = 0xffffffffull, .cr4_fixed0 = 0x2000ull,
            .cr4_fixed1 = 0x3727ffull, .feature_control = 0x5, .cpuid1_ecx = CPUID_1_ECX_VMX,
        };
        vmx_caps_decode(&m, &caps);
    }
    if (size < 1)
        return 0;
    unsigned which = data[0] % 5;
    struct guest_state g = base_state(which);
    struct guest_check_failure f;
    if (size == 1)
        FUZZ_CHECK(guest_state_check(&g, &caps, &f), "base state %u fails %s: %s", which, f.field, f.rule);
    struct fuzz_in in = {data + 1, size - 1};
    while (in.n >= 9) {
        uint8_t k = fuzz_u8(&in);
        uint64_t v = fuzz_u64(&in);
        unsigned w;
        void *p = field(&g, (k & 0x7F) % FIELDS, &w);
        uint64_t old = 0;
        memcpy(&old, p, w);
        uint64_t nv = k & 0x80 ? old ^ v : v;
        memcpy(p, &nv, w);
    }

    memset(&f, 0, sizeof(f));
    bool ok = guest_state_check(&g, &caps, &f);
    if (!ok) {
        FUZZ_CHECK(f.field && f.field[0] && f.rule && f.rule[0] && f.section && !strncmp(f.section, "26.3.1", 6),
                   "failure without field, rule or 26.3.1 section");
        struct guest_check_failure f2;
        FUZZ_CHECK(!guest_state_check(&g, &caps, &f2) && f2.field == f.field && f2.rule == f.rule &&
                       f2.value == f.value,
                   "a second check of the same state says something else");
        return 0;
    }
    bool ug = (g.proc_ctls & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) && (g.proc2_ctls & SECONDARY_UNRESTRICTED_GUEST);
    uint64_t fixed0 = caps.cr0_fixed0 & (ug ? ~(CR0_PE | CR0_PG) : ~0ull);
    FUZZ_CHECK((g.cr0 & fixed0) == fixed0 && (g.cr0 & ~caps.cr0_fixed1 & 0xFFFFFFFFull) == 0,
               "CR0 0x%llx passes against FIXED0 0x%llx / FIXED1 0x%llx", (unsigned long long)g.cr0,
               (unsigned long long)fixed0, (unsigned long long)caps.cr0_fixed1);
    FUZZ_CHECK((g.cr4 & caps.cr4_fixed0) == caps.cr4_fixed0 && (g.cr4 & ~caps.cr4_fixed1 & 0xFFFFFFFFull) == 0,
               "CR4 0x%llx passes against the fixed bits", (unsigned long long)g.cr4);
    FUZZ_CHECK(!(g.cr0 & CR0_PG) || (g.cr0 & CR0_PE), "CR0.PG without PE passes");
    if (g.entry_ctls & ENTRY_IA32E_MODE_GUEST)
        FUZZ_CHECK((g.cr0 & CR0_PG) && (g.cr4 & CR4_PAE), "IA-32e mode guest without CR0.PG and CR4.PAE passes");
    if (g.entry_ctls & ENTRY_LOAD_IA32_EFER)
        FUZZ_CHECK(!!(g.ia32_efer & EFER_LMA) == !!(g.entry_ctls & ENTRY_IA32E_MODE_GUEST),
                   "EFER.LMA differs from the IA-32e mode guest control");
    FUZZ_CHECK((g.rflags & 2) && !(g.rflags & (~0x3FFFFFull | 1u << 15 | 1u << 5 | 1u << 3)),
               "RFLAGS 0x%llx passes", (unsigned long long)g.rflags);
    FUZZ_CHECK(!(g.seg[GSEG_TR].access_rights & (1u << 16)), "an unusable TR passes");
    FUZZ_CHECK(g.vmcs_link_pointer == ~0ull, "VMCS link pointer 0x%llx passes",
               (unsigned long long)g.vmcs_link_pointer);
    return 0;
}
