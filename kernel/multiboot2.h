/* Reading what GRUB hands over: the multiboot2 boot information (multiboot2 spec, ch. 3.6).
 * Pure logic (no kernel services): the parser never trusts a size it has not checked, and
 * reports the first inconsistency instead of reading past the structure. */
#ifndef KERNEL_MULTIBOOT2_H
#define KERNEL_MULTIBOOT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB2_BOOTLOADER_MAGIC 0x36D76289u

enum mb2_tag_type {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_BOOTLOADER_NAME = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_BASIC_MEMINFO = 4,
    MB2_TAG_BOOTDEV = 5,
    MB2_TAG_MMAP = 6,
    MB2_TAG_ELF_SECTIONS = 9,
    MB2_TAG_ACPI_OLD = 14,
    MB2_TAG_ACPI_NEW = 15,
    MB2_TAG_LOAD_BASE_ADDR = 21,
};

/* E820-style memory types as multiboot2 reports them (spec 3.6.8). */
enum mb2_mem_type { MB2_MEM_AVAILABLE = 1, MB2_MEM_RESERVED = 2, MB2_MEM_ACPI = 3, MB2_MEM_NVS = 4, MB2_MEM_BAD = 5 };

#define MB2_MAX_MMAP 64
#define MB2_MAX_MODULES 8

struct mb2_mmap_entry {
    uint64_t base, length;
    uint32_t type;
};

struct mb2_module {
    uint32_t start, end;    /* physical, end exclusive */
    const char *string;     /* NUL-terminated inside the info structure */
};

struct mb2_info {
    uint32_t total_size;
    const char *cmdline;          /* "" when absent */
    const char *bootloader;
    bool has_meminfo;
    uint32_t mem_lower_kb, mem_upper_kb;
    bool has_bootdev;
    uint32_t biosdev, partition, sub_partition;
    unsigned mmap_count;
    struct mb2_mmap_entry mmap[MB2_MAX_MMAP];
    unsigned module_count;
    struct mb2_module modules[MB2_MAX_MODULES];
    bool has_load_base;
    uint32_t load_base;
    bool has_elf_sections;
    uint32_t elf_num, elf_entsize, elf_shndx;
    const void *elf_sections;     /* section headers, inside the info structure */
    const void *rsdp;             /* copy of the ACPI RSDP inside the info, or NULL */
    uint32_t rsdp_size;
};

/* Parse the structure at `info`. `limit` bounds total_size (the parser refuses a larger
 * claim). Returns true on success; on failure writes a one-line reason to err. */
bool mb2_parse(const void *info, uint32_t limit, struct mb2_info *out, char *err, size_t errlen);

/* The first module whose string's first word equals `name` (e.g. "guest"), or NULL. */
const struct mb2_module *mb2_find_module(const struct mb2_info *mi, const char *name);

/* The next module after `after` (one of mi->modules) with that first word, or NULL: vmxlab
 * refuses a second "guest" module rather than pick one silently. */
const struct mb2_module *mb2_find_module_after(const struct mb2_info *mi, const char *name,
                                               const struct mb2_module *after);

const char *mb2_mem_type_name(uint32_t type);

#endif
