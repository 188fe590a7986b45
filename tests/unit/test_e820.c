/*
 * test_e820.c - the guest's memory map, legacy BIOS sizes and EPT ranges.
 *
 * gcc -std=c11 -Wall -Wextra -Werror -I. tests/unit/test_e820.c vmx/e820.c -lcmocka
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "vmx/e820.h"

#define MiB 0x100000ull

/* Modelled on the E820 handler in Bochs's rombios.c for megs: 128 (not measured
 * here): RAM to 0x9F000, EBDA and 0xE8000 reserved, ACPI data below the top. */
static const struct e820_entry bochs128[] = {
    { 0x0,        0x9F000,              E820_RAM },
    { 0x9F000,    0x1000,               E820_RESERVED },
    { 0xE8000,    0x18000,              E820_RESERVED },
    { 0x100000,   0x7FF0000 - 0x100000, E820_RAM },
    { 0x7FF0000,  0x10000,              E820_ACPI },
    { 0xFFFC0000, 0x40000,              E820_RESERVED },
};
#define NB (sizeof bochs128 / sizeof bochs128[0])

static void expect_entry(const struct e820_entry *e, uint64_t base, uint64_t end, uint32_t type)
{
    print_message("  [%#llx, %#llx) type %u\n", (unsigned long long)base, (unsigned long long)end, type);
    assert_int_equal(e->base, base);
    assert_int_equal(e->base + e->length, end);
    assert_int_equal(e->type, type);
}

static void test_hypervisor_carved_out(void **state)
{
    (void)state;
    const struct e820_region hv[] = { { 16 * MiB, 20 * MiB } };
    struct e820_entry out[16];
    size_t n = 99;
    assert_int_equal(e820_guest_map(bochs128, NB, hv, 1, out, 16, &n), E820_OK);
    assert_int_equal(n, 8);
    expect_entry(&out[0], 0, 0x9F000, E820_RAM);
    expect_entry(&out[1], 0x9F000, 0xA0000, E820_RESERVED);
    expect_entry(&out[2], 0xE8000, 0x100000, E820_RESERVED);
    expect_entry(&out[3], 0x100000, 16 * MiB, E820_RAM);
    expect_entry(&out[4], 16 * MiB, 20 * MiB, E820_RESERVED);
    expect_entry(&out[5], 20 * MiB, 0x7FF0000, E820_RAM);
    expect_entry(&out[6], 0x7FF0000, 0x8000000, E820_ACPI);
    expect_entry(&out[7], 0xFFFC0000, 0x100000000ull, E820_RESERVED);

    /* the output buffer too small: reported, not overrun */
    struct e820_entry small[5];
    memset(small, 0, sizeof small);
    assert_int_equal(e820_guest_map(bochs128, NB, hv, 1, small, 4, &n), E820_ERR_FULL);
    assert_int_equal(small[4].length, 0);
    assert_int_equal(n, 0);
}

/* Unsorted input, a duplicate, touching RAM entries, an overlap, a zero-length
 * entry, and a hypervisor range that fills the gap between two reservations. */
static void test_sort_merge_overlap(void **state)
{
    (void)state;
    const struct e820_entry fw[] = {
        { 0x100000, 0x100000, E820_RAM },
        { 0x9F000, 0x1000, E820_RESERVED },
        { 0x0, 0x9F000, E820_RAM },
        { 0x200000, 0x200000, E820_RAM },          /* touches the one above: merged */
        { 0x300000, 0x10000, E820_NVS },           /* overlaps RAM: NVS (4) wins */
        { 0xE8000, 0x18000, E820_RESERVED },
        { 0x500000, 0, E820_RAM },                 /* zero length: dropped */
        { 0x100000, 0x100000, E820_RAM },          /* duplicate */
    };
    const struct e820_region hv[] = { { 0xA0000, 0xE8000 }, { 0x3F0000, 0x400000 } };
    struct e820_entry out[16];
    size_t n = 0;
    assert_int_equal(e820_guest_map(fw, 8, hv, 2, out, 16, &n), E820_OK);
    assert_int_equal(n, 6);
    expect_entry(&out[0], 0, 0x9F000, E820_RAM);
    expect_entry(&out[1], 0x9F000, 0x100000, E820_RESERVED);   /* three merged */
    expect_entry(&out[2], 0x100000, 0x300000, E820_RAM);
    expect_entry(&out[3], 0x300000, 0x310000, E820_NVS);
    expect_entry(&out[4], 0x310000, 0x3F0000, E820_RAM);
    expect_entry(&out[5], 0x3F0000, 0x400000, E820_RESERVED);

    /* no hypervisor ranges: the firmware map, sorted and merged */
    assert_int_equal(e820_guest_map(bochs128, NB, NULL, 0, out, 16, &n), E820_OK);
    assert_int_equal(n, NB);
    for (size_t i = 0; i < n; i++)
        expect_entry(&out[i], bochs128[i].base, bochs128[i].base + bochs128[i].length,
                     bochs128[i].type);

    assert_int_equal(e820_guest_map(NULL, 0, NULL, 0, out, 16, &n), E820_OK);
    assert_int_equal(n, 0);
    const struct e820_entry wrap[] = { { ~0ull - 10, 100, E820_RAM } };
    assert_int_equal(e820_guest_map(wrap, 1, NULL, 0, out, 16, &n), E820_ERR_RANGE);
}

