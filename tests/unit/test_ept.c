/*
 * test_ept.c - the EPT builder over a fake allocator backed by a host buffer.
 *
 * gcc -std=c11 -Wall -Wextra -Werror -I. tests/unit/test_ept.c vmx/ept.c -lcmocka
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "vmx/ept.h"

#define KiB 0x400ull
#define MiB 0x100000ull
#define GiB 0x40000000ull

/* ---- fake allocator: "physical" pages at FAKE_BASE map onto pool[] ---- */
#define POOL_PAGES 64
#define FAKE_BASE 0x7000000ull          /* any non-zero, page-aligned address */

struct fake_mem {
    _Alignas(4096) uint8_t pool[POOL_PAGES][4096];
    unsigned used, limit;
};

static struct fake_mem mem;

static uint64_t fake_alloc(void *ctx)
{
    struct fake_mem *m = ctx;
    if (m->used >= m->limit)
        return 0;
    memset(m->pool[m->used], 0xA5, 4096);   /* garbage first: the allocator contract */
    memset(m->pool[m->used], 0, 4096);      /* says pages come back zeroed */
    return FAKE_BASE + 4096ull * m->used++;
}

static void *fake_p2v(void *ctx, uint64_t pa)
{
    struct fake_mem *m = ctx;
    assert_true(pa >= FAKE_BASE && pa < FAKE_BASE + 4096ull * m->used);
    assert_int_equal(pa & 0xFFF, 0);
    return m->pool[(pa - FAKE_BASE) / 4096];
}

static struct ept fresh(unsigned limit)
{
    struct ept e;
    struct ept_alloc a = { .ctx = &mem, .alloc_page = fake_alloc, .phys_to_virt = fake_p2v };
    mem.used = 0;
    mem.limit = limit;
    assert_int_equal(ept_init(&e, &a), EPT_OK);
    return e;
}

/* Expect gpa mapped identity with this page size and type, RWX. */
static void expect_identity(const struct ept *e, uint64_t gpa, uint64_t size, uint8_t type)
{
    struct ept_leaf l;
    print_message("  gpa %#llx\n", (unsigned long long)gpa);
    assert_true(ept_lookup(e, gpa, &l));
    assert_int_equal(l.hpa, gpa);
    assert_int_equal(l.page_size, size);
    assert_int_equal(l.mem_type, type);
    assert_int_equal(l.perms, EPT_READ | EPT_WRITE | EPT_EXECUTE);
    assert_false(l.ignore_pat);
}

static void expect_hole(const struct ept *e, uint64_t gpa)
{
    struct ept_leaf l;
    print_message("  hole %#llx\n", (unsigned long long)gpa);
    assert_false(ept_lookup(e, gpa, &l));
}

static void test_4g_with_1g_pages(void **state)
{
    (void)state;
    struct ept e = fresh(POOL_PAGES);
    const struct ept_range r[] = { { 0, 4 * GiB, EPT_MT_WB } };
    assert_int_equal(ept_build(&e, r, 1, EPT_BUILD_ALLOW_1G | EPT_BUILD_ALLOW_2M), EPT_OK);
    expect_identity(&e, 0x12345678, GiB, EPT_MT_WB);
    expect_identity(&e, 4 * GiB - 1, GiB, EPT_MT_WB);
    expect_hole(&e, 4 * GiB);
    assert_int_equal(ept_table_pages(&e), 2);       /* PML4 + one PDPT */
    assert_int_equal(ept_table_pages(&e), mem.used);

    /* Entry formats: PML4E Table 28-1 (bits 7:3 reserved), 1-GiB PDPTE Table 28-2
     * (bit 7 set, bits 29:12 reserved). */
    const uint64_t *pml4 = fake_p2v(&mem, e.pml4_pa);
    assert_int_equal(pml4[0] & 7, 7);
    assert_int_equal(pml4[0] & 0xF8, 0);
    assert_int_equal(pml4[1], 0);
    struct ept_leaf l;
    assert_true(ept_lookup(&e, 3 * GiB, &l));
    assert_int_equal(l.level, 3);
    assert_true(l.entry & (1ull << 7));
    assert_int_equal((l.entry >> 12) & 0x3FFFF, 0);
    assert_int_equal((l.entry >> 3) & 7, 6);
}

