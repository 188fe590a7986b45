/* guest_walk.h - translate a guest linear address the way the guest's CPU would
 * (SDM Vol.3A chapter 4 "Paging"), for the exits where vmxlab must touch guest memory by
 * linear address: fetching an instruction to decode, the operand it names, a hypercall's
 * buffer.
 *
 * The walk is pure: the guest's paging registers come in a struct, and guest-physical
 * memory is reached through an accessor, so the host unit tests (tests/unit/test_guest_walk.c)
 * build page tables in a buffer. In vmxlab the accessor is the identity map below 4 GiB
 * (EPT is an identity map) and refuses vmxlab's own hidden memory.
 *
 * Paging modes (SDM 4.1.1, Table 4-1), chosen from CR0.PG, CR4.PAE, EFER.LMA, CR4.LA57:
 *   32-bit paging  (4.3): 2 levels of 4-byte entries; 4 MiB pages with CR4.PSE, PSE-36 bits.
 *   PAE paging     (4.4): 4 PDPTEs (the PDPTE registers: from the VMCS guest PDPTE fields,
 *                         SDM 26.3.2.4 / 24.4.2), then 2 levels of 8-byte entries; 2 MiB pages.
 *   4-level paging (4.5): PML4, PDPT (1 GiB pages), PD (2 MiB pages), PT.
 *   5-level paging (4.5): a PML5 above the PML4 (CR4.LA57).
 * Access rights (4.6): U/S with the CPL, SMEP and SMAP; R/W with CR0.WP; XD with EFER.NXE.
 * Reserved bits by MAXPHYADDR (Tables 4-6, 4-8..4-11, 4-14..4-20).
 * Accessed and dirty flags are set as the CPU sets them (4.8), on a successful walk only.
 * A failed walk gives the page fault the CPU would raise (4.7): error code and CR2.
 * Not modelled: protection keys (CR4.PKE/PKS; the walk does not see PKRU), HLAT, CET
 * shadow-stack pages. */
#ifndef VMX_GUEST_WALK_H
#define VMX_GUEST_WALK_H

#include <stdbool.h>
#include <stdint.h>

/* The guest's paging state. */
struct gw_cpu {
    uint64_t cr0, cr3, cr4, efer; /* efer: LMA and NXE matter */
    uint64_t pdpte[4];            /* PAE paging: the PDPTE registers (VMCS guest PDPTE0-3) */
    bool pdpte_loaded;            /* false: read the PDPTEs from memory at CR3 instead */
    unsigned cpl;                 /* 0..3 */
    bool rflags_ac;               /* RFLAGS.AC: SMAP allows explicit supervisor data accesses */
    unsigned maxphyaddr;          /* CPUID.80000008H:EAX[7:0] (36 if the leaf is absent) */
};

/* The kind of access (SDM 4.6). */
#define GW_WRITE (1u << 0)      /* a data write (else a read) */
#define GW_FETCH (1u << 1)      /* an instruction fetch */
#define GW_IMPLICIT (1u << 2)   /* an implicit supervisor access (descriptor tables, ...) */

/* Page-fault error code bits (SDM 4.7, Figure 4-12) */
#define PF_P (1u << 0)    /* 0: not present; 1: a protection or reserved-bit violation */
#define PF_WR (1u << 1)   /* the access was a write */
#define PF_US (1u << 2)   /* the access was a user-mode access */
#define PF_RSVD (1u << 3) /* a reserved bit was set in a paging-structure entry */
#define PF_ID (1u << 4)   /* an instruction fetch (with SMEP, or NXE under PAE/4-/5-level) */

/* Guest-physical memory: a pointer to the 8 (or 4) bytes at pa, or NULL when vmxlab will not
 * touch that address (its own memory, or no memory it can reach). */
struct gw_mem {
    void *ctx;
    void *(*map)(void *ctx, uint64_t pa, unsigned size);
};

enum gw_status {
    GW_OK = 0,
    GW_PAGE_FAULT,    /* the CPU would raise #PF: error_code, and CR2 = linear */
    GW_NONCANONICAL,  /* IA-32e mode: not canonical; the CPU raises #GP(0) (or #SS) (SDM 3.3.7.1) */
    GW_NO_MEMORY,     /* a paging structure lies where the accessor refused: no CPU rule applies */
};

struct gw_result {
    uint64_t pa;          /* GW_OK: the guest-physical address */
    uint64_t page_size;   /* GW_OK: 4 KiB, 2 MiB, 4 MiB or 1 GiB */
    uint32_t error_code;  /* GW_PAGE_FAULT: the #PF error code */
    uint64_t table_pa;    /* GW_NO_MEMORY: the entry the accessor refused */
    unsigned levels;      /* entries read (for the log) */
};

enum gw_mode { GW_MODE_NONE, GW_MODE_32, GW_MODE_PAE, GW_MODE_4LEVEL, GW_MODE_5LEVEL };
enum gw_mode gw_paging_mode(const struct gw_cpu *c);
const char *gw_mode_name(enum gw_mode m);

/* Translate one linear address for an access of the given kind (GW_* flags). Without paging
 * the linear address is the physical one (truncated to 32 bits outside IA-32e mode). */
enum gw_status gw_translate(const struct gw_cpu *c, const struct gw_mem *m, uint64_t linear,
                            unsigned access, struct gw_result *r);

/* English for a status, and the error code's bits ("P W U RSVD I/D" style) into buf. */
const char *gw_status_text(enum gw_status s);
void gw_describe_error(uint32_t error_code, char *buf, unsigned len);

#endif
