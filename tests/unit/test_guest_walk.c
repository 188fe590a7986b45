/*
 * test_guest_walk.c - the guest page-table walk (vmx/guest_walk.c) over page tables built in
 * a host buffer that stands for guest-physical 0..1 MiB. Every expected error code is worked
 * out from SDM Vol.3A 4.6 (access rights) and 4.7 (Figure 4-12), not from the code.
 *
 * gcc -std=c11 -Wall -Wextra -Werror -I. tests/unit/test_guest_walk.c vmx/guest_walk.c -lcmocka
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "vmx/guest_walk.h"

#define MEM_SIZE 0x100000u
#define HIDDEN_START 0xF0000u /* the accessor refuses this (vmxlab's memory) */
static _Alignas(4096) uint8_t mem[MEM_SIZE];

static void *map(void *ctx, uint64_t pa, unsigned size)
{
    (void)ctx;
    if (pa + size > MEM_SIZE || pa + size > HIDDEN_START)
        return NULL;
    return mem + pa;
}
static const struct gw_mem M = {NULL, map};

static void put32(uint64_t pa, uint32_t v) { memcpy(mem + pa, &v, 4); }
static void put64(uint64_t pa, uint64_t v) { memcpy(mem + pa, &v, 8); }
static uint64_t get64(uint64_t pa) { uint64_t v; memcpy(&v, mem + pa, 8); return v; }
static uint32_t get32(uint64_t pa) { uint32_t v; memcpy(&v, mem + pa, 4); return v; }

#define P 1ull
#define RW 2ull
#define US 4ull
#define A 0x20ull
#define D 0x40ull
#define PS 0x80ull
#define XD (1ull << 63)
#define CR0_PG (1ull << 31)
#define CR0_WP (1ull << 16)
#define CR0_PE 1ull
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

static int setup(void **state)
{
    (void)state;
    memset(mem, 0, sizeof(mem));
    return 0;
}

static struct gw_cpu cpu32(void)
{
    return (struct gw_cpu){.cr0 = CR0_PG | CR0_PE | CR0_WP, .cr3 = 0x1000, .cr4 = CR4_PSE, .maxphyaddr = 36};
}

static enum gw_status tr(const struct gw_cpu *c, uint64_t linear, unsigned access, struct gw_result *r)
{
    return gw_translate(c, &M, linear, access, r);
}

/* expect a page fault with this error code */
static void expect_pf(const struct gw_cpu *c, uint64_t linear, unsigned access, uint32_t code)
{
    struct gw_result r;
    assert_int_equal(tr(c, linear, access, &r), GW_PAGE_FAULT);
    assert_int_equal(r.error_code, code);
}

static void expect_pa(const struct gw_cpu *c, uint64_t linear, unsigned access, uint64_t pa)
{
    struct gw_result r;
    assert_int_equal(tr(c, linear, access, &r), GW_OK);
    assert_int_equal(r.pa, pa);
}

/* ---- no paging ----------------------------------------------------------------------- */
static void test_no_paging(void **state)
{
    (void)state;
    struct gw_cpu c = {.cr0 = CR0_PE};
    expect_pa(&c, 0x123456789ull, 0, 0x23456789ull); /* 32-bit linear addresses */
    assert_int_equal(gw_paging_mode(&c), GW_MODE_NONE);
}

/* ---- 32-bit paging (SDM 4.3) --------------------------------------------------------- */
/* linear 0xFEC01234 -> PDE[0x3FB] -> PT at 0x2000 -> PTE[1] -> 0x5000 */
static void build32(uint32_t pde_flags, uint32_t pte_flags)
{
    put32(0x1000 + 4 * 0x3FB, 0x2000 | pde_flags);
    put32(0x2000 + 4 * 1, 0x5000 | pte_flags);
}

