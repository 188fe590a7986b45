/* guest_walk.c - the guest's page-table walk (SDM Vol.3A chapter 4); see guest_walk.h. */
#include "vmx/guest_walk.h"

/* Paging-structure entry bits (SDM 4.3, 4.4.2, 4.5.4; Tables 4-4..4-20) */
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_XD (1ull << 63)

/* Control bits the walk looks at (the same as vmx/vmx_defs.h, which this pure file avoids) */
#define GW_CR0_WP (1ull << 16)
#define GW_CR0_PG (1ull << 31)
#define GW_CR4_PSE (1ull << 4)
#define GW_CR4_PAE (1ull << 5)
#define GW_CR4_LA57 (1ull << 12)
#define GW_CR4_SMEP (1ull << 20)
#define GW_CR4_SMAP (1ull << 21)
#define GW_EFER_LMA (1ull << 10)
#define GW_EFER_NXE (1ull << 11)

enum gw_mode gw_paging_mode(const struct gw_cpu *c)
{
    /* SDM 4.1.1, Table 4-1 */
    if (!(c->cr0 & GW_CR0_PG))
        return GW_MODE_NONE;
    if (!(c->cr4 & GW_CR4_PAE))
        return GW_MODE_32;
    if (!(c->efer & GW_EFER_LMA))
        return GW_MODE_PAE;
    return (c->cr4 & GW_CR4_LA57) ? GW_MODE_5LEVEL : GW_MODE_4LEVEL;
}

const char *gw_mode_name(enum gw_mode m)
{
    switch (m) {
    case GW_MODE_NONE: return "no paging";
    case GW_MODE_32: return "32-bit paging";
    case GW_MODE_PAE: return "PAE paging";
    case GW_MODE_4LEVEL: return "4-level paging";
    case GW_MODE_5LEVEL: return "5-level paging";
    }
    return "?";
}

const char *gw_status_text(enum gw_status s)
{
    switch (s) {
    case GW_OK: return "translated";
    case GW_PAGE_FAULT: return "a page fault";
    case GW_NONCANONICAL: return "a non-canonical address";
    case GW_NO_MEMORY: return "a paging structure in memory vmxlab does not give the guest";
    }
    return "?";
}

static void append(char *buf, unsigned len, unsigned *n, const char *s)
{
    while (*s && *n + 1 < len)
        buf[(*n)++] = *s++;
    buf[*n] = 0;
}

void gw_describe_error(uint32_t e, char *buf, unsigned len)
{
    unsigned n = 0;
    if (!len)
        return;
    buf[0] = 0;
    append(buf, len, &n, e & PF_P ? "protection" : "not-present");
    append(buf, len, &n, e & PF_WR ? " write" : " read");
    append(buf, len, &n, e & PF_US ? " user" : " supervisor");
    if (e & PF_RSVD)
        append(buf, len, &n, " reserved-bit");
    if (e & PF_ID)
        append(buf, len, &n, " fetch");
}

/* Bits [hi:lo] set */
static uint64_t bits(unsigned hi, unsigned lo)
{
    if (hi < lo)
        return 0;
    uint64_t upper = hi >= 63 ? ~0ull : (1ull << (hi + 1)) - 1;
    return upper & ~((1ull << lo) - 1);
}

/* One level of a walk: what the entry is and which of its bits are reserved. */
struct level {
    unsigned shift;      /* the linear-address bits this level indexes start here */
    unsigned index_bits; /* 10 (32-bit paging) or 9 */
    bool may_be_leaf;    /* PS may map a page here (PDE with PSE/PAE, PDPTE for 1 GiB) */
};

/* Table 4-4 (4-MByte PDE): bit 21, and bits 20:(M-19) with M = min(MAXPHYADDR, 40); bits
 * 20:13 hold physical-address bits 39:32 (PSE-36) */
static uint64_t pse36_reserved(unsigned maxphy)
{
    unsigned m = maxphy > 40 ? 40 : maxphy < 32 ? 32 : maxphy;
    return (1ull << 21) | bits(20, m - 19);
}

static uint64_t read_entry(const struct gw_mem *m, uint64_t pa, unsigned size, void **where)
{
    void *p = m->map(m->ctx, pa, size);
    *where = p;
    if (!p)
        return 0;
    return size == 4 ? *(volatile uint32_t *)p : *(volatile uint64_t *)p;
}

