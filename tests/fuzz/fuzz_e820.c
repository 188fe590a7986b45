/* Fuzz target: the guest memory map and EPT ranges (vmx/e820.c), built from the firmware's
 * E820 map (which GRUB passes on) and the hypervisor's own ranges.
 *
 * Input: byte 0: bit 7 = "page units" (bases and lengths are 16-bit counts of 4 KiB pages,
 * so entries meet and overlap often), bits 6:0 = entry count (mod 24); byte 1 = hypervisor
 * range count (mod 5); then the entries (base, length: 8 bytes each or 2 in page units;
 * type: 1 byte, mod 7) and the ranges (start, end); zeros where the input runs out.
 *
 * Properties (vmx/e820.h):
 *   - the guest map is sorted, non-overlapping, without zero-length entries, touching
 *     entries of one type merged;
 *   - at every boundary point the type is the documented one: reserved inside a
 *     hypervisor range, else the highest firmware type covering it, else absent; so the
 *     hidden ranges never appear as RAM, and no RAM appears that the firmware did not offer;
 *   - the legacy sizes stay within the BIOS interfaces' limits;
 *   - EPT ranges (later wins): every hypervisor byte is a hole, every write-back page is
 *     wholly RAM in the map, the VGA window outside hypervisor ranges is uncached. */
#include "tests/fuzz/fuzz_common.h"
#include "vmx/e820.h"
#include "vmx/vmx_defs.h"

#define MAX_FW 24
#define MAX_HV 5
#define MAX_OUT 128

static struct e820_entry fw[MAX_FW], out[MAX_OUT];
static struct e820_region hv[MAX_HV];
static struct ept_range ept[MAX_OUT];
static size_t nf, nh, no, ne;

static uint32_t spec_type(uint64_t p)
{
    for (size_t i = 0; i < nh; i++)
        if (p >= hv[i].start && p < hv[i].end)
            return E820_RESERVED;
    uint32_t t = 0;
    for (size_t i = 0; i < nf; i++)
        if (fw[i].length && p >= fw[i].base && p - fw[i].base < fw[i].length && fw[i].type > t)
            t = fw[i].type;
    return t;
}

static uint32_t map_type(const struct e820_entry *m, size_t n, uint64_t p)
{
    for (size_t i = 0; i < n; i++)
        if (p >= m[i].base && p - m[i].base < m[i].length)
            return m[i].type;
    return 0;
}

/* RAM in the map over all of [s, e)? */
static bool all_ram(const struct e820_entry *m, size_t n, uint64_t s, uint64_t e)
{
    while (s < e) {
        bool step = false;
        for (size_t i = 0; i < n; i++)
            if (m[i].type == E820_RAM && s >= m[i].base && s - m[i].base < m[i].length) {
                uint64_t end = m[i].base + m[i].length;
                s = end < s ? e : end;
                step = true;
                break;
            }
        if (!step)
            return false;
    }
    return true;
}

static int ept_type(uint64_t p)
{
    int t = -1;
    for (size_t i = 0; i < ne; i++)
        if (p >= ept[i].start && p < ept[i].end)
            t = ept[i].mem_type;
    return t;
}

