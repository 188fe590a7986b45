/* kernel/multiboot2.c on the host: boot information structures built in a buffer, the
 * way GRUB lays them out (multiboot2 spec 3.6), then broken one field at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/multiboot2.h"

/* ---- a tiny builder ------------------------------------------------------------------ */
static uint64_t store[1024]; /* 8 KiB, 8-byte aligned like GRUB's info */
static uint8_t *const buf = (uint8_t *)store;
static uint32_t len;

static void put32(uint32_t at, uint32_t v) { memcpy(buf + at, &v, 4); }
static void put64(uint32_t at, uint64_t v) { memcpy(buf + at, &v, 8); }

static void begin(void)
{
    memset(store, 0xAA, sizeof(store)); /* garbage after the structure must not matter */
    len = 8;
}

/* Append a tag with `blen` body bytes; returns the body offset. Tags start 8-aligned. */
static uint32_t tag(uint32_t type, const void *body, uint32_t blen)
{
    uint32_t at = len;
    put32(at, type);
    put32(at + 4, 8 + blen);
    if (body)
        memcpy(buf + at + 8, body, blen);
    len = (at + 8 + blen + 7) & ~7u;
    return at + 8;
}

static void string_tag(uint32_t type, const char *s) { tag(type, s, (uint32_t)strlen(s) + 1); }

static void module_tag(uint32_t start, uint32_t end, const char *s)
{
    uint32_t body = tag(MB2_TAG_MODULE, 0, 8 + (uint32_t)strlen(s) + 1);
    put32(body, start);
    put32(body + 4, end);
    memcpy(buf + body + 8, s, strlen(s) + 1);
}

static void finish(void)
{
    tag(MB2_TAG_END, 0, 0);
    put32(0, len);
    put32(4, 0);
}

static struct mb2_info mi;
static char err[160];

static bool parse(void) { return mb2_parse(buf, 1u << 20, &mi, err, sizeof(err)); }

static void expect_error(const char *text)
{
    assert_false(parse());
    assert_string_equal(err, text);
}

/* The QEMU map from the kernel log. */
static void mmap_tag(uint32_t entry_size)
{
    static const uint64_t e[][3] = {{0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xF0000, 0x10000, 2},
                                    {0x100000, 0x7EE0000, 1}, {0x7FE0000, 0x20000, 2}, {0xFFFC0000, 0x40000, 2}};
    uint32_t n = sizeof(e) / sizeof(e[0]);
    uint32_t body = tag(MB2_TAG_MMAP, 0, 8 + n * entry_size);
    put32(body, entry_size);
    put32(body + 4, 0);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t at = body + 8 + i * entry_size;
        put64(at, e[i][0]);
        put64(at + 8, e[i][1]);
        put32(at + 16, (uint32_t)e[i][2]);
        put32(at + 20, 0);
    }
}

static void build_good(void)
{
    begin();
    string_tag(MB2_TAG_CMDLINE, "log=debug apic=decode");
    string_tag(MB2_TAG_BOOTLOADER_NAME, "GRUB 2.06");
    module_tag(0x117000, 0x1170F1, "guest hello");
    module_tag(0x118000, 0x119000, "extra");
    uint32_t mem[2] = {639, 130048};
    tag(MB2_TAG_BASIC_MEMINFO, mem, 8);
    uint32_t dev[3] = {0xE0, 0xFFFFFFFF, 0xFFFFFFFF};
    tag(MB2_TAG_BOOTDEV, dev, 12);
    mmap_tag(24);
    uint32_t lb = 0x07E00000;
    tag(MB2_TAG_LOAD_BASE_ADDR, &lb, 4);
    uint32_t body = tag(MB2_TAG_ELF_SECTIONS, 0, 12 + 3 * 64); /* three section headers */
    put32(body, 3);
    put32(body + 4, 64);
    put32(body + 8, 2);
    uint8_t rsdp[20] = "RSD PTR ";
    tag(MB2_TAG_ACPI_OLD, rsdp, sizeof(rsdp));
    tag(77, "unknown tags are skipped", 24);
    finish();
}