/* A Bochs-like 128 MiB machine, ranges in the order e820_ept_ranges emits them. */
static void test_layout_with_holes(void **state)
{
    (void)state;
    struct ept e = fresh(POOL_PAGES);
    const struct ept_range r[] = {
        { 0, 4 * GiB, EPT_MT_UC },                     /* everything below 4 GiB: MMIO */
        { 0, 0x9F000, EPT_MT_WB },                     /* conventional RAM */
        { MiB, 128 * MiB, EPT_MT_WB },                 /* extended RAM */
        { 0xA0000, 0xC0000, EPT_MT_UC },               /* VGA window */
        { 16 * MiB, 18 * MiB, EPT_MEM_HOLE },          /* hypervisor, 2 MiB aligned */
        { 0x2003000, 0x2005000, EPT_MEM_HOLE },        /* hypervisor, two 4 KiB pages */
    };
    assert_int_equal(ept_build(&e, r, 6, EPT_BUILD_ALLOW_1G | EPT_BUILD_ALLOW_2M), EPT_OK);

    expect_identity(&e, 0x5000, 4 * KiB, EPT_MT_WB);
    expect_identity(&e, 0x9E000, 4 * KiB, EPT_MT_WB);
    expect_identity(&e, 0x9F000, 4 * KiB, EPT_MT_UC);   /* EBDA page: not RAM here */
    expect_identity(&e, 0xB8000, 4 * KiB, EPT_MT_UC);
    expect_identity(&e, 0xF0000, 4 * KiB, EPT_MT_UC);
    expect_identity(&e, MiB, 4 * KiB, EPT_MT_WB);
    expect_identity(&e, 2 * MiB, 2 * MiB, EPT_MT_WB);
    expect_identity(&e, 16 * MiB - 4 * KiB, 2 * MiB, EPT_MT_WB);
    expect_hole(&e, 16 * MiB);
    expect_hole(&e, 18 * MiB - 4 * KiB);
    expect_identity(&e, 18 * MiB, 2 * MiB, EPT_MT_WB);
    expect_identity(&e, 0x2002000, 4 * KiB, EPT_MT_WB);
    expect_hole(&e, 0x2003000);
    expect_hole(&e, 0x2004000);
    expect_identity(&e, 0x2005000, 4 * KiB, EPT_MT_WB);
    expect_identity(&e, 0x21FF000, 4 * KiB, EPT_MT_WB);
    expect_identity(&e, 0x2200000, 2 * MiB, EPT_MT_WB);
    expect_identity(&e, 128 * MiB - 1, 2 * MiB, EPT_MT_WB);
    expect_identity(&e, 128 * MiB, 2 * MiB, EPT_MT_UC);
    expect_identity(&e, GiB, GiB, EPT_MT_UC);
    expect_identity(&e, APIC_DEFAULT_PHYS_BASE, GiB, EPT_MT_UC);
    expect_hole(&e, 4 * GiB);
    /* PML4, PDPT, the PD of the first GiB, PTs for [0, 2M) and [32M, 34M) */
    assert_int_equal(ept_table_pages(&e), 5);
    assert_int_equal(ept_table_pages(&e), mem.used);
}

/* Adjacent ranges of one type make one large page; later ranges override. */
static void test_merge_and_override(void **state)
{
    (void)state;
    struct ept e = fresh(POOL_PAGES);
    const struct ept_range r[] = {
        { 0, MiB, EPT_MT_WB }, { MiB, 2 * MiB, EPT_MT_WB }, { 2 * MiB, GiB, EPT_MT_WB },
    };
    assert_int_equal(ept_build(&e, r, 3, EPT_BUILD_ALLOW_1G | EPT_BUILD_ALLOW_2M), EPT_OK);
    expect_identity(&e, 0, GiB, EPT_MT_WB);
    assert_int_equal(ept_table_pages(&e), 2);

    e = fresh(POOL_PAGES);
    const struct ept_range o[] = {
        { 0, 2 * MiB, EPT_MEM_HOLE }, { 0, 4 * MiB, EPT_MT_WB }, { MiB, MiB + 4 * KiB, EPT_MEM_HOLE },
        { 3 * MiB, 4 * MiB, EPT_MT_WT },
    };
    assert_int_equal(ept_build(&e, o, 4, EPT_BUILD_ALLOW_2M), EPT_OK);
    expect_identity(&e, 0, 4 * KiB, EPT_MT_WB);
    expect_hole(&e, MiB);
    expect_identity(&e, MiB + 4 * KiB, 4 * KiB, EPT_MT_WB);
    expect_identity(&e, 2 * MiB, 4 * KiB, EPT_MT_WB);
    expect_identity(&e, 3 * MiB, 4 * KiB, EPT_MT_WT);
    expect_hole(&e, 4 * MiB);
}