static void set_bits(void *where, unsigned size, uint64_t entry, uint64_t flags)
{
    if ((entry & flags) == flags)
        return; /* the CPU writes only when a flag changes */
    if (size == 4)
        __atomic_fetch_or((uint32_t *)where, (uint32_t)flags, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_or((uint64_t *)where, flags, __ATOMIC_SEQ_CST);
}

static enum gw_status fault(struct gw_result *r, uint32_t code)
{
    r->error_code = code;
    return GW_PAGE_FAULT;
}

/* SDM 4.6.1 "Determination of Access Rights": may this access use a page whose entries
 * give these rights? user: U/S=1 in every entry; writable: R/W=1 in every entry; xd: XD=1
 * in some entry (only with EFER.NXE). */
static bool access_allowed(const struct gw_cpu *c, unsigned access, bool user_access, bool user, bool writable,
                           bool xd, bool nx_on)
{
    bool wp = c->cr0 & GW_CR0_WP, smep = c->cr4 & GW_CR4_SMEP, smap = c->cr4 & GW_CR4_SMAP;
    bool explicit_ac = !(access & GW_IMPLICIT) && c->rflags_ac;
    if (access & GW_FETCH) {
        if (nx_on && xd)
            return false;
        if (user_access)
            return user;
        return !(user && smep); /* SMEP: no supervisor fetch from a user-mode address */
    }
    if (user_access) {
        if (!user)
            return false;
        return !(access & GW_WRITE) || writable; /* CR0.WP does not matter to user writes */
    }
    /* supervisor data access; SMAP: not to user-mode addresses, unless explicit with AC=1 */
    if (user && smap && !explicit_ac)
        return false;
    if (access & GW_WRITE)
        return writable || !wp;
    return true;
}

enum gw_status gw_translate(const struct gw_cpu *c, const struct gw_mem *m, uint64_t linear, unsigned access,
                            struct gw_result *r)
{
    enum gw_mode mode = gw_paging_mode(c);
    unsigned maxphy = c->maxphyaddr ? c->maxphyaddr : 36;
    bool nx_on = (c->efer & GW_EFER_NXE) && mode != GW_MODE_32; /* XD exists only with 8-byte entries */
    bool user_access = c->cpl == 3 && !(access & GW_IMPLICIT);
    uint32_t code = (access & GW_WRITE ? PF_WR : 0) | (user_access ? PF_US : 0);
    if ((access & GW_FETCH) && ((c->cr4 & GW_CR4_SMEP) || nx_on))
        code |= PF_ID; /* SDM 4.7: I/D only with SMEP, or NXE under PAE/4-level/5-level */

    r->pa = r->page_size = r->table_pa = 0;
    r->error_code = 0;
    r->levels = 0;
    if (mode == GW_MODE_NONE) {
        r->pa = (c->efer & GW_EFER_LMA) ? linear : (linear & 0xFFFFFFFFull);
        r->page_size = 4096;
        return GW_OK;
    }
    if (mode == GW_MODE_4LEVEL || mode == GW_MODE_5LEVEL) {
        /* SDM 3.3.7.1: bits 63:47 (63:56 with LA57) must all equal bit 47 (56) */
        unsigned top = mode == GW_MODE_5LEVEL ? 56 : 47;
        uint64_t upper = linear >> top;
        if (upper != 0 && upper != (~0ull >> top))
            return GW_NONCANONICAL;
    } else {
        linear &= 0xFFFFFFFFull; /* 32-bit linear addresses outside IA-32e mode */
    }

    /* reserved physical-address bits above MAXPHYADDR (bit 63 is XD, or reserved without NXE) */
    uint64_t rsvd_phys = bits(51, maxphy) | (nx_on ? 0 : PTE_XD);
    uint64_t addr_mask = bits(maxphy - 1, 12);

    /* the levels below the first table (PDPTEs of PAE paging are registers, handled first) */
    struct level lv[5];
    unsigned nlv = 0;
    unsigned esize = 8;
    uint64_t table;
    bool user = true, writable = true, xd = false;
    void *where[5];
    uint64_t entries[5];
    unsigned nused = 0;

    switch (mode) {
    case GW_MODE_32:
        esize = 4;
        table = c->cr3 & 0xFFFFF000ull;
        lv[nlv++] = (struct level){22, 10, (c->cr4 & GW_CR4_PSE) != 0};
        lv[nlv++] = (struct level){12, 10, false};
        rsvd_phys = 0;
        break;
    case GW_MODE_PAE: {
        /* SDM 4.4.1: the four PDPTEs; the CPU uses its PDPTE registers, loaded by MOV CR3
         * (and, under VMX with EPT, held in the VMCS guest PDPTE fields: SDM 26.3.2.4) */
        unsigned i = (linear >> 30) & 3;
        uint64_t pdpte;
        if (c->pdpte_loaded) {
            pdpte = c->pdpte[i];
        } else {
            void *p;
            uint64_t at = (c->cr3 & 0xFFFFFFE0ull) + 8 * i;
            pdpte = read_entry(m, at, 8, &p);
            if (!p) {
                r->table_pa = at;
                return GW_NO_MEMORY;
            }
        }
        r->levels++;
        if (!(pdpte & PTE_P))
            return fault(r, code);
        /* Table 4-8: bits 2:1, 8:5 and 63:MAXPHYADDR are reserved in a PDPTE */
        if (pdpte & (bits(2, 1) | bits(8, 5) | bits(63, maxphy)))
            return fault(r, code | PF_P | PF_RSVD);
        table = pdpte & addr_mask;
        lv[nlv++] = (struct level){21, 9, true};
        lv[nlv++] = (struct level){12, 9, false};
        break;
    }
    default:
        table = c->cr3 & addr_mask;
        if (mode == GW_MODE_5LEVEL)
            lv[nlv++] = (struct level){48, 9, false};
        lv[nlv++] = (struct level){39, 9, false};
        lv[nlv++] = (struct level){30, 9, true};
        lv[nlv++] = (struct level){21, 9, true};
        lv[nlv++] = (struct level){12, 9, false};
        break;
    }

    for (unsigned k = 0; k < nlv; k++) {
        const struct level *l = &lv[k];
        uint64_t index = (linear >> l->shift) & ((1ull << l->index_bits) - 1);
        uint64_t at = table + index * esize;
        uint64_t e = read_entry(m, at, esize, &where[nused]);
        if (!where[nused]) {
            r->table_pa = at;
            return GW_NO_MEMORY;
        }
        entries[nused++] = e;
        r->levels++;
        if (!(e & PTE_P))
            return fault(r, code);

        bool leaf = l->shift == 12 || (l->may_be_leaf && (e & PTE_PS));
        uint64_t rsvd = rsvd_phys;
        if (!leaf && (e & PTE_PS) && !l->may_be_leaf && esize == 8)
            rsvd |= PTE_PS; /* PS is reserved in a PML4E and a PML5E (Tables 4-14, 4-15) */
        if (leaf && l->shift > 12) {
            if (esize == 4)
                rsvd |= pse36_reserved(maxphy);
            else
                rsvd |= bits(l->shift - 1, 13); /* 2 MiB: 20:13; 1 GiB: 29:13 (Tables 4-17, 4-18) */
        }
        if (e & rsvd)
            return fault(r, code | PF_P | PF_RSVD);

        writable = writable && (e & PTE_RW);
        user = user && (e & PTE_US);
        xd = xd || (nx_on && (e & PTE_XD));
        if (!leaf) {
            table = esize == 4 ? (e & 0xFFFFF000ull) : (e & addr_mask);
            continue;
        }

        uint64_t size = 1ull << l->shift;
        if (!access_allowed(c, access, user_access, user, writable, xd, nx_on))
            return fault(r, code | PF_P);
        uint64_t base;
        if (esize == 4 && l->shift == 22)
            base = (e & 0xFFC00000ull) | (((e >> 13) & 0xFF) << 32); /* PSE-36: bits 39:32 in 20:13 */
        else if (esize == 4)
            base = e & 0xFFFFF000ull;
        else
            base = e & addr_mask & ~(size - 1);
        r->pa = base | (linear & (size - 1));
        r->page_size = size;

        /* SDM 4.8: accessed in every entry used, dirty in the one that maps the page on a write */
        for (unsigned u = 0; u < nused; u++) {
            uint64_t flags = PTE_A | ((u == nused - 1 && (access & GW_WRITE)) ? PTE_D : 0);
            set_bits(where[u], esize, entries[u], flags);
        }
        return GW_OK;
    }
    return fault(r, code); /* not reached: the last level is always a leaf */
}
