/* multiboot2 boot information parser (multiboot2 specification, version 2.0, chapter 3.6). */
#include "kernel/multiboot2.h"

static void set_err(char *err, size_t len, const char *a, uint32_t off, uint32_t val)
{
    /* tiny formatter: "<a> at offset 0x<off> (value 0x<val>)"; kept local so the parser
     * stays free of kernel services and can be unit-tested on the host */
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    if (!len)
        return;
#define PUT(c)                                                                         \
    do {                                                                               \
        if (n + 1 < len)                                                               \
            err[n++] = (c);                                                            \
    } while (0)
    for (; *a; a++)
        PUT(*a);
    const char *mid = " at offset 0x";
    for (; *mid; mid++)
        PUT(*mid);
    for (int s = 28; s >= 0; s -= 4)
        PUT(hex[(off >> s) & 15]);
    const char *v = " (value 0x";
    for (; *v; v++)
        PUT(*v);
    for (int s = 28; s >= 0; s -= 4)
        PUT(hex[(val >> s) & 15]);
    PUT(')');
#undef PUT
    err[n] = 0;
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* A string field must end with a NUL inside its tag. */
static const char *checked_string(const uint8_t *s, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (!s[i])
            return (const char *)s;
    return 0;
}

bool mb2_parse(const void *info, uint32_t limit, struct mb2_info *out, char *err, size_t errlen)
{
    const uint8_t *base = info;
    uint8_t *o = (uint8_t *)out;
    for (size_t i = 0; i < sizeof(*out); i++)
        o[i] = 0;
    out->cmdline = "";
    out->bootloader = "";
    if (!info || ((uintptr_t)info & 7)) {
        set_err(err, errlen, "info structure missing or not 8-byte aligned", 0, (uint32_t)(uintptr_t)info);
        return false;
    }
    uint32_t total = rd32(base);
    if (total < 16 || total > limit) {
        set_err(err, errlen, "implausible total_size", 0, total);
        return false;
    }
    out->total_size = total;
    bool saw_end = false;
    uint32_t off = 8;
    while (off + 8 <= total) {
        const uint8_t *t = base + off;
        uint32_t type = rd32(t), size = rd32(t + 4);
        if (size < 8) { /* also keeps the walk moving: a zero size would loop forever */
            set_err(err, errlen, "tag size below the 8-byte tag header", off, size);
            return false;
        }
        if (size > total - off) {
            set_err(err, errlen, "tag size runs past the structure", off, size);
            return false;
        }
        const uint8_t *body = t + 8;
        uint32_t blen = size - 8;
        switch (type) {
        case MB2_TAG_END:
            saw_end = true;
            break;
        case MB2_TAG_CMDLINE:
        case MB2_TAG_BOOTLOADER_NAME: {
            const char *s = checked_string(body, blen);
            if (!s) {
                set_err(err, errlen, "string tag without a terminating NUL", off, type);
                return false;
            }
            if (type == MB2_TAG_CMDLINE)
                out->cmdline = s;
            else
                out->bootloader = s;
            break;
        }
        case MB2_TAG_BASIC_MEMINFO:
            if (blen < 8) {
                set_err(err, errlen, "basic meminfo tag too short", off, size);
                return false;
            }
            out->has_meminfo = true;
            out->mem_lower_kb = rd32(body);
            out->mem_upper_kb = rd32(body + 4);
            break;
        case MB2_TAG_BOOTDEV:
            if (blen < 12) {
                set_err(err, errlen, "boot device tag too short", off, size);
                return false;
            }
            out->has_bootdev = true;
            out->biosdev = rd32(body);
            out->partition = rd32(body + 4);
            out->sub_partition = rd32(body + 8);
            break;
        case MB2_TAG_MODULE: {
            if (blen < 9) {
                set_err(err, errlen, "module tag too short", off, size);
                return false;
            }
            uint32_t start = rd32(body), end = rd32(body + 4);
            const char *s = checked_string(body + 8, blen - 8);
            if (!s || end < start) {
                set_err(err, errlen, s ? "module ends before it starts" : "module string without a NUL", off, start);
                return false;
            }
            if (out->module_count == MB2_MAX_MODULES) {
                set_err(err, errlen, "more modules than vmxlab keeps", off, MB2_MAX_MODULES);
                return false;
            }
            out->modules[out->module_count++] = (struct mb2_module){start, end, s};
            break;
        }
        case MB2_TAG_MMAP: {
            if (blen < 8) {
                set_err(err, errlen, "memory map tag too short", off, size);
                return false;
            }
            uint32_t esz = rd32(body);
            if (esz < 24 || (esz & 7)) {
                set_err(err, errlen, "memory map entry_size is not a multiple of 8 >= 24", off, esz);
                return false;
            }
            for (uint32_t e = 8; e + esz <= blen; e += esz) {
                if (out->mmap_count == MB2_MAX_MMAP) {
                    set_err(err, errlen, "more memory map entries than vmxlab keeps", off + 8 + e, MB2_MAX_MMAP);
                    return false;
                }
                struct mb2_mmap_entry *m = &out->mmap[out->mmap_count++];
                m->base = rd64(body + e);
                m->length = rd64(body + e + 8);
                m->type = rd32(body + e + 16);
            }
            break;
        }
        case MB2_TAG_ELF_SECTIONS:
            if (blen < 12) {
                set_err(err, errlen, "ELF sections tag too short", off, size);
                return false;
            }
            out->elf_num = rd32(body);
            out->elf_entsize = rd32(body + 4);
            out->elf_shndx = rd32(body + 8);
            if (out->elf_entsize < 64 || (uint64_t)out->elf_num * out->elf_entsize > blen - 12) {
                set_err(err, errlen, "ELF sections tag smaller than its headers", off, out->elf_num);
                return false;
            }
            out->elf_sections = body + 12;
            out->has_elf_sections = true;
            break;
        case MB2_TAG_ACPI_OLD:
        case MB2_TAG_ACPI_NEW:
            if (!out->rsdp || type == MB2_TAG_ACPI_NEW) {
                out->rsdp = body;
                out->rsdp_size = blen;
            }
            break;
        case MB2_TAG_LOAD_BASE_ADDR:
            if (blen < 4) {
                set_err(err, errlen, "load base tag too short", off, size);
                return false;
            }
            out->has_load_base = true;
            out->load_base = rd32(body);
            break;
        default: /* tags vmxlab does not use are skipped, as the spec asks */
            break;
        }
        if (saw_end)
            break;
        off += (size + 7) & ~7u;
    }
    if (!saw_end) {
        set_err(err, errlen, "no end tag before total_size", off, total);
        return false;
    }
    return true;
}

static bool word_equals(const char *s, const char *w)
{
    while (*w && *s == *w)
        s++, w++;
    return !*w && (*s == 0 || *s == ' ');
}

const struct mb2_module *mb2_find_module(const struct mb2_info *mi, const char *name)
{
    return mb2_find_module_after(mi, name, 0);
}

const struct mb2_module *mb2_find_module_after(const struct mb2_info *mi, const char *name,
                                               const struct mb2_module *after)
{
    for (unsigned i = after ? (unsigned)(after - mi->modules) + 1 : 0; i < mi->module_count; i++)
        if (word_equals(mi->modules[i].string, name))
            return &mi->modules[i];
    return 0;
}

const char *mb2_mem_type_name(uint32_t type)
{
    switch (type) {
    case MB2_MEM_AVAILABLE: return "usable";
    case MB2_MEM_RESERVED: return "reserved";
    case MB2_MEM_ACPI: return "ACPI reclaimable";
    case MB2_MEM_NVS: return "ACPI NVS";
    case MB2_MEM_BAD: return "bad";
    default: return "unknown";
    }
}
