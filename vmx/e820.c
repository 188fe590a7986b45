/*
 * e820.c - guest memory map and EPT ranges. Small inputs (tens of entries),
 * so the simple O(n^2) sweeps below beat sorting code for readability.
 */
#include "vmx/e820.h"

#define FOUR_GIB 0x100000000ull
#define ONE_MIB  0x100000ull
#define SIXTEEN_MIB 0x1000000ull

static bool entry_end(const struct e820_entry *e, uint64_t *end)
{
    *end = e->base + e->length;
    return *end >= e->base;                         /* false on overflow */
}

/* The smallest boundary of any entry or region strictly above `after`;
 * false when there is none. */
static bool next_point(const struct e820_entry *fw, size_t nf, const struct e820_region *hv,
                       size_t nh, uint64_t after, bool first, uint64_t *point)
{
    bool found = false;
    uint64_t best = 0;
    for (size_t i = 0; i < nf + nh; i++) {
        uint64_t q[2];
        if (i < nf) {
            q[0] = fw[i].base;
            q[1] = fw[i].base + fw[i].length;
        } else {
            q[0] = hv[i - nf].start;
            q[1] = hv[i - nf].end;
        }
        for (int k = 0; k < 2; k++) {
            if ((first || q[k] > after) && (!found || q[k] < best)) {
                best = q[k];
                found = true;
            }
        }
    }
    *point = best;
    return found;
}

/* Type of the segment starting at addr: 0 when nothing covers it. */
static uint32_t type_at(const struct e820_entry *fw, size_t nf, const struct e820_region *hv,
                        size_t nh, uint64_t addr)
{
    for (size_t i = 0; i < nh; i++)
        if (addr >= hv[i].start && addr < hv[i].end)
            return E820_RESERVED;                   /* the hypervisor's memory */
    uint32_t t = 0;
    for (size_t i = 0; i < nf; i++)
        if (fw[i].length && addr >= fw[i].base && addr < fw[i].base + fw[i].length &&
            fw[i].type > t)
            t = fw[i].type;                         /* overlaps: higher type wins */
    return t;
}

enum e820_status e820_guest_map(const struct e820_entry *fw, size_t nf,
                                const struct e820_region *hv, size_t nh,
                                struct e820_entry *out, size_t cap, size_t *count)
{
    size_t n = 0;
    uint64_t cur, next;

    *count = 0;
    for (size_t i = 0; i < nf; i++) {
        uint64_t end;
        if (!entry_end(&fw[i], &end))
            return E820_ERR_RANGE;
    }
    for (size_t i = 0; i < nh; i++)
        if (hv[i].start > hv[i].end)
            return E820_ERR_RANGE;

    if (!next_point(fw, nf, hv, nh, 0, true, &cur))
        return E820_OK;                             /* empty input */
    while (next_point(fw, nf, hv, nh, cur, false, &next)) {
        uint32_t t = type_at(fw, nf, hv, nh, cur);
        if (t != 0) {
            struct e820_entry *last = n ? &out[n - 1] : NULL;
            if (last && last->type == t && last->base + last->length == cur) {
                last->length += next - cur;         /* touching, same type: merge */
            } else {
                if (n == cap)
                    return E820_ERR_FULL;
                out[n].base = cur;
                out[n].length = next - cur;
                out[n].type = t;
                n++;
            }
        }
        cur = next;
    }
    *count = n;
    return E820_OK;
}

/* End of the RAM that runs without a gap from `start` (start itself if none). */
static uint64_t ram_run_end(const struct e820_entry *map, size_t n, uint64_t start)
{
    uint64_t cur = start;
    bool grew = true;
    while (grew) {
        grew = false;
        for (size_t i = 0; i < n; i++) {
            uint64_t end = map[i].base + map[i].length;
            if (map[i].type == E820_RAM && map[i].base <= cur && end > cur) {
                cur = end;
                grew = true;
            }
        }
    }
    return cur;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

void e820_legacy_sizes(const struct e820_entry *map, size_t n, struct e820_legacy_sizes *out)
{
    uint64_t low_end = min64(ram_run_end(map, n, 0), 0xA0000);     /* 640 KiB */
    uint64_t ext_end = ram_run_end(map, n, ONE_MIB);
    uint64_t ext_kb = (ext_end - ONE_MIB) / 1024;

    out->int12_kb = (uint16_t)(low_end / 1024);
    out->ah88_kb = (uint16_t)min64(ext_kb, 0xFFFF);
    out->e801_kb_1m_16m = (uint16_t)min64(ext_kb, 0x3C00);          /* 15 MiB */
    if (ext_end > SIXTEEN_MIB)
        out->e801_64k_above_16m = (uint16_t)min64((min64(ext_end, FOUR_GIB) - SIXTEEN_MIB) / 0x10000,
                                                  0xFFFF);
    else
        out->e801_64k_above_16m = 0;
}

static bool push(struct ept_range *out, size_t cap, size_t *n, uint64_t start, uint64_t end,
                 uint8_t type)
{
    if (start >= end)
        return true;                                /* nothing left after rounding */
    if (*n == cap)
        return false;
    out[*n].start = start;
    out[*n].end = end;
    out[*n].mem_type = type;
    (*n)++;
    return true;
}

enum e820_status e820_ept_ranges(const struct e820_entry *map, size_t count,
                                 const struct e820_region *hv, size_t hv_count,
                                 struct ept_range *out, size_t cap, size_t *out_count)
{
    const uint64_t page = EPT_PAGE_4K;
    size_t n = 0;

    *out_count = 0;
    if (!push(out, cap, &n, 0, FOUR_GIB, EPT_MT_UC))
        return E820_ERR_FULL;
    for (size_t i = 0; i < count; i++) {
        uint64_t end;
        if (!entry_end(&map[i], &end))
            return E820_ERR_RANGE;
        if (map[i].type != E820_RAM || map[i].base > ~0ull - (page - 1))
            continue;                               /* (no whole page starts in the last 4 KiB) */
        uint64_t s = (map[i].base + page - 1) & ~(page - 1);       /* inward */
        uint64_t e = end & ~(page - 1);
        if (!push(out, cap, &n, s, e, EPT_MT_WB))
            return E820_ERR_FULL;
    }
    if (!push(out, cap, &n, E820_VGA_START, E820_VGA_END, EPT_MT_UC))
        return E820_ERR_FULL;
    for (size_t i = 0; i < hv_count; i++) {
        /* a range ending in the last 4 KiB cannot be widened to a page boundary (the end
         * would wrap to 0 and the hole vanish): refuse it rather than expose its bytes */
        if (hv[i].start > hv[i].end || hv[i].end > ~0ull - (page - 1))
            return E820_ERR_RANGE;
        uint64_t s = hv[i].start & ~(page - 1);                     /* outward */
        uint64_t e = (hv[i].end + page - 1) & ~(page - 1);
        if (!push(out, cap, &n, s, e, EPT_MEM_HOLE))
            return E820_ERR_FULL;
    }
    *out_count = n;
    return E820_OK;
}