/* Page sizes follow the capability flags. */
static void test_page_size_flags(void **state)
{
    (void)state;
    struct ept e = fresh(POOL_PAGES);
    const struct ept_range r4[] = { { 0, 4 * MiB, EPT_MT_WB } };
    assert_int_equal(ept_build(&e, r4, 1, 0), EPT_OK);
    expect_identity(&e, 2 * MiB, 4 * KiB, EPT_MT_WB);
    expect_identity(&e, 4 * MiB - 4 * KiB, 4 * KiB, EPT_MT_WB);
    assert_int_equal(ept_table_pages(&e), 5);       /* PML4, PDPT, PD, 2 PTs */

    e = fresh(POOL_PAGES);
    const struct ept_range r2[] = { { 0, 2 * GiB, EPT_MT_WB } };
    assert_int_equal(ept_build(&e, r2, 1, EPT_BUILD_ALLOW_2M), EPT_OK);
    expect_identity(&e, GiB + 0x1234, 2 * MiB, EPT_MT_WB);
    assert_int_equal(ept_table_pages(&e), 4);       /* PML4, PDPT, 2 PDs */

    /* 1 GiB allowed but the range is not 1 GiB aligned: 2 MiB pages around it */
    e = fresh(POOL_PAGES);
    const struct ept_range r3[] = { { 2 * MiB, GiB + 2 * MiB, EPT_MT_WB } };
    assert_int_equal(ept_build(&e, r3, 1, EPT_BUILD_ALLOW_1G | EPT_BUILD_ALLOW_2M), EPT_OK);
    expect_hole(&e, 0);
    expect_identity(&e, 2 * MiB, 2 * MiB, EPT_MT_WB);
    expect_identity(&e, GiB, 2 * MiB, EPT_MT_WB);
    expect_hole(&e, GiB + 2 * MiB);
}

/* The APIC-access page: a 4 KiB remap inside a large UC page. */
static void test_apic_page_remap(void **state)
{
    (void)state;
    const struct ept_range r[] = { { 0, 4 * GiB, EPT_MT_UC }, { 0, 128 * MiB, EPT_MT_WB } };
    const uint64_t apic = APIC_DEFAULT_PHYS_BASE, access_page = 0x5000000;
    struct ept_leaf l;

    struct ept e = fresh(POOL_PAGES);
    assert_int_equal(ept_build(&e, r, 2, EPT_BUILD_ALLOW_2M), EPT_OK);
    expect_identity(&e, apic, 2 * MiB, EPT_MT_UC);
    unsigned before = ept_table_pages(&e);
    assert_int_equal(ept_map_4k(&e, apic, access_page, EPT_READ | EPT_WRITE, EPT_MT_WB), EPT_OK);
    assert_int_equal(ept_table_pages(&e), before + 1);  /* one PT replaces the 2 MiB page */
    assert_true(ept_lookup(&e, apic + 0x300, &l));
    assert_int_equal(l.hpa, access_page + 0x300);
    assert_int_equal(l.page_size, 4 * KiB);
    assert_int_equal(l.perms, EPT_READ | EPT_WRITE);
    assert_int_equal(l.mem_type, EPT_MT_WB);
    /* the rest of the old 2 MiB page keeps its identity UC mapping */
    expect_identity(&e, 0xFEC00000, 2 * MiB, EPT_MT_UC);   /* the neighbouring 2 MiB page */
    expect_identity(&e, apic + 0x1000, 4 * KiB, EPT_MT_UC);
    expect_identity(&e, 0xFEFFF000, 4 * KiB, EPT_MT_UC);

    /* Same inside a 1 GiB page: 1G -> 2M -> 4K, two new tables. */
    e = fresh(POOL_PAGES);
    assert_int_equal(ept_build(&e, r, 2, EPT_BUILD_ALLOW_1G | EPT_BUILD_ALLOW_2M), EPT_OK);
    expect_identity(&e, apic, GiB, EPT_MT_UC);
    before = ept_table_pages(&e);
    assert_int_equal(ept_map_4k(&e, apic, access_page, EPT_RWX, EPT_MT_UC), EPT_OK);
    assert_int_equal(ept_table_pages(&e), before + 2);
    assert_true(ept_lookup(&e, apic, &l));
    assert_int_equal(l.hpa, access_page);
    expect_identity(&e, 3 * GiB, 2 * MiB, EPT_MT_UC);
    expect_identity(&e, 0xFEC00000, 2 * MiB, EPT_MT_UC);
    expect_identity(&e, apic + 0x1000, 4 * KiB, EPT_MT_UC);

    /* unmap it: the neighbours stay */
    assert_int_equal(ept_unmap_4k(&e, apic), EPT_OK);
    expect_hole(&e, apic);
    expect_identity(&e, apic + 0x1000, 4 * KiB, EPT_MT_UC);
    assert_int_equal(ept_unmap_4k(&e, apic), EPT_ERR_NOT_MAPPED);
    assert_int_equal(ept_unmap_4k(&e, 8 * GiB), EPT_ERR_NOT_MAPPED);

    /* mapping where nothing was: tables are created */
    before = ept_table_pages(&e);
    assert_int_equal(ept_map_4k(&e, 8 * GiB, 0x1000, EPT_READ, EPT_MT_WB), EPT_OK);
    assert_int_equal(ept_table_pages(&e), before + 2);  /* PD and PT under the existing PDPT */
    assert_true(ept_lookup(&e, 8 * GiB + 5, &l));
    assert_int_equal(l.hpa, 0x1005);
    assert_int_equal(l.perms, EPT_READ);
    assert_int_equal(ept_table_pages(&e), mem.used);
}

