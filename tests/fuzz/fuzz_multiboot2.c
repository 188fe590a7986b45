/* Fuzz target: the multiboot2 boot-information parser (kernel/multiboot2.c), which reads
 * what GRUB (or any multiboot2 loader) hands the kernel.
 *
 * Input: the boot information structure itself (total_size, reserved, tags), copied to an
 * 8-byte-aligned heap block of exactly its size; the limit is that size.
 *
 * Properties (kernel/multiboot2.h, multiboot2 specification 3.6):
 *   - a failure says why in one NUL-terminated line naming the offset, in any buffer size;
 *   - on success every pointer the parser returns (command line, loader name, module
 *     strings, ELF section headers, RSDP copy) lies inside total_size, every string ends
 *     with a NUL before it, counts stay within the arrays, modules do not end before they start;
 *   - bytes past total_size do not change the result;
 *   - mb2_find_module returns a module whose first word is the name, the first such. */
#include "tests/fuzz/fuzz_common.h"
#include "kernel/multiboot2.h"

static const uint8_t *lo, *hi;

static bool inside(const void *p, size_t n)
{
    const uint8_t *b = p;
    return b >= lo && b <= hi && n <= (size_t)(hi - b);
}

static bool string_inside(const char *s)
{
    return inside(s, 1) && memchr(s, 0, (size_t)(hi - (const uint8_t *)s)) != NULL;
}

static bool same(const struct mb2_info *a, const struct mb2_info *b)
{
#define F(x) (a->x == b->x)
    if (!(F(total_size) && !strcmp(a->cmdline, b->cmdline) && !strcmp(a->bootloader, b->bootloader) &&
          F(has_meminfo) && F(mem_lower_kb) && F(mem_upper_kb) && F(has_bootdev) && F(biosdev) && F(partition) &&
          F(sub_partition) && F(mmap_count) && F(module_count) && F(has_load_base) && F(load_base) &&
          F(has_elf_sections) && F(elf_num) && F(elf_entsize) && F(elf_shndx) && F(rsdp_size) &&
          (a->rsdp == NULL) == (b->rsdp == NULL)))
        return false;
    for (unsigned i = 0; i < a->mmap_count; i++)
        if (!(F(mmap[i].base) && F(mmap[i].length) && F(mmap[i].type)))
            return false;
    for (unsigned i = 0; i < a->module_count; i++)
        if (!(F(modules[i].start) && F(modules[i].end) && !strcmp(a->modules[i].string, b->modules[i].string)))
            return false;
#undef F
    return true;
}

static bool first_word_is(const char *s, const char *w)
{
    size_t n = strlen(w);
    return !strncmp(s, w, n) && (s[n] == 0 || s[n] == ' ');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > (1u << 20))
        return 0; /* the kernel always has the 8-byte header; GRUB's info is far below 1 MiB */
    uint8_t *info = fuzz_dup(data, size); /* malloc: 16-byte aligned */
    static struct mb2_info mi, again;
    char err[256];
    memset(err, 0x55, sizeof(err));
    bool ok = mb2_parse(info, (uint32_t)size, &mi, err, sizeof(err));

    size_t cap = 1 + size % 64;
    char *small = malloc(cap);
    FUZZ_CHECK(small, "malloc");
    FUZZ_CHECK(mb2_parse(info, (uint32_t)size, &again, small, cap) == ok, "verdict depends on the error buffer");
    if (!ok) {
        FUZZ_CHECK(fuzz_terminated(err, sizeof(err)) && strstr(err, " at offset 0x"), "failure text \"%.*s\"",
                   (int)sizeof(err), err);
        FUZZ_CHECK(fuzz_terminated(small, cap) && !strncmp(small, err, strlen(small)) &&
                       strlen(small) == (strlen(err) < cap - 1 ? strlen(err) : cap - 1),
                   "truncated failure text \"%.*s\"", (int)cap, small);
        free(small);
        free(info);
        return 0;
    }
    free(small);

    FUZZ_CHECK(mi.total_size >= 16 && mi.total_size <= size, "total_size %u of %zu", mi.total_size, size);
    lo = info;
    hi = info + mi.total_size;
    FUZZ_CHECK(!mi.cmdline[0] || string_inside(mi.cmdline), "command line outside the structure");
    FUZZ_CHECK(!mi.bootloader[0] || string_inside(mi.bootloader), "loader name outside the structure");
    FUZZ_CHECK(mi.mmap_count <= MB2_MAX_MMAP && mi.module_count <= MB2_MAX_MODULES, "counts %u %u", mi.mmap_count,
               mi.module_count);
    for (unsigned i = 0; i < mi.module_count; i++)
        FUZZ_CHECK(string_inside(mi.modules[i].string) && mi.modules[i].start <= mi.modules[i].end,
                   "module %u", i);
    if (mi.has_elf_sections)
        FUZZ_CHECK(mi.elf_entsize >= 64 && inside(mi.elf_sections, (size_t)mi.elf_num * mi.elf_entsize),
                   "ELF section headers outside the structure");
    if (mi.rsdp)
        FUZZ_CHECK(inside(mi.rsdp, mi.rsdp_size), "RSDP copy outside the structure");

    const struct mb2_module *g = mb2_find_module(&mi, "guest");
    for (unsigned i = 0; i < mi.module_count; i++) {
        if (first_word_is(mi.modules[i].string, "guest")) {
            FUZZ_CHECK(g == &mi.modules[i], "find_module(guest) is not the first module named guest");
            break;
        }
        FUZZ_CHECK(g != &mi.modules[i], "find_module(guest) returned \"%s\"", mi.modules[i].string);
    }
    if (!g)
        for (unsigned i = 0; i < mi.module_count; i++)
            FUZZ_CHECK(!first_word_is(mi.modules[i].string, "guest"), "module \"%s\" not found",
                       mi.modules[i].string);

    /* only total_size bytes count: the same structure in a block of exactly that size */
    uint8_t *exact = fuzz_dup(info, mi.total_size);
    FUZZ_CHECK(mb2_parse(exact, mi.total_size, &again, err, sizeof(err)) && same(&mi, &again),
               "the bytes after total_size changed the result (%s)", err);
    FUZZ_CHECK(mb2_mem_type_name(mi.mmap_count ? mi.mmap[0].type : 0) != NULL, "type name");
    free(exact);
    free(info);
    return 0;
}
