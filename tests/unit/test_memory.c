/* kernel/memory.c on the host, over the memory maps Bochs and QEMU really report (the
 * kernel log prints them: `tools/vmxlab run`), with vmxlab where GRUB really put it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel/memory.h"

#define MiB (1ull << 20)
#define USABLE 1
#define RESERVED 2
#define ACPI 3

/* Bochs 2.7, megs: 128 */
static const struct mem_map_entry bochs[] = {
    {0x0, 0x9F000, USABLE},          {0x9F000, 0x1000, RESERVED},      {0xE8000, 0x18000, RESERVED},
    {0x100000, 0x7EF0000, USABLE},   {0x7FF0000, 0x10000, ACPI},       {0xFFFC0000, 0x40000, RESERVED},
};
/* QEMU 7.2 TCG, -m 128 */
static const struct mem_map_entry qemu[] = {
    {0x0, 0x9FC00, USABLE},          {0x9FC00, 0x400, RESERVED},       {0xF0000, 0x10000, RESERVED},
    {0x100000, 0x7EE0000, USABLE},   {0x7FE0000, 0x20000, RESERVED},   {0xFFFC0000, 0x40000, RESERVED},
    {0xFD00000000, 0x300000000, RESERVED},
};
#define N(m) (unsigned)(sizeof(m) / sizeof((m)[0]))

/* GRUB, 'highest' preference, 2 MiB alignment: the 100 KiB image at 126 MiB in both */
#define IMG_START 0x07E00000ull
#define IMG_END 0x07E19000ull

static struct page_pool p;
static const char *why;

static void init_ok(const struct mem_map_entry *map, unsigned n, uint64_t start, uint64_t end)
{
    why = "";
    if (!pool_init(&p, map, n, start, end, &why))
        fail_msg("pool_init refused: %s", why);
}

static void bochs_pool(void **state)
{
    (void)state;
    init_ok(bochs, N(bochs), IMG_START, IMG_END);
    assert_int_equal(p.pool.start, IMG_START - MEM_POOL_BELOW);
    assert_int_equal(p.pool.end, 0x07FF0000); /* up to the ACPI tables, not into them */
    assert_int_equal(pool_alloc_page(&p), 0x07FEF000);
    assert_int_equal(pool_alloc_page(&p), 0x07FEE000);
    assert_int_equal(p.pages_used, 2);
}

static void qemu_pool(void **state)
{
    (void)state;
    init_ok(qemu, N(qemu), IMG_START, IMG_END);
    assert_int_equal(p.pool.start, 0x07D00000);
    assert_int_equal(p.pool.end, 0x07FE0000);
    assert_int_equal(pool_alloc_page(&p), 0x07FDF000);
}

static void top_down_skips_the_image(void **state)
{
    (void)state;
    init_ok(bochs, N(bochs), IMG_START, IMG_END);
    uint64_t prev = p.pool.end, a;
    unsigned above = (unsigned)((0x07FF0000 - IMG_END) / PAGE_SIZE);
    for (unsigned i = 0; i < above; i++) {
        a = pool_alloc_page(&p);
        assert_int_equal(a, prev - PAGE_SIZE); /* strictly descending, no gaps */
        prev = a;
    }
    assert_int_equal(prev, IMG_END);
    assert_int_equal(pool_alloc_page(&p), IMG_START - PAGE_SIZE); /* jumps over vmxlab itself */
}

static void exhaustion_returns_zero_never_below_1mib(void **state)
{
    (void)state;
    init_ok(qemu, N(qemu), IMG_START, IMG_END);
    unsigned expect = (unsigned)((p.pool.end - p.pool.start - (IMG_END - IMG_START)) / PAGE_SIZE);
    unsigned got = 0;
    uint64_t a, lowest = ~0ull;
    while ((a = pool_alloc_page(&p)) != 0) {
        assert_true(a >= MiB);
        assert_true(a >= p.pool.start && a + PAGE_SIZE <= p.pool.end);
        assert_false(a < IMG_END && IMG_START < a + PAGE_SIZE);
        lowest = a < lowest ? a : lowest;
        got++;
        assert_true(got <= expect);
    }
    assert_int_equal(got, expect);
    assert_int_equal(lowest, p.pool.start);
    assert_int_equal(pool_alloc_page(&p), 0); /* and stays exhausted */
    assert_int_equal(pool_alloc_pages(&p, 1), 0);
}

static void image_low_in_ram_keeps_first_mib(void **state)
{
    (void)state;
    /* the lowest placement the relocatable tag could allow: the pool ends exactly at 1 MiB */
    init_ok(qemu, N(qemu), 2 * MiB, 2 * MiB + 0x19000);
    assert_int_equal(p.pool.start, MiB);
    uint64_t a, lowest = ~0ull;
    while ((a = pool_alloc_page(&p)) != 0)
        lowest = a;
    assert_int_equal(lowest, MiB);

    assert_false(pool_init(&p, qemu, N(qemu), 0x1FF000, 0x210000, &why));
    assert_string_equal(why, "the image sits too low: the pool would reach into the first MiB");
}

static void reserved_ranges_are_skipped(void **state)
{
    (void)state;
    init_ok(bochs, N(bochs), IMG_START, IMG_END);
    /* a guest module and the info structure inside the pool, not page-aligned */
    pool_reserve(&p, 0x07FEE010, 0x07FEE0F1);
    pool_reserve(&p, 0x07FEC800, 0x07FED100);
    pool_reserve(&p, 0x117000, 0x1170F1); /* outside the pool: harmless */
    pool_reserve(&p, 0x5000, 0x5000);     /* empty: ignored */
    assert_int_equal(pool_alloc_page(&p), 0x07FEF000);
    assert_int_equal(pool_alloc_page(&p), 0x07FEB000); /* 0x07FEC000..0x07FEEFFF reserved */
    assert_int_equal(pool_alloc_page(&p), 0x07FEA000);
}