static void points_check(const struct e820_entry *m, size_t n)
{
    uint64_t pts[4 * (MAX_FW + MAX_HV + MAX_OUT)];
    size_t np = 0;
    for (size_t i = 0; i < nf; i++)
        pts[np++] = fw[i].base, pts[np++] = fw[i].base + fw[i].length;
    for (size_t i = 0; i < nh; i++)
        pts[np++] = hv[i].start, pts[np++] = hv[i].end;
    for (size_t i = 0; i < n; i++)
        pts[np++] = m[i].base, pts[np++] = m[i].base + m[i].length;
    for (size_t k = 0, base = np; k < base; k++)
        pts[np++] = pts[k] - 1;
    for (size_t k = 0; k < np; k++) {
        uint64_t p = pts[k];
        uint32_t want = spec_type(p), got = map_type(m, n, p);
        FUZZ_CHECK(want == got, "type at 0x%llx is %u, the rule gives %u", (unsigned long long)p, got, want);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint8_t h = fuzz_u8(&in);
    bool pages = h & 0x80;
    nf = (h & 0x7F) % (MAX_FW + 1);
    nh = fuzz_u8(&in) % (MAX_HV + 1);
    for (size_t i = 0; i < nf; i++) {
        fw[i].base = pages ? (uint64_t)fuzz_u16(&in) << 12 : fuzz_u64(&in);
        fw[i].length = pages ? (uint64_t)fuzz_u16(&in) << 12 : fuzz_u64(&in);
        fw[i].type = fuzz_u8(&in) % 7;
    }
    for (size_t i = 0; i < nh; i++) {
        hv[i].start = pages ? (uint64_t)fuzz_u16(&in) << 12 | fuzz_u8(&in) : fuzz_u64(&in);
        hv[i].end = pages ? (uint64_t)fuzz_u16(&in) << 12 | fuzz_u8(&in) : fuzz_u64(&in);
    }

    enum e820_status st = e820_guest_map(fw, nf, hv, nh, out, MAX_OUT, &no);
    bool overflow = false;
    for (size_t i = 0; i < nf; i++)
        overflow |= fw[i].base + fw[i].length < fw[i].base;
    for (size_t i = 0; i < nh; i++)
        overflow |= hv[i].start > hv[i].end;
    FUZZ_CHECK((st == E820_ERR_RANGE) == overflow, "status %d, bad ranges %d", st, overflow);
    FUZZ_CHECK(st != E820_ERR_FULL, "%zu entries cannot need more than %d", nf + nh, MAX_OUT);
    if (st != E820_OK)
        return 0;
    for (size_t i = 0; i < no; i++) {
        FUZZ_CHECK(out[i].length > 0 && out[i].type != 0, "entry %zu empty or untyped", i);
        FUZZ_CHECK(out[i].base + out[i].length > out[i].base, "entry %zu wraps", i);
        if (i) {
            uint64_t prev_end = out[i - 1].base + out[i - 1].length;
            FUZZ_CHECK(prev_end <= out[i].base, "entries %zu and %zu unsorted or overlapping", i - 1, i);
            FUZZ_CHECK(prev_end != out[i].base || out[i - 1].type != out[i].type, "entries %zu, %zu not merged",
                       i - 1, i);
        }
        for (size_t k = 0; k < nh; k++)
            FUZZ_CHECK(out[i].type != E820_RAM || hv[k].start == hv[k].end || out[i].base >= hv[k].end ||
                           out[i].base + out[i].length <= hv[k].start,
                       "hypervisor range %zu offered as RAM", k);
    }
    points_check(out, no);

    /* the map fits a buffer of exactly its size, and not one entry smaller */
    size_t again = 0;
    if (no)
        FUZZ_CHECK(e820_guest_map(fw, nf, hv, nh, out, no - 1, &again) == E820_ERR_FULL,
                   "%zu entries fit %zu slots", no, no - 1);

    struct e820_legacy_sizes ls;
    e820_legacy_sizes(out, no, &ls);
    FUZZ_CHECK(ls.int12_kb <= 640 && ls.e801_kb_1m_16m <= 0x3C00, "INT 12h %u KiB, E801 %u KiB", ls.int12_kb,
               ls.e801_kb_1m_16m);
    FUZZ_CHECK(all_ram(out, no, 0, (uint64_t)ls.int12_kb * 1024), "INT 12h counts non-RAM");
    FUZZ_CHECK(all_ram(out, no, 0x100000, 0x100000 + (uint64_t)ls.ah88_kb * 1024), "AH=88h counts non-RAM");

    bool top = false; /* e820.h: a hypervisor range ending in the last 4 KiB is refused */
    for (size_t i = 0; i < nh; i++)
        top |= hv[i].end > ~0ull - (EPT_PAGE_4K - 1);
    st = e820_ept_ranges(out, no, hv, nh, ept, MAX_OUT, &ne);
    FUZZ_CHECK(st == (top ? E820_ERR_RANGE : E820_OK), "ept ranges: status %d", st);
    if (st != E820_OK)
        return 0;
    uint64_t pts[2 * (MAX_OUT + MAX_HV) * 3];
    size_t np = 0;
    for (size_t i = 0; i < ne; i++)
        pts[np++] = ept[i].start, pts[np++] = ept[i].end - 1;
    for (size_t i = 0; i < nh; i++)
        if (hv[i].start < hv[i].end)
            pts[np++] = hv[i].start, pts[np++] = hv[i].end - 1;
    for (size_t i = 0; i < no; i++)
        pts[np++] = out[i].base, pts[np++] = out[i].base + out[i].length - 1;
    for (size_t k = 0; k < np; k++) {
        uint64_t p = pts[k];
        int t = ept_type(p);
        bool hidden = false;
        for (size_t i = 0; i < nh; i++)
            hidden |= p >= hv[i].start && p < hv[i].end;
        if (hidden)
            FUZZ_CHECK(t == EPT_MEM_HOLE, "hypervisor byte 0x%llx mapped with type %d", (unsigned long long)p, t);
        uint64_t page = p & ~(EPT_PAGE_4K - 1);
        if (t == EPT_MT_WB)
            FUZZ_CHECK(page + EPT_PAGE_4K > page && all_ram(out, no, page, page + EPT_PAGE_4K),
                       "page 0x%llx is write-back but not all RAM", (unsigned long long)page);
        if (!hidden && p >= E820_VGA_START && p < E820_VGA_END)
            FUZZ_CHECK(t == EPT_MT_UC || t == EPT_MEM_HOLE, "VGA byte 0x%llx has type %d", (unsigned long long)p, t);
    }
    return 0;
}