static void test_legacy_sizes(void **state)
{
    (void)state;
    struct e820_entry out[16];
    size_t n;
    struct e820_legacy_sizes s;

    /* Firmware map: 636 KiB low; RAM 1 MiB .. 0x7FF0000 */
    assert_int_equal(e820_guest_map(bochs128, NB, NULL, 0, out, 16, &n), E820_OK);
    e820_legacy_sizes(out, n, &s);
    assert_int_equal(s.int12_kb, 0x9F000 / 1024);
    assert_int_equal(s.ah88_kb, 0xFFFF);                       /* 126 MiB, capped */
    assert_int_equal(s.e801_kb_1m_16m, 15 * 1024);
    assert_int_equal(s.e801_64k_above_16m, (0x7FF0000 - 16 * MiB) / 0x10000);

    /* Hypervisor at 16-20 MiB: extended memory ends there */
    const struct e820_region hv[] = { { 16 * MiB, 20 * MiB } };
    assert_int_equal(e820_guest_map(bochs128, NB, hv, 1, out, 16, &n), E820_OK);
    e820_legacy_sizes(out, n, &s);
    assert_int_equal(s.ah88_kb, 15 * 1024);
    assert_int_equal(s.e801_kb_1m_16m, 15 * 1024);
    assert_int_equal(s.e801_64k_above_16m, 0);

    /* Hypervisor at 4-8 MiB: only 3 MiB of extended memory is contiguous */
    const struct e820_region low[] = { { 4 * MiB, 8 * MiB } };
    assert_int_equal(e820_guest_map(bochs128, NB, low, 1, out, 16, &n), E820_OK);
    e820_legacy_sizes(out, n, &s);
    assert_int_equal(s.ah88_kb, 3 * 1024);
    assert_int_equal(s.e801_kb_1m_16m, 3 * 1024);
    assert_int_equal(s.e801_64k_above_16m, 0);
    assert_int_equal(s.int12_kb, 636);

    /* More than 640 KiB of low RAM is still reported as 640 */
    const struct e820_entry big[] = { { 0, 2 * MiB, E820_RAM } };
    e820_legacy_sizes(big, 1, &s);
    assert_int_equal(s.int12_kb, 640);
    assert_int_equal(s.ah88_kb, 1024);
}

static void test_ept_ranges(void **state)
{
    (void)state;
    const struct e820_entry map[] = {
        { 0x0, 0x9FC00, E820_RAM },                /* not page aligned at the end */
        { 0x9FC00, 0x400, E820_RESERVED },
        { 0x100000, 0x7EF0000, E820_RAM },
        { 0x7FF0000, 0x10000, E820_ACPI },
        { 0x100000000ull, 0x40000000ull, E820_RAM },   /* RAM above 4 GiB */
        { 0x140000000ull, 0x1000, E820_RESERVED },     /* non-RAM above 4 GiB: not mapped */
    };
    const struct e820_region hv[] = { { 0x1000800, 0x1001800 } };
    struct ept_range r[16];
    size_t n = 0;

    assert_int_equal(e820_ept_ranges(map, 6, hv, 1, r, 16, &n), E820_OK);
    assert_int_equal(n, 6);
    assert_true(r[0].start == 0 && r[0].end == 0x100000000ull && r[0].mem_type == EPT_MT_UC);
    assert_true(r[1].start == 0 && r[1].end == 0x9F000 && r[1].mem_type == EPT_MT_WB);  /* shrunk */
    assert_true(r[2].start == 0x100000 && r[2].end == 0x7FF0000 && r[2].mem_type == EPT_MT_WB);
    assert_true(r[3].start == 0x100000000ull && r[3].end == 0x140000000ull && r[3].mem_type == EPT_MT_WB);
    assert_true(r[4].start == 0xA0000 && r[4].end == 0xC0000 && r[4].mem_type == EPT_MT_UC);
    assert_true(r[5].start == 0x1000000 && r[5].end == 0x1002000 && r[5].mem_type == EPT_MEM_HOLE);

    /* RAM smaller than a page after rounding inward disappears */
    const struct e820_entry tiny[] = { { 0x1800, 0x1000, E820_RAM } };
    assert_int_equal(e820_ept_ranges(tiny, 1, NULL, 0, r, 16, &n), E820_OK);
    assert_int_equal(n, 2);
    assert_int_equal(r[1].mem_type, EPT_MT_UC);     /* only the UC base and VGA */

    assert_int_equal(e820_ept_ranges(map, 6, hv, 1, r, 3, &n), E820_ERR_FULL);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hypervisor_carved_out),
        cmocka_unit_test(test_sort_merge_overlap),
        cmocka_unit_test(test_legacy_sizes),
        cmocka_unit_test(test_ept_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