/* The A20 wrap (vmx/a20.c): the first 2 MiB split into 4 KiB entries, then 1 MiB..2 MiB
 * pointed at 0..1 MiB and back. */
static void test_split_and_alias(void **state)
{
    (void)state;
    const struct ept_range r[] = { { 0, 128 * MiB, EPT_MT_WB }, { 640 * KiB, 1 * MiB, EPT_MT_UC },
                                   { 0x9F000, 0xA0000, EPT_MEM_HOLE } };
    uint64_t saved[256];
    struct ept_leaf l;
    struct ept e = fresh(POOL_PAGES);
    assert_int_equal(ept_build(&e, r, 3, EPT_BUILD_ALLOW_2M | EPT_BUILD_ALLOW_1G), EPT_OK);
    expect_identity(&e, 1 * MiB, 4 * KiB, EPT_MT_WB);     /* the first 2 MiB: 4 KiB pages already */
    expect_identity(&e, 2 * MiB, 2 * MiB, EPT_MT_WB);
    assert_null(ept_pte_4k(&e, 2 * MiB));                /* a 2 MiB page: no PTE */
    assert_null(ept_pte_4k(&e, 1 * GiB));                /* nothing mapped there */
    assert_int_equal(ept_alias_4k(&e, 2 * MiB, 0, 1 * MiB, saved), EPT_ERR_NOT_MAPPED);
    unsigned before = ept_table_pages(&e);
    assert_int_equal(ept_split_4k(&e, 0, 2 * MiB), EPT_OK);
    assert_int_equal(ept_table_pages(&e), before);        /* nothing to split */
    assert_int_equal(ept_split_4k(&e, 2 * MiB, 4 * MiB), EPT_OK);
    assert_int_equal(ept_table_pages(&e), before + 1);
    expect_identity(&e, 3 * MiB, 4 * KiB, EPT_MT_WB);     /* the split page keeps its mapping */
    assert_int_equal(ept_split_4k(&e, 0x1000, 0x1800), EPT_ERR_ALIGNMENT);

    assert_int_equal(ept_alias_4k(&e, 1 * MiB, 0, 1 * MiB, saved), EPT_OK);
    assert_true(ept_lookup(&e, 1 * MiB + 0x1234, &l));
    assert_int_equal(l.hpa, 0x1234);
    assert_int_equal(l.mem_type, EPT_MT_WB);
    assert_true(ept_lookup(&e, 1 * MiB + 0xB8000, &l));
    assert_int_equal(l.hpa, 0xB8000);
    assert_int_equal(l.mem_type, EPT_MT_UC);
    expect_hole(&e, 1 * MiB + 0x9F000);                   /* the hole's alias is a hole */
    expect_identity(&e, 0x1234, 4 * KiB, EPT_MT_WB);      /* the source is untouched */
    expect_identity(&e, 2 * MiB, 4 * KiB, EPT_MT_WB);
    assert_int_equal(ept_restore_4k(&e, 1 * MiB, 1 * MiB, saved), EPT_OK);
    expect_identity(&e, 1 * MiB, 4 * KiB, EPT_MT_WB);
    expect_identity(&e, 1 * MiB + 0x9F000, 4 * KiB, EPT_MT_WB);
    expect_identity(&e, 2 * MiB - 0x1000, 4 * KiB, EPT_MT_WB);
    assert_int_equal(ept_table_pages(&e), mem.used);
}

