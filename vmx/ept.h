/*
 * ept.h - build and edit a 4-level EPT identity map (SDM Vol.3C 28.2.2,
 * Tables 28-1..28-6; EPTP: 24.6.11, Table 24-8).
 *
 * Table pages come from a caller-supplied allocator, so the same code runs in
 * the kernel (physical pages) and in host tests (a buffer).
 */
#ifndef EPT_H
#define EPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmx/vmx_defs.h"

#define EPT_PAGE_4K  0x1000ull
#define EPT_PAGE_2M  0x200000ull
#define EPT_PAGE_1G  0x40000000ull
#define EPT_GPA_LIMIT (1ull << 48)      /* 4-level EPT translates 48-bit GPAs */

/* alloc_page returns the physical address of a zeroed, 4 KiB-aligned page, or
 * 0 when out of memory; phys_to_virt makes such a page addressable. */
struct ept_alloc {
    void *ctx;
    uint64_t (*alloc_page)(void *ctx);
    void *(*phys_to_virt)(void *ctx, uint64_t pa);
};

/* A range [start, end) of guest-physical space, 4 KiB aligned. mem_type is an
 * EPT memory type (EPT_MT_UC, EPT_MT_WB, ...) or EPT_MEM_HOLE (not mapped).
 * When ranges overlap, the later one in the list wins: put general ranges
 * first and exceptions (holes, UC windows) after them. */
#define EPT_MEM_HOLE 0xFFu
struct ept_range {
    uint64_t start, end;
    uint8_t mem_type;
};

/* Flags for ept_build */
#define EPT_BUILD_ALLOW_2M   (1u << 0)   /* IA32_VMX_EPT_VPID_CAP bit 16 */
#define EPT_BUILD_ALLOW_1G   (1u << 1)   /* IA32_VMX_EPT_VPID_CAP bit 17 */

enum ept_status {
    EPT_OK = 0,
    EPT_ERR_NO_MEMORY,          /* the allocator returned 0 */
    EPT_ERR_ALIGNMENT,          /* a range or address not 4 KiB aligned */
    EPT_ERR_RANGE,              /* start >= end, or beyond EPT_GPA_LIMIT */
    EPT_ERR_MEM_TYPE,           /* not UC/WC/WT/WP/WB or hole (28.2.6) */
    EPT_ERR_NOT_MAPPED,         /* unmap of a page that is not mapped */
};

struct ept {
    struct ept_alloc alloc;
    uint64_t pml4_pa;           /* physical address of the PML4 table */
    unsigned table_pages;       /* table pages allocated, PML4 included */
};

/* What translates a guest-physical address (28.2.2) */
struct ept_leaf {
    uint64_t entry;             /* the leaf entry itself */
    uint64_t hpa;               /* host-physical address gpa translates to */
    uint64_t page_size;         /* EPT_PAGE_4K, EPT_PAGE_2M or EPT_PAGE_1G */
    unsigned level;             /* 1 = PTE, 2 = PDE, 3 = PDPTE */
    uint8_t perms;              /* EPT_READ | EPT_WRITE | EPT_EXECUTE bits */
    uint8_t mem_type;           /* bits 5:3 */
    bool ignore_pat;            /* bit 6 */
};

/* Allocate an empty PML4. */
enum ept_status ept_init(struct ept *ept, const struct ept_alloc *alloc);

/* Identity-map the ranges (read/write/execute) with the largest page that lies
 * wholly inside one memory type: 1 GiB or 2 MiB pages where allowed, 4 KiB pages
 * at the edges of holes and type changes. Call once on a fresh ept_init. */
enum ept_status ept_build(struct ept *ept, const struct ept_range *ranges, size_t count,
                          unsigned flags);

/* Map one 4 KiB page gpa -> hpa with the given permissions (EPT_RWX bits) and
 * memory type, splitting a 1 GiB or 2 MiB page around it when needed (the rest
 * of the large page keeps its mapping). Example: the APIC-access page. */
enum ept_status ept_map_4k(struct ept *ept, uint64_t gpa, uint64_t hpa, uint8_t perms,
                           uint8_t mem_type);

/* Remove the mapping of one 4 KiB page (splitting a large page if needed). */
enum ept_status ept_unmap_4k(struct ept *ept, uint64_t gpa);

/* Make every 4 KiB page of [start, end) a page-table entry of its own: split the large pages
 * over the range (each piece keeps the large page's mapping) and create page tables where
 * nothing is mapped yet (their entries not present). Allocates: call it at setup, so that
 * ept_pte_4k() can edit those entries later without allocating. */
enum ept_status ept_split_4k(struct ept *ept, uint64_t start, uint64_t end);

/* The page-table entry (Table 28-6) that maps gpa, to read or replace in place; 0 when gpa
 * is not mapped by a page table (no table for it, or a 1 GiB / 2 MiB page on the way:
 * ept_split_4k() first). Allocates nothing. After a change the caller must INVEPT (SDM
 * 28.3.3 "Invalidating Cached Translation Information"). */
uint64_t *ept_pte_4k(const struct ept *ept, uint64_t gpa);

/* Alias: point the 4 KiB pages of [dst, dst + size) at what [src, src + size) maps (each of
 * their page-table entries becomes a copy of its counterpart's: same host page, permissions
 * and memory type; a hole stays a hole), after saving the entries they had in saved[], one
 * per page; ept_restore_4k() puts them back. Both ranges must be split already
 * (ept_split_4k): nothing is allocated, so this can run at any time. The caller INVEPTs. */
enum ept_status ept_alias_4k(struct ept *ept, uint64_t dst, uint64_t src, uint64_t size, uint64_t *saved);
enum ept_status ept_restore_4k(struct ept *ept, uint64_t dst, uint64_t size, const uint64_t *saved);

/* Walk the tables for gpa. False when not mapped (an access would cause an EPT
 * violation). */
bool ept_lookup(const struct ept *ept, uint64_t gpa, struct ept_leaf *leaf);

/* EPTP for VMCS_EPT_POINTER: WB paging-structure memory type, walk length
 * 4 - 1, A/D flags if requested (24.6.11). The caller must check the
 * capabilities (WB EPTP, 4-level walk, A/D) first. */
uint64_t ept_make_eptp(uint64_t pml4_pa, bool enable_ad);

/* Table pages in use, the PML4 included. */
unsigned ept_table_pages(const struct ept *ept);

/* A leaf may use memory types 0, 1, 4, 5, 6 (28.2.6); others misconfigure. */
bool ept_mem_type_valid(uint8_t mem_type);

#endif /* EPT_H */
