/*
 * ept.c - a 4-level EPT identity-map builder (SDM Vol.3C 28.2.2).
 *
 * Levels are numbered as the SDM's tables: 4 = PML4 (GPA bits 47:39),
 * 3 = PDPT (38:30, may map 1 GiB), 2 = PD (29:21, may map 2 MiB), 1 = PT (4 KiB).
 */
#include "vmx/ept.h"

#define ENTRIES 512u

static uint64_t level_size(unsigned level)            /* bytes one entry covers */
{
    return EPT_PAGE_4K << (9u * (level - 1));
}

static unsigned level_index(uint64_t gpa, unsigned level)
{
    return (unsigned)((gpa >> (12u + 9u * (level - 1))) & (ENTRIES - 1));
}

static bool present(uint64_t e)
{
    /* 28.2.2: an entry is not present if bits 2:0 are all 0 */
    return (e & EPT_RWX) != 0;
}

static bool is_leaf(uint64_t e, unsigned level)
{
    return level == 1 || ((level == 2 || level == 3) && (e & EPT_LARGE_PAGE));
}

static uint64_t *table_va(const struct ept *ept, uint64_t pa)
{
    return (uint64_t *)ept->alloc.phys_to_virt(ept->alloc.ctx, pa);
}

static uint64_t new_table(struct ept *ept)
{
    uint64_t pa = ept->alloc.alloc_page(ept->alloc.ctx);
    if (pa != 0)
        ept->table_pages++;
    return pa;
}

/* Non-leaf entries grant everything: permissions are the AND along the walk
 * (28.2.3.2), so the leaf alone decides. Tables 28-1, 28-3, 28-5. */
static uint64_t table_entry(uint64_t table_pa)
{
    return (table_pa & EPT_ADDR_MASK) | EPT_RWX;
}

/* Leaf entries: Tables 28-2 (1 GiB), 28-4 (2 MiB), 28-6 (4 KiB). */
static uint64_t leaf_entry(uint64_t hpa, unsigned level, uint8_t perms, uint8_t mem_type)
{
    uint64_t e = (hpa & EPT_ADDR_MASK & ~(level_size(level) - 1)) | (perms & EPT_RWX) |
                 ((uint64_t)mem_type << EPT_MEMTYPE_SHIFT);
    if (level > 1)
        e |= EPT_LARGE_PAGE;
    return e;
}

bool ept_mem_type_valid(uint8_t t)
{
    return t == EPT_MT_UC || t == EPT_MT_WC || t == EPT_MT_WT || t == EPT_MT_WP || t == EPT_MT_WB;
}

enum ept_status ept_init(struct ept *ept, const struct ept_alloc *alloc)
{
    ept->alloc = *alloc;
    ept->table_pages = 0;
    ept->pml4_pa = new_table(ept);
    return ept->pml4_pa ? EPT_OK : EPT_ERR_NO_MEMORY;
}

unsigned ept_table_pages(const struct ept *ept)
{
    return ept->table_pages;
}

uint64_t ept_make_eptp(uint64_t pml4_pa, bool enable_ad)
{
    /* 24.6.11, Table 24-8: bits 2:0 memory type, 5:3 walk length - 1, 6 A/D */
    uint64_t eptp = (pml4_pa & EPT_ADDR_MASK) | EPTP_MEMTYPE_WB | EPTP_WALK_LENGTH_4;
    if (enable_ad)
        eptp |= EPTP_ENABLE_AD;
    return eptp;
}

/* ---- building from ranges ---- */

struct build {
    struct ept *ept;
    const struct ept_range *r;
    size_t n;
    unsigned flags;
    uint64_t top;                                  /* end of the highest mapped range */
};

/* The type at one address: the last range containing it wins. */
static uint8_t type_at(const struct build *b, uint64_t addr)
{
    uint8_t t = EPT_MEM_HOLE;
    for (size_t i = 0; i < b->n; i++)
        if (addr >= b->r[i].start && addr < b->r[i].end)
            t = b->r[i].mem_type;
    return t;
}

/* True if [lo, hi) has a single type. The type can only change at a range
 * boundary, so it is enough to compare the type at each boundary inside. */
static bool uniform(const struct build *b, uint64_t lo, uint64_t hi, uint8_t t)
{
    for (size_t i = 0; i < b->n; i++) {
        uint64_t q[2] = { b->r[i].start, b->r[i].end };
        for (int k = 0; k < 2; k++)
            if (q[k] > lo && q[k] < hi && type_at(b, q[k]) != t)
                return false;
    }
    return true;
}

static bool large_allowed(const struct build *b, unsigned level)
{
    return (level == 2 && (b->flags & EPT_BUILD_ALLOW_2M)) ||
           (level == 3 && (b->flags & EPT_BUILD_ALLOW_1G));
}