static void test_errors(void **state)
{
    (void)state;
    struct ept e = fresh(POOL_PAGES);
    const struct ept_range unaligned[] = { { 0, 0x1800, EPT_MT_WB } };
    const struct ept_range empty[] = { { 0x2000, 0x2000, EPT_MT_WB } };
    const struct ept_range huge[] = { { 0, (1ull << 48) + 0x1000, EPT_MT_WB } };
    const struct ept_range badtype[] = { { 0, 0x1000, 2 } };
    assert_int_equal(ept_build(&e, unaligned, 1, 0), EPT_ERR_ALIGNMENT);
    assert_int_equal(ept_build(&e, empty, 1, 0), EPT_ERR_RANGE);
    assert_int_equal(ept_build(&e, huge, 1, 0), EPT_ERR_RANGE);
    assert_int_equal(ept_build(&e, badtype, 1, 0), EPT_ERR_MEM_TYPE);
    assert_int_equal(ept_map_4k(&e, 0x1001, 0, EPT_RWX, EPT_MT_WB), EPT_ERR_ALIGNMENT);
    assert_int_equal(ept_map_4k(&e, 0x1000, 0x10, EPT_RWX, EPT_MT_WB), EPT_ERR_ALIGNMENT);
    assert_int_equal(ept_map_4k(&e, 0x1000, 0, EPT_RWX, 7), EPT_ERR_MEM_TYPE);
    assert_int_equal(ept_map_4k(&e, 1ull << 48, 0, EPT_RWX, EPT_MT_WB), EPT_ERR_RANGE);
    assert_int_equal(ept_unmap_4k(&e, 0x10), EPT_ERR_ALIGNMENT);
    assert_int_equal(ept_table_pages(&e), 1);          /* failures allocated nothing */

    /* out of memory: 4 MiB in 4 KiB pages needs 5 tables, give 3 */
    e = fresh(3);
    const struct ept_range r[] = { { 0, 4 * MiB, EPT_MT_WB } };
    assert_int_equal(ept_build(&e, r, 1, 0), EPT_ERR_NO_MEMORY);
    assert_int_equal(ept_table_pages(&e), 3);

    struct ept_alloc none = { .ctx = &mem, .alloc_page = fake_alloc, .phys_to_virt = fake_p2v };
    mem.used = 0;
    mem.limit = 0;
    assert_int_equal(ept_init(&e, &none), EPT_ERR_NO_MEMORY);

    assert_true(ept_mem_type_valid(EPT_MT_WP));
    assert_false(ept_mem_type_valid(3));
}

/* EPTP, SDM 24.6.11: WB = 6 in bits 2:0, walk length 4 - 1 = 3 in bits 5:3
 * (0x18), A/D enable bit 6 (0x40). */
static void test_eptp(void **state)
{
    (void)state;
    assert_int_equal(ept_make_eptp(0x123456000ull, false), 0x123456000ull | 0x1E);
    assert_int_equal(ept_make_eptp(0x123456000ull, true), 0x123456000ull | 0x5E);
    assert_int_equal(ept_make_eptp(0x123456FFFull, false) & 0xFFF, 0x1E);   /* low bits dropped */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_4g_with_1g_pages),
        cmocka_unit_test(test_layout_with_holes),
        cmocka_unit_test(test_merge_and_override),
        cmocka_unit_test(test_page_size_flags),
        cmocka_unit_test(test_apic_page_remap),
        cmocka_unit_test(test_split_and_alias),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_eptp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