static void test_32bit_4k(void **state)
{
    (void)state;
    struct gw_cpu c = cpu32();
    build32(P | RW | US, P | RW | US);
    struct gw_result r;
    assert_int_equal(tr(&c, 0xFEC01234, 0, &r), GW_OK);
    assert_int_equal(r.pa, 0x5234);
    assert_int_equal(r.page_size, 4096);
    assert_int_equal(gw_paging_mode(&c), GW_MODE_32);
    /* SDM 4.8: a read sets A in both entries, D nowhere */
    assert_int_equal(get32(0x1000 + 4 * 0x3FB), 0x2000 | P | RW | US | A);
    assert_int_equal(get32(0x2004), 0x5000 | P | RW | US | A);
    /* a write sets D in the PTE only */
    assert_int_equal(tr(&c, 0xFEC01234, GW_WRITE, &r), GW_OK);
    assert_int_equal(get32(0x2004), 0x5000 | P | RW | US | A | D);
    assert_int_equal(get32(0x1000 + 4 * 0x3FB), 0x2000 | P | RW | US | A);
    /* the high 32 bits of the linear address are ignored outside IA-32e mode */
    expect_pa(&c, 0x1FEC01234ull, 0, 0x5234);
}

static void test_32bit_not_present(void **state)
{
    (void)state;
    struct gw_cpu c = cpu32();
    expect_pf(&c, 0xFEC01234, 0, 0);                 /* PDE not present, supervisor read */
    build32(P | RW | US, RW | US);                   /* PTE not present */
    expect_pf(&c, 0xFEC01234, GW_WRITE, PF_WR);
    c.cpl = 3;
    expect_pf(&c, 0xFEC01234, GW_WRITE, PF_WR | PF_US);
    /* a fault sets no accessed flag */
    assert_int_equal(get32(0x1000 + 4 * 0x3FB), 0x2000 | P | RW | US);
}

static void test_32bit_rights(void **state)
{
    (void)state;
    struct gw_cpu c = cpu32();
    build32(P | RW, P | US);                         /* supervisor at the PDE, read-only at the PTE */
    expect_pa(&c, 0xFEC01234, 0, 0x5234);            /* supervisor read: fine */
    expect_pf(&c, 0xFEC01234, GW_WRITE, PF_P | PF_WR); /* CR0.WP=1: no supervisor write to read-only */
    c.cr0 &= ~CR0_WP;
    expect_pa(&c, 0xFEC01234, GW_WRITE, 0x5234);     /* CR0.WP=0: supervisor writes anything */
    c.cpl = 3;
    expect_pf(&c, 0xFEC01234, 0, PF_P | PF_US);      /* user read of a supervisor page */
    build32(P | RW | US, P | US);
    expect_pa(&c, 0xFEC01234, 0, 0x5234);
    expect_pf(&c, 0xFEC01234, GW_WRITE, PF_P | PF_WR | PF_US); /* user write: read-only even with WP=0 */
    /* an implicit supervisor access at CPL 3 is a supervisor access (U/S clear in the code) */
    build32(P | RW, P | RW);
    expect_pa(&c, 0xFEC01234, GW_IMPLICIT, 0x5234);
    /* no XD in 32-bit paging: a fetch from a supervisor page at CPL 0 works, and I/D needs SMEP */
    c.cpl = 0;
    c.efer = EFER_NXE;
    expect_pa(&c, 0xFEC01234, GW_FETCH, 0x5234);
    c.cpl = 3;
    expect_pf(&c, 0xFEC01234, GW_FETCH, PF_P | PF_US); /* no I/D: neither SMEP nor PAE */
    c.cr4 |= CR4_SMEP;
    expect_pf(&c, 0xFEC01234, GW_FETCH, PF_P | PF_US | PF_ID);
}