static enum ept_status build_table(struct build *b, uint64_t table_pa, uint64_t base, unsigned level)
{
    uint64_t *t = table_va(b->ept, table_pa);
    uint64_t size = level_size(level);

    for (unsigned i = 0; i < ENTRIES; i++) {
        uint64_t lo = base + (uint64_t)i * size, hi = lo + size;
        if (lo >= b->top)
            break;
        uint8_t type = type_at(b, lo);
        bool one_type = (level == 1) || uniform(b, lo, hi, type);   /* ranges are 4K-aligned */

        if (one_type && type == EPT_MEM_HOLE)
            continue;                                  /* not present: EPT violation */
        if (one_type && (level == 1 || large_allowed(b, level))) {
            t[i] = leaf_entry(lo, level, EPT_RWX, type);
            continue;
        }
        if (level == 1)
            continue;
        uint64_t child = new_table(b->ept);
        if (child == 0)
            return EPT_ERR_NO_MEMORY;
        t[i] = table_entry(child);
        enum ept_status s = build_table(b, child, lo, level - 1);
        if (s != EPT_OK)
            return s;
    }
    return EPT_OK;
}

enum ept_status ept_build(struct ept *ept, const struct ept_range *ranges, size_t count,
                          unsigned flags)
{
    struct build b = { .ept = ept, .r = ranges, .n = count, .flags = flags, .top = 0 };

    for (size_t i = 0; i < count; i++) {
        const struct ept_range *r = &ranges[i];
        if ((r->start | r->end) & (EPT_PAGE_4K - 1))
            return EPT_ERR_ALIGNMENT;
        if (r->start >= r->end || r->end > EPT_GPA_LIMIT)
            return EPT_ERR_RANGE;
        if (r->mem_type != EPT_MEM_HOLE && !ept_mem_type_valid(r->mem_type))
            return EPT_ERR_MEM_TYPE;
        if (r->mem_type != EPT_MEM_HOLE && r->end > b.top)
            b.top = r->end;
    }
    return build_table(&b, ept->pml4_pa, 0, 4);
}

/* ---- single pages ---- */

/* Replace a large leaf at `level` by a table of 512 leaves one level down that
 * map the same memory with the same attributes. */
static enum ept_status split(struct ept *ept, uint64_t *entry, unsigned level)
{
    uint64_t child = new_table(ept);
    if (child == 0)
        return EPT_ERR_NO_MEMORY;
    uint64_t *t = table_va(ept, child);
    uint64_t small = level_size(level - 1);
    uint64_t base = *entry & EPT_ADDR_MASK & ~(level_size(level) - 1);
    uint64_t attrs = *entry & ~EPT_ADDR_MASK;          /* RWX, type, IPAT, A/D, bit 63 */
    if (level - 1 == 1)
        attrs &= ~EPT_LARGE_PAGE;                      /* a PTE has no page-size bit */
    for (unsigned i = 0; i < ENTRIES; i++)
        t[i] = (base + i * small) | attrs;
    *entry = table_entry(child);
    return EPT_OK;
}

/* Walk to the PTE of gpa, creating tables (create) and splitting large pages. */
static enum ept_status walk_to_pte(struct ept *ept, uint64_t gpa, bool create, uint64_t **pte)
{
    uint64_t table_pa = ept->pml4_pa;
    for (unsigned level = 4; level > 1; level--) {
        uint64_t *e = &table_va(ept, table_pa)[level_index(gpa, level)];
        if (!present(*e)) {
            if (!create)
                return EPT_ERR_NOT_MAPPED;
            uint64_t child = new_table(ept);
            if (child == 0)
                return EPT_ERR_NO_MEMORY;
            *e = table_entry(child);
        } else if (is_leaf(*e, level)) {
            enum ept_status s = split(ept, e, level);
            if (s != EPT_OK)
                return s;
        }
        table_pa = *e & EPT_ADDR_MASK;
    }
    *pte = &table_va(ept, table_pa)[level_index(gpa, 1)];
    return EPT_OK;
}

enum ept_status ept_map_4k(struct ept *ept, uint64_t gpa, uint64_t hpa, uint8_t perms,
                           uint8_t mem_type)
{
    uint64_t *pte;
    if ((gpa | hpa) & (EPT_PAGE_4K - 1))
        return EPT_ERR_ALIGNMENT;
    if (gpa >= EPT_GPA_LIMIT)
        return EPT_ERR_RANGE;
    if (!ept_mem_type_valid(mem_type))
        return EPT_ERR_MEM_TYPE;
    enum ept_status s = walk_to_pte(ept, gpa, true, &pte);
    if (s != EPT_OK)
        return s;
    *pte = leaf_entry(hpa, 1, perms, mem_type);
    return EPT_OK;
}