/* ---- a good structure ---------------------------------------------------------------- */
static void good_structure(void **state)
{
    (void)state;
    build_good();
    assert_true(parse());
    assert_int_equal(mi.total_size, len);
    assert_string_equal(mi.cmdline, "log=debug apic=decode");
    assert_string_equal(mi.bootloader, "GRUB 2.06");
    assert_int_equal(mi.module_count, 2);
    assert_int_equal(mi.modules[0].start, 0x117000);
    assert_int_equal(mi.modules[0].end, 0x1170F1);
    assert_string_equal(mi.modules[0].string, "guest hello");
    assert_string_equal(mi.modules[1].string, "extra");
    assert_true(mi.has_meminfo);
    assert_int_equal(mi.mem_lower_kb, 639);
    assert_true(mi.has_bootdev);
    assert_int_equal(mi.biosdev, 0xE0);
    assert_int_equal(mi.mmap_count, 6);
    assert_int_equal(mi.mmap[3].base, 0x100000);
    assert_int_equal(mi.mmap[3].length, 0x7EE0000);
    assert_int_equal(mi.mmap[3].type, MB2_MEM_AVAILABLE);
    assert_int_equal(mi.mmap[5].base, 0xFFFC0000);
    assert_true(mi.has_load_base);
    assert_int_equal(mi.load_base, 0x07E00000);
    assert_true(mi.has_elf_sections);
    assert_int_equal(mi.elf_num, 3);
    assert_int_equal(mi.elf_entsize, 64);
    assert_int_equal(mi.elf_shndx, 2);
    assert_non_null(mi.elf_sections);
    assert_non_null(mi.rsdp);
    assert_memory_equal(mi.rsdp, "RSD PTR ", 8);
    assert_int_equal(mi.rsdp_size, 20);
}

static void empty_structure_has_defaults(void **state)
{
    (void)state;
    begin();
    finish();
    assert_true(parse());
    assert_string_equal(mi.cmdline, "");
    assert_string_equal(mi.bootloader, "");
    assert_int_equal(mi.module_count, 0);
    assert_int_equal(mi.mmap_count, 0);
    assert_false(mi.has_load_base);
    assert_null(mi.rsdp);
}

static void acpi_new_tag_wins(void **state)
{
    (void)state;
    begin();
    uint8_t v2[36] = "RSD PTR 2";
    tag(MB2_TAG_ACPI_NEW, v2, sizeof(v2));
    uint8_t v1[20] = "RSD PTR 1";
    tag(MB2_TAG_ACPI_OLD, v1, sizeof(v1)); /* an older copy after it does not replace it */
    finish();
    assert_true(parse());
    assert_int_equal(mi.rsdp_size, 36);
    assert_memory_equal(mi.rsdp, "RSD PTR 2", 9);
}

static void find_module_by_first_word(void **state)
{
    (void)state;
    begin();
    module_tag(0x1000, 0x2000, "guestbook");
    module_tag(0x3000, 0x4000, "guest hello");
    module_tag(0x5000, 0x6000, "guest");
    finish();
    assert_true(parse());
    const struct mb2_module *m = mb2_find_module(&mi, "guest");
    assert_non_null(m);
    assert_int_equal(m->start, 0x3000); /* "guestbook" is not "guest" */
    assert_null(mb2_find_module(&mi, "initrd"));
}

/* Two modules named guest: main.c refuses the second rather than let the first win silently */
static void second_module_with_the_same_name(void **state)
{
    (void)state;
    begin();
    module_tag(0x1000, 0x2000, "guest hello");
    module_tag(0x3000, 0x4000, "initrd");
    module_tag(0x5000, 0x6000, "guest other");
    module_tag(0x7000, 0x8000, "guestbook");
    finish();
    assert_true(parse());
    const struct mb2_module *first = mb2_find_module(&mi, "guest");
    assert_non_null(first);
    assert_int_equal(first->start, 0x1000);
    const struct mb2_module *second = mb2_find_module_after(&mi, "guest", first);
    assert_non_null(second);
    assert_int_equal(second->start, 0x5000);
    assert_string_equal(second->string, "guest other");
    assert_null(mb2_find_module_after(&mi, "guest", second)); /* "guestbook" is not "guest" */
    assert_null(mb2_find_module_after(&mi, "initrd", mb2_find_module(&mi, "initrd")));
}

static void memory_type_names(void **state)
{
    (void)state;
    assert_string_equal(mb2_mem_type_name(1), "usable");
    assert_string_equal(mb2_mem_type_name(3), "ACPI reclaimable");
    assert_string_equal(mb2_mem_type_name(99), "unknown");
}

/* ---- malformed structures: each refused with its own reason -------------------------- */
static void total_size_too_big(void **state)
{
    (void)state;
    build_good();
    assert_false(mb2_parse(buf, len - 8, &mi, err, sizeof(err)));
    char want[96];
    snprintf(want, sizeof(want), "implausible total_size at offset 0x00000000 (value 0x%08x)", len);
    assert_string_equal(err, want);
}

static void total_size_too_small(void **state)
{
    (void)state;
    begin();
    finish();
    put32(0, 8); /* room for the header only */
    expect_error("implausible total_size at offset 0x00000000 (value 0x00000008)");
}

static void tag_runs_past_the_end(void **state)
{
    (void)state;
    begin();
    string_tag(MB2_TAG_CMDLINE, "log=info");
    finish();
    put32(12, 0x100); /* the command line tag claims 256 bytes */
    expect_error("tag size runs past the structure at offset 0x00000008 (value 0x00000100)");
}