static void test_32bit_4m_and_pse36(void **state)
{
    (void)state;
    struct gw_cpu c = cpu32();
    put32(0x1000 + 4 * 0x3FB, 0xFEC00000u | P | RW | PS);
    struct gw_result r;
    assert_int_equal(tr(&c, 0xFEC01234, 0, &r), GW_OK);
    assert_int_equal(r.pa, 0xFEC01234ull);
    assert_int_equal(r.page_size, 4u << 20);
    /* PSE-36: PDE bits 16:13 are physical bits 35:32 */
    put32(0x1000 + 4 * 0x3FB, 0xFEC00000u | (0x5u << 13) | P | RW | PS);
    expect_pa(&c, 0xFEC01234, 0, 0x5FEC01234ull);
    /* bit 17 is physical bit 36: reserved with MAXPHYADDR 36 (Table 4-4), fine with 40 */
    put32(0x1000 + 4 * 0x3FB, 0xFEC00000u | (0x10u << 13) | P | RW | PS);
    expect_pf(&c, 0xFEC01234, 0, PF_P | PF_RSVD);
    c.maxphyaddr = 40;
    expect_pa(&c, 0xFEC01234, 0, 0x10FEC01234ull);
    /* bit 21 is always reserved */
    put32(0x1000 + 4 * 0x3FB, 0xFEC00000u | (1u << 21) | P | RW | PS);
    expect_pf(&c, 0xFEC01234, GW_WRITE, PF_P | PF_RSVD | PF_WR);
    /* CR4.PSE=0: PS is ignored, the PDE points at a page table */
    c.cr4 = 0;
    put32(0x1000 + 4 * 0x3FB, 0x2000 | P | RW | PS);
    put32(0x2004, 0x7000 | P | RW);
    expect_pa(&c, 0xFEC01234, 0, 0x7234);
}

/* ---- PAE paging (SDM 4.4) ------------------------------------------------------------ */
/* linear 0xFEE00ABC: PDPTE 3 -> PD at 0x3000, PDE[0x1F7] -> PT at 0x4000, PTE[0] -> 0x9000 */
static struct gw_cpu cpu_pae(void)
{
    struct gw_cpu c = {.cr0 = CR0_PG | CR0_PE | CR0_WP, .cr3 = 0x1020, .cr4 = CR4_PAE, .maxphyaddr = 36};
    c.pdpte[3] = 0x3000 | P;
    c.pdpte_loaded = true;
    return c;
}

static void test_pae(void **state)
{
    (void)state;
    struct gw_cpu c = cpu_pae();
    put64(0x3000 + 8 * 0x1F7, 0x4000 | P | RW);
    put64(0x4000, 0x9000 | P | RW);
    expect_pa(&c, 0xFEE00ABC, GW_WRITE, 0x9ABC);
    assert_int_equal(gw_paging_mode(&c), GW_MODE_PAE);
    assert_int_equal(get64(0x4000), 0x9000 | P | RW | A | D);
    assert_int_equal(get64(0x3000 + 8 * 0x1F7), 0x4000 | P | RW | A);
    /* PDPTE 3 not present */
    c.pdpte[3] = 0x3000;
    expect_pf(&c, 0xFEE00ABC, 0, 0);
    /* reserved bits in a PDPTE: R/W (bit 1) is reserved in PAE paging (Table 4-8) */
    c.pdpte[3] = 0x3000 | P | RW;
    expect_pf(&c, 0xFEE00ABC, 0, PF_P | PF_RSVD);
    /* the PDPTEs come from memory at CR3[31:5] when the caller has no registers */
    c = cpu_pae();
    c.pdpte_loaded = false;
    put64(0x1020 + 8 * 3, 0x3000 | P);
    expect_pa(&c, 0xFEE00ABC, 0, 0x9ABC);
    /* 2 MiB page; bits 20:13 reserved (Table 4-10) */
    put64(0x3000 + 8 * 0x1F7, 0xFEE00000ull | P | RW | PS);
    expect_pa(&c, 0xFEE00ABC, 0, 0xFEE00ABCull);
    put64(0x3000 + 8 * 0x1F7, 0xFEE00000ull | (1ull << 13) | P | RW | PS);
    expect_pf(&c, 0xFEE00ABC, 0, PF_P | PF_RSVD);
    /* physical bit 36 with MAXPHYADDR 36 */
    put64(0x3000 + 8 * 0x1F7, 0x4000 | P | RW);
    put64(0x4000, (1ull << 36) | 0x9000 | P | RW);
    expect_pf(&c, 0xFEE00ABC, 0, PF_P | PF_RSVD);
}