enum ept_status ept_unmap_4k(struct ept *ept, uint64_t gpa)
{
    uint64_t *pte;
    if (gpa & (EPT_PAGE_4K - 1))
        return EPT_ERR_ALIGNMENT;
    if (gpa >= EPT_GPA_LIMIT)
        return EPT_ERR_RANGE;
    enum ept_status s = walk_to_pte(ept, gpa, false, &pte);
    if (s != EPT_OK)
        return s;
    if (!present(*pte))
        return EPT_ERR_NOT_MAPPED;
    *pte = 0;                                          /* the caller must INVEPT */
    return EPT_OK;
}

enum ept_status ept_split_4k(struct ept *ept, uint64_t start, uint64_t end)
{
    uint64_t *pte;
    if ((start | end) & (EPT_PAGE_4K - 1))
        return EPT_ERR_ALIGNMENT;
    if (start >= end || end > EPT_GPA_LIMIT)
        return EPT_ERR_RANGE;
    /* one walk per 2 MiB: it leaves a whole page table there, 512 entries */
    for (uint64_t gpa = start; gpa < end; gpa = (gpa | (EPT_PAGE_2M - 1)) + 1) {
        enum ept_status s = walk_to_pte(ept, gpa, true, &pte);
        if (s != EPT_OK)
            return s;
    }
    return EPT_OK;
}

uint64_t *ept_pte_4k(const struct ept *ept, uint64_t gpa)
{
    if (gpa >= EPT_GPA_LIMIT)
        return 0;
    uint64_t table_pa = ept->pml4_pa;
    for (unsigned level = 4; level > 1; level--) {
        uint64_t e = table_va(ept, table_pa)[level_index(gpa, level)];
        if (!present(e) || is_leaf(e, level))
            return 0;
        table_pa = e & EPT_ADDR_MASK;
    }
    return &table_va(ept, table_pa)[level_index(gpa, 1)];
}

/* every 4 KiB page of [gpa, gpa + size) has a page-table entry */
static bool all_split(const struct ept *ept, uint64_t gpa, uint64_t size)
{
    if ((gpa | size) & (EPT_PAGE_4K - 1))
        return false;
    for (uint64_t off = 0; off < size; off += EPT_PAGE_4K)
        if (!ept_pte_4k(ept, gpa + off))
            return false;
    return true;
}

enum ept_status ept_alias_4k(struct ept *ept, uint64_t dst, uint64_t src, uint64_t size, uint64_t *saved)
{
    if (!all_split(ept, dst, size) || !all_split(ept, src, size))
        return EPT_ERR_NOT_MAPPED;
    for (uint64_t i = 0; i < size / EPT_PAGE_4K; i++) {
        uint64_t *d = ept_pte_4k(ept, dst + i * EPT_PAGE_4K);
        saved[i] = *d;
        /* one 64-bit store per entry: a walk on another CPU sees the old or the new one */
        __atomic_store_n(d, *ept_pte_4k(ept, src + i * EPT_PAGE_4K), __ATOMIC_RELAXED);
    }
    return EPT_OK;
}

enum ept_status ept_restore_4k(struct ept *ept, uint64_t dst, uint64_t size, const uint64_t *saved)
{
    if (!all_split(ept, dst, size))
        return EPT_ERR_NOT_MAPPED;
    for (uint64_t i = 0; i < size / EPT_PAGE_4K; i++)
        __atomic_store_n(ept_pte_4k(ept, dst + i * EPT_PAGE_4K), saved[i], __ATOMIC_RELAXED);
    return EPT_OK;
}

bool ept_lookup(const struct ept *ept, uint64_t gpa, struct ept_leaf *leaf)
{
    if (gpa >= EPT_GPA_LIMIT)
        return false;
    uint64_t table_pa = ept->pml4_pa;
    for (unsigned level = 4; level >= 1; level--) {
        uint64_t e = table_va(ept, table_pa)[level_index(gpa, level)];
        if (!present(e))
            return false;
        if (is_leaf(e, level)) {
            uint64_t size = level_size(level);
            leaf->entry = e;
            leaf->page_size = size;
            leaf->level = level;
            leaf->hpa = (e & EPT_ADDR_MASK & ~(size - 1)) | (gpa & (size - 1));
            leaf->perms = (uint8_t)(e & EPT_RWX);
            leaf->mem_type = (uint8_t)((e & EPT_MEMTYPE_MASK) >> EPT_MEMTYPE_SHIFT);
            leaf->ignore_pat = (e & EPT_IGNORE_PAT) != 0;
            return true;
        }
        table_pa = e & EPT_ADDR_MASK;
    }
    return false;
}