static void tag_size_below_header(void **state)
{
    (void)state;
    begin();
    tag(MB2_TAG_CMDLINE, "x", 1);
    finish();
    put32(12, 4); /* smaller than the tag's own type and size fields */
    expect_error("tag size below the 8-byte tag header at offset 0x00000008 (value 0x00000004)");
}

static void missing_end_tag(void **state)
{
    (void)state;
    begin();
    string_tag(MB2_TAG_CMDLINE, "log=info");
    put32(0, len); /* total_size ends right after the command line */
    expect_error("no end tag before total_size at offset 0x00000020 (value 0x00000020)");
}

static void string_without_nul(void **state)
{
    (void)state;
    begin();
    tag(MB2_TAG_CMDLINE, "log=info", 8); /* 8 bytes, no terminator */
    finish();
    expect_error("string tag without a terminating NUL at offset 0x00000008 (value 0x00000001)");
}

static void module_string_without_nul(void **state)
{
    (void)state;
    begin();
    uint32_t body = tag(MB2_TAG_MODULE, 0, 8 + 5);
    put32(body, 0x1000);
    put32(body + 4, 0x2000);
    memcpy(buf + body + 8, "guest", 5);
    finish();
    expect_error("module string without a NUL at offset 0x00000008 (value 0x00001000)");
}

static void mmap_entry_size_bad(void **state)
{
    (void)state;
    begin();
    mmap_tag(20); /* not a multiple of 8, smaller than an entry */
    finish();
    expect_error("memory map entry_size is not a multiple of 8 >= 24 at offset 0x00000008 (value 0x00000014)");
}

static void mmap_wider_entries_accepted(void **state)
{
    (void)state;
    begin();
    mmap_tag(32); /* a future, longer entry: the parser steps by entry_size */
    finish();
    assert_true(parse());
    assert_int_equal(mi.mmap_count, 6);
    assert_int_equal(mi.mmap[4].base, 0x7FE0000);
    assert_int_equal(mi.mmap[4].type, MB2_MEM_RESERVED);
}

static void module_ends_before_start(void **state)
{
    (void)state;
    begin();
    module_tag(0x2000, 0x1000, "guest");
    finish();
    expect_error("module ends before it starts at offset 0x00000008 (value 0x00002000)");
}

static void too_many_modules(void **state)
{
    (void)state;
    begin();
    for (int i = 0; i <= MB2_MAX_MODULES; i++)
        module_tag(0x1000u * (unsigned)i, 0x1000u * (unsigned)i + 0x800, "m");
    finish();
    /* the ninth module tag: 8 tags of 24 bytes after the 8-byte header */
    expect_error("more modules than vmxlab keeps at offset 0x000000c8 (value 0x00000008)");
}

static void unaligned_pointer(void **state)
{
    (void)state;
    build_good();
    assert_false(mb2_parse(buf + 4, 1u << 20, &mi, err, sizeof(err)));
    assert_memory_equal(err, "info structure missing or not 8-byte aligned", 44);
    assert_false(mb2_parse(NULL, 1u << 20, &mi, err, sizeof(err)));
    assert_string_equal(err, "info structure missing or not 8-byte aligned at offset 0x00000000 (value 0x00000000)");
}

static void elf_sections_too_short(void **state)
{
    (void)state;
    begin();
    uint32_t body = tag(MB2_TAG_ELF_SECTIONS, 0, 12 + 64);
    put32(body, 2); /* claims two 64-byte headers, holds one */
    put32(body + 4, 64);
    put32(body + 8, 1);
    finish();
    expect_error("ELF sections tag smaller than its headers at offset 0x00000008 (value 0x00000002)");
}

static void error_text_truncated_safely(void **state)
{
    (void)state;
    begin();
    finish();
    put32(0, 8);
    char small[12];
    memset(small, 'Z', sizeof(small));
    assert_false(mb2_parse(buf, 1u << 20, &mi, small, sizeof(small)));
    assert_string_equal(small, "implausible");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_structure),
        cmocka_unit_test(empty_structure_has_defaults),
        cmocka_unit_test(acpi_new_tag_wins),
        cmocka_unit_test(second_module_with_the_same_name),
        cmocka_unit_test(find_module_by_first_word),
        cmocka_unit_test(memory_type_names),
        cmocka_unit_test(total_size_too_big),
        cmocka_unit_test(total_size_too_small),
        cmocka_unit_test(tag_runs_past_the_end),
        cmocka_unit_test(tag_size_below_header),
        cmocka_unit_test(missing_end_tag),
        cmocka_unit_test(string_without_nul),
        cmocka_unit_test(module_string_without_nul),
        cmocka_unit_test(mmap_entry_size_bad),
        cmocka_unit_test(mmap_wider_entries_accepted),
        cmocka_unit_test(module_ends_before_start),
        cmocka_unit_test(too_many_modules),
        cmocka_unit_test(unaligned_pointer),
        cmocka_unit_test(elf_sections_too_short),
        cmocka_unit_test(error_text_truncated_safely),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