static void test_pae_xd(void **state)
{
    (void)state;
    struct gw_cpu c = cpu_pae();
    put64(0x3000 + 8 * 0x1F7, 0x4000 | P | RW);
    put64(0x4000, XD | 0x9000 | P | RW);
    /* XD without EFER.NXE: bit 63 is reserved */
    expect_pf(&c, 0xFEE00ABC, 0, PF_P | PF_RSVD);
    c.efer = EFER_NXE;
    expect_pa(&c, 0xFEE00ABC, 0, 0x9ABC);            /* reads are not affected by XD */
    expect_pf(&c, 0xFEE00ABC, GW_FETCH, PF_P | PF_ID);
    put64(0x4000, 0x9000 | P | RW);
    expect_pa(&c, 0xFEE00ABC, GW_FETCH, 0x9ABC);
    /* a not-present fetch with NXE under PAE: I/D set */
    put64(0x4000, 0);
    expect_pf(&c, 0xFEE00ABC, GW_FETCH, PF_ID);
}

/* ---- 4-level and 5-level paging (SDM 4.5) --------------------------------------------- */
/* linear 0xFFFFFFFFFF5FB0B0 (a Linux fixmap address): PML4[511] -> 0x2000, PDPT[511] ->
 * 0x3000, PD[506] -> 0x4000, PT[0x1FB] -> 0xFEE00000 */
#define FIXMAP 0xFFFFFFFFFF5FB0B0ull
static struct gw_cpu cpu64(void)
{
    return (struct gw_cpu){.cr0 = CR0_PG | CR0_PE | CR0_WP, .cr3 = 0x1000, .cr4 = CR4_PAE,
                           .efer = EFER_LME | EFER_LMA | EFER_NXE, .maxphyaddr = 40};
}

static void build64(void)
{
    put64(0x1000 + 8 * 511, 0x2000 | P | RW);
    put64(0x2000 + 8 * 511, 0x3000 | P | RW);
    put64(0x3000 + 8 * 506, 0x4000 | P | RW);
    put64(0x4000 + 8 * 0x1FB, 0xFEE00000ull | XD | P | RW);
}

static void test_4level_4k(void **state)
{
    (void)state;
    struct gw_cpu c = cpu64();
    build64();
    struct gw_result r;
    assert_int_equal(tr(&c, FIXMAP, GW_WRITE, &r), GW_OK);
    assert_int_equal(r.pa, 0xFEE000B0ull);
    assert_int_equal(r.levels, 4);
    assert_int_equal(gw_paging_mode(&c), GW_MODE_4LEVEL);
    assert_int_equal(get64(0x1000 + 8 * 511), 0x2000 | P | RW | A);
    assert_int_equal(get64(0x4000 + 8 * 0x1FB), 0xFEE00000ull | XD | P | RW | A | D);
    expect_pf(&c, FIXMAP, GW_FETCH, PF_P | PF_ID);       /* XD */
    c.cpl = 3;
    expect_pf(&c, FIXMAP, 0, PF_P | PF_US);              /* supervisor page */
    /* CR3 bits 11:0 (PCID) are not part of the address */
    c = cpu64();
    c.cr3 = 0x1005;
    expect_pa(&c, FIXMAP, 0, 0xFEE000B0ull);
    /* not present at each level */
    put64(0x3000 + 8 * 506, 0);
    expect_pf(&c, FIXMAP, 0, 0);
    put64(0x1000 + 8 * 511, 0);
    expect_pf(&c, FIXMAP, GW_WRITE, PF_WR);
}

