/*
 * e820.h - the memory map the guest sees, and the EPT ranges that back it.
 *
 * The guest's BIOS services (INT 15h E820/E801/AH=88h, INT 12h) must not offer
 * the hypervisor's own memory as RAM: those ranges become type 2 (reserved) in
 * the guest map and holes (unmapped) in the EPT.
 * E820 types: ACPI specification, chapter "System Address Map Interfaces",
 * table "Address Range Types".
 */
#ifndef E820_H
#define E820_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmx/ept.h"

#define E820_RAM        1u
#define E820_RESERVED   2u
#define E820_ACPI       3u
#define E820_NVS        4u
#define E820_UNUSABLE   5u

struct e820_entry {             /* the INT 15h E820 record: base, length, type */
    uint64_t base;
    uint64_t length;
    uint32_t type;
};

struct e820_region {            /* a hypervisor-owned range [start, end) */
    uint64_t start, end;
};

enum e820_status {
    E820_OK = 0,
    E820_ERR_FULL,              /* the output buffer is too small */
    E820_ERR_RANGE,             /* base + length overflows, or start > end; e820_ept_ranges:
                                 * also a hypervisor range ending in the last 4 KiB of the
                                 * address space (it cannot be widened to a page boundary) */
};

/* The guest's map: the firmware map with every hypervisor range turned into
 * type 2 (splitting the entries around it), sorted by base, zero-length
 * entries dropped, touching entries of one type merged. Where firmware entries
 * overlap, the higher type number wins (RAM never hides a reservation). A
 * hypervisor range in a gap of the firmware map is reported reserved too. */
enum e820_status e820_guest_map(const struct e820_entry *fw, size_t fw_count,
                                const struct e820_region *hv, size_t hv_count,
                                struct e820_entry *out, size_t out_cap, size_t *out_count);

/* Sizes for the older BIOS memory calls, from a sorted, merged map such as
 * e820_guest_map's output. Each counts only RAM contiguous from its start. */
struct e820_legacy_sizes {
    uint16_t int12_kb;          /* INT 12h: RAM from 0, at most 640 KiB */
    uint16_t ah88_kb;           /* INT 15h AH=88h: KiB from 1 MiB, at most 0xFFFF */
    uint16_t e801_kb_1m_16m;    /* INT 15h AX=E801h AX/CX: KiB 1..16 MiB, at most 0x3C00 */
    uint16_t e801_64k_above_16m;/* AX=E801h BX/DX: 64 KiB blocks from 16 MiB below 4 GiB */
};
void e820_legacy_sizes(const struct e820_entry *map, size_t count, struct e820_legacy_sizes *out);

/* EPT ranges for ept_build (later entries win), derived from the guest map:
 *   1. [0, 4 GiB) UC: below 4 GiB whatever is not RAM is device memory (the
 *      local APIC, I/O APIC, PCI BARs are often absent from E820);
 *   2. every RAM entry WB, shrunk inward to 4 KiB boundaries (never call
 *      non-RAM bytes WB);
 *   3. the legacy VGA window 0xA0000-0xBFFFF UC;
 *   4. every hypervisor range as a hole, widened outward to 4 KiB boundaries
 *      (never expose hypervisor bytes). */
enum e820_status e820_ept_ranges(const struct e820_entry *map, size_t count,
                                 const struct e820_region *hv, size_t hv_count,
                                 struct ept_range *out, size_t out_cap, size_t *out_count);

#define E820_VGA_START 0xA0000ull
#define E820_VGA_END   0xC0000ull

#endif /* E820_H */