static void contiguous_allocations(void **state)
{
    (void)state;
    init_ok(bochs, N(bochs), IMG_START, IMG_END);
    assert_int_equal(pool_alloc_pages(&p, 0), 0);
    uint64_t a = pool_alloc_pages(&p, 4);
    assert_int_equal(a, 0x07FF0000 - 4 * PAGE_SIZE);
    assert_int_equal(pool_alloc_page(&p), a - PAGE_SIZE);
    assert_int_equal(p.pages_used, 5);

    /* a run that would straddle a reserved page goes entirely below it */
    pool_reserve(&p, a - 3 * PAGE_SIZE, a - 2 * PAGE_SIZE);
    uint64_t b = pool_alloc_pages(&p, 3);
    assert_int_equal(b, a - 6 * PAGE_SIZE);

    /* more than the pool holds: refused, and small allocations still work */
    assert_int_equal(pool_alloc_pages(&p, 100000), 0);
    assert_int_equal(pool_alloc_page(&p), b - PAGE_SIZE);

    /* a run that would straddle the image lands below it */
    init_ok(bochs, N(bochs), IMG_START, IMG_END);
    unsigned above = (unsigned)((0x07FF0000 - IMG_END) / PAGE_SIZE);
    assert_int_equal(pool_alloc_pages(&p, above - 1), IMG_END + PAGE_SIZE);
    assert_int_equal(pool_alloc_pages(&p, 2), IMG_START - 2 * PAGE_SIZE);
}

static void image_not_in_usable_ram(void **state)
{
    (void)state;
    /* in the ACPI tables, straddling the end of RAM, in a hole, and above RAM */
    const uint64_t bad[][2] = {{0x07FF0000, 0x07FF8000}, {0x07FE0000, 0x08000000}, {0xA0000, 0xB0000},
                               {0x10000000, 0x10019000}};
    for (unsigned i = 0; i < 4; i++) {
        why = "";
        assert_false(pool_init(&p, bochs, N(bochs), bad[i][0], bad[i][1], &why));
        assert_string_equal(why, "the image is not in usable RAM");
    }
}

static void pool_stops_at_holes(void **state)
{
    (void)state;
    /* a reserved hole just under the image and usable RAM split in two adjacent entries */
    static const struct mem_map_entry map[] = {
        {0x0, 0x9F000, USABLE},
        {0x100000, 0x6F00000, USABLE},    /* 1 MiB .. 112 MiB */
        {0x7000000, 0x80000, RESERVED},   /* 112 MiB .. 112.5 MiB */
        {0x7080000, 0x780000, USABLE},    /* .. 120 MiB */
        {0x7800000, 0x7F0000, USABLE},    /* .. 127.9 MiB, adjacent */
        {0x7FF0000, 0x10000, ACPI},
    };
    init_ok(map, N(map), 0x7100000, 0x7119000);
    assert_int_equal(p.pool.start, 0x7080000); /* not into the hole */
    assert_int_equal(p.pool.end, 0x7FF0000);   /* across the adjacent entries */
    uint64_t a, lowest = ~0ull;
    while ((a = pool_alloc_page(&p)) != 0)
        lowest = a;
    assert_int_equal(lowest, 0x7080000);
}

static void overlapping_reserved_entry_wins(void **state)
{
    (void)state;
    static const struct mem_map_entry map[] = {
        {0x100000, 0x7F00000, USABLE},
        {0x7F00000, 0x1000, RESERVED}, /* a firmware map that lists a reserved page twice */
    };
    assert_true(mem_is_usable(map, 2, 0x7E00000, 0x7F00000));
    assert_false(mem_is_usable(map, 2, 0x7E00000, 0x7F00001));
    assert_false(mem_is_usable(map, 2, 0x7F00000, 0x7F01000));
    assert_true(mem_is_usable(map, 2, 0x7F01000, 0x8000000));
    assert_false(mem_is_usable(map, 2, 0x7F01000, 0x8001000));
    init_ok(map, 2, 0x7E00000, 0x7E19000);
    assert_int_equal(p.pool.end, 0x7F00000);
}

static void big_machine(void **state)
{
    (void)state;
    /* 3 GiB below the PCI hole: the pool is capped at 64 MiB above the image */
    static const struct mem_map_entry map[] = {
        {0x0, 0x9FC00, USABLE},
        {0x100000, 0xBFEE0000ull, USABLE},
        {0xBFFE0000ull, 0x20000, RESERVED},
        {0x100000000ull, 0x40000000ull, USABLE},
    };
    init_ok(map, N(map), 0xB0000000ull, 0xB0019000ull);
    assert_int_equal(p.pool.start, 0xB0000000ull - MEM_POOL_BELOW);
    assert_int_equal(p.pool.end, 0xB0019000ull + (64ull << 20));
    init_ok(map, N(map), 0xBFE00000ull, 0xBFE19000ull);
    assert_int_equal(p.pool.end, 0xBFFE0000ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bochs_pool),
        cmocka_unit_test(qemu_pool),
        cmocka_unit_test(top_down_skips_the_image),
        cmocka_unit_test(exhaustion_returns_zero_never_below_1mib),
        cmocka_unit_test(image_low_in_ram_keeps_first_mib),
        cmocka_unit_test(reserved_ranges_are_skipped),
        cmocka_unit_test(contiguous_allocations),
        cmocka_unit_test(image_not_in_usable_ram),
        cmocka_unit_test(pool_stops_at_holes),
        cmocka_unit_test(overlapping_reserved_entry_wins),
        cmocka_unit_test(big_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