static void test_4level_large(void **state)
{
    (void)state;
    struct gw_cpu c = cpu64();
    /* 1 GiB page at linear 0x40000000 -> 0x80000000 */
    put64(0x1000, 0x2000 | P | RW | US);
    put64(0x2000 + 8 * 1, 0x80000000ull | P | RW | US | PS);
    struct gw_result r;
    assert_int_equal(tr(&c, 0x40123456, 0, &r), GW_OK);
    assert_int_equal(r.pa, 0x80123456ull);
    assert_int_equal(r.page_size, 1ull << 30);
    /* bits 29:13 of a 1 GiB PDPTE are reserved (Table 4-16) */
    put64(0x2000 + 8 * 1, 0x80000000ull | (1ull << 21) | P | RW | US | PS);
    expect_pf(&c, 0x40123456, 0, PF_P | PF_RSVD);
    /* 2 MiB page at linear 0x200000 -> 0x600000 */
    put64(0x2000, 0x3000 | P | RW | US);
    put64(0x3000 + 8 * 1, 0x600000 | P | RW | US | PS);
    assert_int_equal(tr(&c, 0x212345, GW_WRITE, &r), GW_OK);
    assert_int_equal(r.pa, 0x612345);
    assert_int_equal(r.page_size, 2u << 20);
    assert_int_equal(get64(0x3008), 0x600000 | P | RW | US | PS | A | D);
    /* PS in a PML4E is reserved */
    put64(0x1000, 0x2000 | P | RW | US | PS);
    expect_pf(&c, 0x212345, 0, PF_P | PF_RSVD);
    /* bits above MAXPHYADDR (40) in a PDE */
    put64(0x1000, 0x2000 | P | RW | US);
    put64(0x3000 + 8 * 1, (1ull << 40) | 0x600000 | P | RW | US | PS);
    expect_pf(&c, 0x212345, 0, PF_P | PF_RSVD);
    c.maxphyaddr = 46;
    expect_pa(&c, 0x212345, 0, (1ull << 40) | 0x612345);
    /* bits 62:52 are ignored, not reserved */
    put64(0x3000 + 8 * 1, (1ull << 55) | 0x600000 | P | RW | US | PS);
    expect_pa(&c, 0x212345, 0, 0x612345);
}

static void test_4level_canonical(void **state)
{
    (void)state;
    struct gw_cpu c = cpu64();
    build64();
    struct gw_result r;
    assert_int_equal(tr(&c, 0x0000800000000000ull, 0, &r), GW_NONCANONICAL);
    assert_int_equal(tr(&c, 0xFFFF7FFFFFFFFFFFull, 0, &r), GW_NONCANONICAL);
    /* with LA57 the same address is canonical */
    c.cr4 |= CR4_LA57;
    assert_int_equal(tr(&c, 0x0000800000000000ull, 0, &r), GW_PAGE_FAULT);
}

static void test_5level(void **state)
{
    (void)state;
    struct gw_cpu c = cpu64();
    c.cr4 |= CR4_LA57;
    c.cr3 = 0x5000;
    put64(0x5000 + 8 * 511, 0x1000 | P | RW); /* PML5[511] -> the PML4 of build64 */
    build64();
    struct gw_result r;
    assert_int_equal(tr(&c, FIXMAP, 0, &r), GW_OK);
    assert_int_equal(r.pa, 0xFEE000B0ull);
    assert_int_equal(r.levels, 5);
    assert_int_equal(gw_paging_mode(&c), GW_MODE_5LEVEL);
    put64(0x5000 + 8 * 511, 0x1000 | P | RW | PS); /* PS reserved in a PML5E */
    expect_pf(&c, FIXMAP, 0, PF_P | PF_RSVD);
}

/* ---- SMEP and SMAP (SDM 4.6.1) ------------------------------------------------------- */
static void test_smep_smap(void **state)
{
    (void)state;
    struct gw_cpu c = cpu64();
    put64(0x1000, 0x2000 | P | RW | US);
    put64(0x2000, 0x3000 | P | RW | US);
    put64(0x3000, 0x4000 | P | RW | US);
    put64(0x4000 + 8 * 5, 0x8000 | P | RW | US); /* linear 0x5000: a user page */
    expect_pa(&c, 0x5010, GW_FETCH, 0x8010);     /* no SMEP: a supervisor fetch from it works */
    c.cr4 |= CR4_SMEP;
    expect_pf(&c, 0x5010, GW_FETCH, PF_P | PF_ID);
    expect_pa(&c, 0x5010, GW_WRITE, 0x8010);     /* SMEP is only about fetches */
    c.cr4 |= CR4_SMAP;
    expect_pf(&c, 0x5010, 0, PF_P);              /* SMAP, AC=0: no supervisor read */
    expect_pf(&c, 0x5010, GW_WRITE, PF_P | PF_WR);
    c.rflags_ac = true;
    expect_pa(&c, 0x5010, 0, 0x8010);            /* AC=1: explicit accesses allowed */
    expect_pf(&c, 0x5010, GW_IMPLICIT, PF_P);    /* implicit ones never */
    c.cpl = 3;
    expect_pa(&c, 0x5010, GW_FETCH, 0x8010);     /* user fetches are not SMEP's business */
    /* a user page read-only: supervisor write with WP=0 and SMAP AC=1 works, WP=1 does not */
    put64(0x4000 + 8 * 5, 0x8000 | P | US);
    c.cpl = 0;
    expect_pf(&c, 0x5010, GW_WRITE, PF_P | PF_WR);
    c.cr0 &= ~CR0_WP;
    expect_pa(&c, 0x5010, GW_WRITE, 0x8010);
}

/* ---- the accessor refuses a paging structure ------------------------------------------ */
static void test_no_memory(void **state)
{
    (void)state;
    struct gw_cpu c = cpu64();
    put64(0x1000, 0xF1000 | P | RW); /* the PDPT lies in the "hidden" memory */
    struct gw_result r;
    assert_int_equal(tr(&c, 0x1234, 0, &r), GW_NO_MEMORY);
    assert_int_equal(r.table_pa, 0xF1000);
    c.cr3 = 0x200000;                /* beyond the memory */
    assert_int_equal(tr(&c, 0x1234, 0, &r), GW_NO_MEMORY);
}

static void test_describe(void **state)
{
    (void)state;
    char buf[80];
    gw_describe_error(PF_P | PF_WR | PF_US, buf, sizeof(buf));
    assert_string_equal(buf, "protection write user");
    gw_describe_error(PF_ID, buf, sizeof(buf));
    assert_string_equal(buf, "not-present read supervisor fetch");
    gw_describe_error(PF_P | PF_RSVD, buf, 12);
    assert_string_equal(buf, "protection ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_paging, setup),
        cmocka_unit_test_setup(test_32bit_4k, setup),
        cmocka_unit_test_setup(test_32bit_not_present, setup),
        cmocka_unit_test_setup(test_32bit_rights, setup),
        cmocka_unit_test_setup(test_32bit_4m_and_pse36, setup),
        cmocka_unit_test_setup(test_pae, setup),
        cmocka_unit_test_setup(test_pae_xd, setup),
        cmocka_unit_test_setup(test_4level_4k, setup),
        cmocka_unit_test_setup(test_4level_large, setup),
        cmocka_unit_test_setup(test_4level_canonical, setup),
        cmocka_unit_test_setup(test_5level, setup),
        cmocka_unit_test_setup(test_smep_smap, setup),
        cmocka_unit_test_setup(test_no_memory, setup),
        cmocka_unit_test_setup(test_describe, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
