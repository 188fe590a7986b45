/* kernel/acpi.c on the host: a synthetic ACPI table set in a buffer that stands for
 * physical memory 0xE0000-0xFFFFF, shaped like QEMU's (RSDT, FADT with PM1a at 0x604,
 * DSDT with Name(\_S5, Package(4){...})), then broken one piece at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/acpi.h"

#define BASE 0xE0000u
static uint8_t mem[0x20000];
#define AT(pa) (mem + ((pa) - BASE))

#define RSDP 0xF0010u
#define RSDT 0xE1000u
#define XSDT 0xE2000u
#define FADT 0xE3000u
#define DSDT 0xE4000u
#define FADT_LEN 244u

static const void *map(uint64_t phys, uint64_t len, void *ctx)
{
    assert_ptr_equal(ctx, mem);
    if (phys < BASE || phys >= BASE + sizeof(mem) || len > BASE + sizeof(mem) - phys)
        return NULL;
    return AT(phys);
}

static void put32(uint32_t pa, uint32_t v) { memcpy(AT(pa), &v, 4); }
static void put64(uint32_t pa, uint64_t v) { memcpy(AT(pa), &v, 8); }
static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

/* Header of a system description table; fix_sum() once its body is written. */
static void sdt(uint32_t pa, const char *sig, uint32_t len)
{
    memcpy(AT(pa), sig, 4);
    put32(pa + 4, len);
    AT(pa)[8] = 2;
    memcpy(AT(pa) + 10, "VMXLAB", 6);
}
static void fix_sum(uint32_t pa)
{
    uint32_t len;
    memcpy(&len, AT(pa + 4), 4);
    AT(pa)[9] = 0;
    AT(pa)[9] = (uint8_t)-sum(AT(pa), len);
}

static void rsdp(uint32_t pa, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
    memcpy(AT(pa), "RSD PTR ", 8);
    memcpy(AT(pa) + 9, "VMXLAB", 6);
    AT(pa)[15] = rev;
    put32(pa + 16, rsdt);
    put32(pa + 20, 36);
    put64(pa + 24, xsdt);
    AT(pa)[8] = 0;
    AT(pa)[8] = (uint8_t)-sum(AT(pa), 20);
    AT(pa)[32] = 0;
    AT(pa)[32] = (uint8_t)-sum(AT(pa), 36);
}

/* QEMU's: Name (\_S5, Package (0x04) { Zero, Zero, Zero, Zero }), after other names */
static const uint8_t aml_qemu[] = {
    0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x04, 0x0A, 0x01, 0x0A, 0x01, 0x00, 0x00, /* Name(_S4_,...) */
    0x0D, '_', 'S', '5', '_', 0x00,                   /* a string "_S5_": not a name */
    0x08, 0x5C, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
};

static void dsdt(const uint8_t *aml, uint32_t n)
{
    sdt(DSDT, "DSDT", 36 + n);
    memcpy(AT(DSDT) + 36, aml, n);
    fix_sum(DSDT);
}

static void fadt(uint16_t pm1a, uint16_t pm1b)
{
    sdt(FADT, "FACP", FADT_LEN);
    put32(FADT + 40, DSDT);
    put32(FADT + 64, pm1a);
    put32(FADT + 68, pm1b);
    fix_sum(FADT);
}

/* QEMU-like: RSDP rev 0 -> RSDT {a decoy table, FACP} -> FADT -> DSDT */
static void build(void)
{
    memset(mem, 0, sizeof(mem));
    sdt(0xE5000, "APIC", 44);
    fix_sum(0xE5000);
    sdt(RSDT, "RSDT", 36 + 8);
    put32(RSDT + 36, 0xE5000);
    put32(RSDT + 40, FADT);
    fix_sum(RSDT);
    fadt(0x604, 0);
    dsdt(aml_qemu, sizeof(aml_qemu));
    rsdp(RSDP, 0, RSDT, 0);
}

/* ACPI 2.0+: an XSDT too, pointing at the same FADT */
static void build_xsdt(void)
{
    build();
    sdt(XSDT, "XSDT", 36 + 16);
    put64(XSDT + 36, 0xE5000);
    put64(XSDT + 44, FADT);
    fix_sum(XSDT);
    rsdp(RSDP, 2, RSDT, XSDT);
}

static struct acpi_s5 s5;
static char err[200];

static size_t rsdp_len = 36;
static bool find(void) { return acpi_find_s5(AT(RSDP), rsdp_len, map, mem, &s5, err, sizeof(err)); }
static void expect_error(const char *text)
{
    assert_false(find());
    assert_string_equal(err, text);
}

static void qemu_like_tables(void **state)
{
    (void)state;
    build();
    assert_true(acpi_rsdp_valid(AT(RSDP), 20));
    assert_true(find());
    assert_string_equal(s5.root, "RSDT");
    assert_int_equal(s5.fadt, FADT);
    assert_int_equal(s5.dsdt, DSDT);
    assert_string_equal(s5.s5_sig, "DSDT");
    assert_int_equal(s5.s5_table, DSDT);
    assert_int_equal(s5.pm1a_cnt, 0x604);
    assert_int_equal(s5.pm1b_cnt, 0);
    assert_int_equal(s5.slp_typa, 0);
    assert_int_equal(s5.slp_typb, 0);
}

static void xsdt_preferred(void **state)
{
    (void)state;
    build_xsdt();
    assert_true(acpi_rsdp_valid(AT(RSDP), 36));
    assert_true(find());
    assert_string_equal(s5.root, "XSDT");
    /* a 20-byte copy (multiboot2 'old' ACPI tag) has no XSDT address to follow */
    rsdp_len = 20;
    assert_true(find());
    assert_string_equal(s5.root, "RSDT");
    rsdp_len = 36;
    /* a broken XSDT falls back to the RSDT */
    AT(XSDT)[20] ^= 1;
    assert_true(find());
    assert_string_equal(s5.root, "RSDT");
}

static void x_fields_used(void **state)
{
    (void)state;
    build();
    /* real hardware: PM1a/PM1b control blocks, 64-bit DSDT address, typ 5 / 7 */
    static const uint8_t aml[] = {0x08, '_', 'S', '5', '_', 0x12, 0x0A, 0x04, 0x0A, 0x05, 0x0A, 0x07, 0x00, 0x00};
    uint32_t d2 = 0xE8000;
    sdt(d2, "DSDT", 36 + sizeof(aml));
    memcpy(AT(d2) + 36, aml, sizeof(aml));
    fix_sum(d2);
    fadt(0, 0);
    put64(FADT + 140, d2);
    AT(FADT + 172)[0] = 1; /* X_PM1a_CNT_BLK: system I/O, port 0x1804 */
    put64(FADT + 176, 0x1804);
    AT(FADT + 184)[0] = 1;
    put64(FADT + 188, 0x1844);
    fix_sum(FADT);
    assert_true(find());
    assert_int_equal(s5.dsdt, d2);
    assert_int_equal(s5.pm1a_cnt, 0x1804);
    assert_int_equal(s5.pm1b_cnt, 0x1844);
    assert_int_equal(s5.slp_typa, 5);
    assert_int_equal(s5.slp_typb, 7);
}

static void rsdp_checks(void **state)
{
    (void)state;
    build_xsdt();
    AT(RSDP)[9] ^= 0x20; /* breaks the 20-byte checksum */
    assert_false(acpi_rsdp_valid(AT(RSDP), 36));
    build_xsdt();
    AT(RSDP)[33] ^= 0x20; /* breaks only the extended checksum */
    assert_false(acpi_rsdp_valid(AT(RSDP), 36));
    assert_true(acpi_rsdp_valid(AT(RSDP), 20)); /* a v1 copy of 20 bytes cannot check it */
    build();
    AT(RSDP)[0] = 'X';
    assert_false(acpi_rsdp_valid(AT(RSDP), 20));
    assert_false(acpi_rsdp_valid(AT(RSDP), 19));
    assert_false(acpi_rsdp_valid(NULL, 36));
}

static void rsdp_scan(void **state)
{
    (void)state;
    build();
    assert_int_equal(acpi_rsdp_scan(AT(0xF0000), 0x10000), 0x10);
    /* only 16-byte boundaries count, and a bad checksum is passed over */
    memset(mem, 0, sizeof(mem));
    rsdp(0xF0008, 0, RSDT, 0);
    assert_int_equal(acpi_rsdp_scan(AT(0xE0000), 0x20000), -1);
    rsdp(0xF1000, 0, RSDT, 0);
    AT(0xF1000)[9] ^= 1;
    rsdp(0xFA020, 0, RSDT, 0);
    assert_int_equal(acpi_rsdp_scan(AT(0xE0000), 0x20000), 0x1A020);
    /* one that starts inside the area but would run past its end is not read */
    assert_int_equal(acpi_rsdp_scan(AT(0xFA020), 16), -1);
}

static void no_fadt(void **state)
{
    (void)state;
    build();
    put32(RSDT + 40, 0xE5000);
    fix_sum(RSDT);
    expect_error("no FACP entry in the RSDT");
    build_xsdt();
    put64(XSDT + 44, 0xE5000);
    fix_sum(XSDT);
    put32(RSDT + 36, 0x12345000); /* not reachable */
    put32(RSDT + 40, 0xE5000);
    fix_sum(RSDT);
    expect_error("no FACP entry in the XSDT; no FACP entry in the RSDT");
}

static void bad_root(void **state)
{
    (void)state;
    build();
    AT(RSDT + 30)[0] ^= 1;
    expect_error("RSDT at 0xe1000 fails its checksum");
    build();
    memcpy(AT(RSDT), "RSDX", 4);
    expect_error("table at 0xe1000 is 'RSDX', expected RSDT");
    build();
    put32(RSDT + 4, 0x10000000);
    expect_error("RSDT at 0xe1000 has a bad length 268435456");
    build();
    rsdp(RSDP, 0, 0x40000000, 0);
    expect_error("RSDT at 0x40000000 is not reachable");
}

static void bad_fadt(void **state)
{
    (void)state;
    build();
    AT(FADT + 100)[0] ^= 1;
    expect_error("FACP at 0xe3000 fails its checksum");
    build();
    fadt(0, 0);
    expect_error("FADT at 0xe3000 has no PM1a control block in I/O space (0x0)");
}

static void bad_dsdt(void **state)
{
    (void)state;
    build();
    AT(DSDT + 40)[0] ^= 1;
    expect_error("DSDT at 0xe4000 fails its checksum");
    build();
    static const uint8_t no_s5[] = {0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x04, 0x0A, 0x01, 0x0A, 0x01, 0x00, 0x00,
                                    0x14, 0x08, '_', 'S', '5', '_', 0x00, 0xA4, 0x00}; /* Method(_S5_): not a package */
    dsdt(no_s5, sizeof(no_s5));
    expect_error("no \\_S5 package in the DSDT at 0xe4000");
}

/* SeaBIOS's tables (Bochs without QEMU's fw_cfg): \_S5 only in an SSDT, after the FACP in the
 * RSDT; SLP_TYP 0 as on QEMU. ACPI 5.2.11.2: an SSDT continues the DSDT. */
#define SSDT 0xE6000u
#define SSDT2 0xE7000u
static const uint8_t no_s5_aml[] = {0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x04, 0x0A, 0x02, 0x0A, 0x02, 0x00, 0x00};
static void ssdt_at(uint32_t pa, const uint8_t *aml, uint32_t n)
{
    sdt(pa, "SSDT", 36 + n);
    memcpy(AT(pa) + 36, aml, n);
    fix_sum(pa);
}
static void build_seabios(void)
{
    static const uint8_t s5_five[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00};
    build();
    dsdt(no_s5_aml, sizeof(no_s5_aml));
    ssdt_at(SSDT, no_s5_aml, sizeof(no_s5_aml));   /* an SSDT without \_S5 first */
    ssdt_at(SSDT2, s5_five, sizeof(s5_five));
    sdt(RSDT, "RSDT", 36 + 16);
    put32(RSDT + 36, 0xE5000);
    put32(RSDT + 40, FADT);
    put32(RSDT + 44, SSDT);
    put32(RSDT + 48, SSDT2);
    fix_sum(RSDT);
}

static void s5_in_ssdt(void **state)
{
    (void)state;
    build_seabios();
    assert_true(find());
    assert_int_equal(s5.dsdt, DSDT);
    assert_string_equal(s5.s5_sig, "SSDT");
    assert_int_equal(s5.s5_table, SSDT2);
    assert_int_equal(s5.slp_typa, 5);
    assert_int_equal(s5.slp_typb, 5);
    /* an SSDT with a bad checksum is skipped, like any table that fails it */
    AT(SSDT2 + 40)[0] ^= 1;
    expect_error("no \\_S5 package in the DSDT at 0xe4000 nor in the 2 SSDTs");
    /* the DSDT's \_S5 comes first */
    build_seabios();
    dsdt(aml_qemu, sizeof(aml_qemu));
    assert_true(find());
    assert_string_equal(s5.s5_sig, "DSDT");
    assert_int_equal(s5.slp_typa, 0);
}

static void aml_forms(void **state)
{
    (void)state;
    uint8_t a = 9, b = 9;
    /* two-byte PkgLength, OneOp and WordPrefix elements */
    static const uint8_t two[] = {0x08, '_', 'S', '5', '_', 0x12, 0x40, 0x01, 0x02, 0x01, 0x0B, 0x06, 0x00};
    assert_true(acpi_aml_find_s5(two, sizeof(two), &a, &b));
    assert_int_equal(a, 1);
    assert_int_equal(b, 6);
    /* DWordPrefix, and a value wider than SLP_TYP's 3 bits */
    static const uint8_t dw[] = {0x08, '_', 'S', '5', '_', 0x12, 0x0C, 0x02, 0x0C, 0x0D, 0, 0, 0, 0x0A, 0x03};
    assert_true(acpi_aml_find_s5(dw, sizeof(dw), &a, &b));
    assert_int_equal(a, 5);
    assert_int_equal(b, 3);
    /* truncated inside the package, one element only, an unknown element opcode */
    assert_false(acpi_aml_find_s5(two, sizeof(two) - 2, &a, &b));
    static const uint8_t one[] = {0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0A, 0x05};
    assert_false(acpi_aml_find_s5(one, sizeof(one), &a, &b));
    static const uint8_t odd[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0D, 'x', 0x00, 0x00};
    assert_false(acpi_aml_find_s5(odd, sizeof(odd), &a, &b));
    assert_false(acpi_aml_find_s5(two, 5, &a, &b));
}

/* RESET_REG (FADT 116, GAS) and RESET_VALUE (128), used only with RESET_REG_SUP (flags bit 10) */
static void reset_reg(void **state)
{
    (void)state;
    build();
    assert_true(find());
    assert_int_equal(s5.reset_port, 0); /* QEMU-like FADT without the flag */
    AT(FADT + 116)[0] = 1;              /* system I/O */
    put64(FADT + 120, 0xCF9);
    AT(FADT + 128)[0] = 0x06;
    fix_sum(FADT);
    assert_true(find());
    assert_int_equal(s5.reset_port, 0); /* still no RESET_REG_SUP */
    put32(FADT + 112, 1u << 10);
    fix_sum(FADT);
    assert_true(find());
    assert_int_equal(s5.reset_port, 0xCF9);
    assert_int_equal(s5.reset_value, 0x06);
    AT(FADT + 116)[0] = 0;              /* system memory: not an I/O port */
    fix_sum(FADT);
    assert_true(find());
    assert_int_equal(s5.reset_port, 0);
    /* known even when the S5 search fails after the FADT */
    AT(FADT + 116)[0] = 1;
    fix_sum(FADT);
    AT(DSDT)[0] = 'X';
    assert_false(find());
    assert_int_equal(s5.reset_port, 0xCF9);
}

/* ---- MADT ---------------------------------------------------------------------------- */
#define MADT 0xE5000u
static struct acpi_madt md;
static char mderr[192];

static bool find_madt(void)
{
    uint8_t rev = AT(RSDP)[15];
    mderr[0] = 0;
    return acpi_find_madt(AT(RSDP), rev >= 2 ? 36 : 20, map, mem, &md, mderr, sizeof(mderr));
}

/* Bochs-like (its BIOS's acpi tables): two processors, one I/O APIC, an interrupt source
 * override (type 2, skipped); `extra` bytes of further entries appended by the caller. */
static uint32_t madt_bochs(const uint8_t *extra, uint32_t n)
{
    static const uint8_t body[] = {
        0, 8, 0, 0, 1, 0, 0, 0,                 /* Processor Local APIC: UID 0, APIC ID 0, enabled */
        0, 8, 1, 1, 1, 0, 0, 0,                 /* UID 1, APIC ID 1, enabled */
        1, 12, 2, 0, 0, 0, 0xC0, 0xFE, 0, 0, 0, 0, /* I/O APIC ID 2 at 0xFEC00000, GSI base 0 */
        2, 10, 0, 0, 2, 0, 0, 0, 0, 0,          /* Interrupt Source Override IRQ0 -> GSI 2 */
    };
    uint32_t len = 44 + sizeof(body) + n;
    sdt(MADT, "APIC", len);
    put32(MADT + 36, 0xFEE00000);
    put32(MADT + 40, 1);
    memcpy(AT(MADT) + 44, body, sizeof(body));
    if (n)
        memcpy(AT(MADT) + 44 + sizeof(body), extra, n);
    fix_sum(MADT);
    return len;
}

static void madt_two_cpus(void **state)
{
    (void)state;
    build();
    madt_bochs(NULL, 0);
    assert_true(find_madt());
    assert_int_equal(md.madt, MADT);
    assert_int_equal(md.lapic_addr, 0xFEE00000);
    assert_int_equal(md.flags, 1);
    assert_int_equal(md.cpu_count, 2);
    assert_int_equal(md.cpu_total, 2);
    assert_int_equal(md.cpu[0].apic_id, 0);
    assert_int_equal(md.cpu[1].apic_id, 1);
    assert_int_equal(md.cpu[1].uid, 1);
    assert_true(md.cpu[0].enabled && md.cpu[1].enabled);
    assert_false(md.cpu[1].x2apic);
    assert_int_equal(md.ioapic_count, 1);
    assert_int_equal(md.ioapic_id, 2);
    assert_int_equal(md.ioapic_addr, 0xFEC00000);
    assert_int_equal(md.ioapic_gsi_base, 0);
    /* also found through the XSDT, which holds the same table */
    build_xsdt();
    madt_bochs(NULL, 0);
    assert_true(find_madt());
    assert_int_equal(md.cpu_count, 2);
}

/* the flags (5.2.12.2 Table 5.23), an x2APIC entry, an address override, a second I/O APIC */
static void madt_flags_and_kinds(void **state)
{
    (void)state;
    static const uint8_t more[] = {
        0, 8, 2, 7, 0, 0, 0, 0,                 /* UID 2, APIC ID 7: disabled */
        0, 8, 3, 9, 2, 0, 0, 0,                 /* UID 3, APIC ID 9: online capable, not enabled */
        9, 16, 0, 0, 0x00, 0x01, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, /* x2APIC ID 256, enabled, UID 4 */
        1, 12, 3, 0, 0, 0x10, 0xC0, 0xFE, 24, 0, 0, 0, /* a second I/O APIC: counted, not kept */
        5, 12, 0, 0, 0, 0, 0xE0, 0xFE, 0, 0, 0, 0, /* Local APIC Address Override 0xFEE00000 */
    };
    build();
    madt_bochs(more, sizeof(more));
    put32(MADT + 36, 0x12345000);
    fix_sum(MADT);
    assert_true(find_madt());
    assert_int_equal(md.cpu_count, 5);
    assert_false(md.cpu[2].enabled);
    assert_int_equal(md.cpu[2].apic_id, 7);
    assert_false(md.cpu[3].enabled);
    assert_true(md.cpu[3].online_capable);
    assert_true(md.cpu[4].enabled);
    assert_true(md.cpu[4].x2apic);
    assert_int_equal(md.cpu[4].apic_id, 256);
    assert_int_equal(md.cpu[4].uid, 4);
    assert_int_equal(md.ioapic_count, 2);
    assert_int_equal(md.ioapic_id, 2);
    assert_int_equal(md.lapic_addr, 0xFEE00000); /* the override wins over the header's field */
}

/* more processors than vmxlab keeps: counted, the first ACPI_MAX_CPUS kept */
static void madt_many(void **state)
{
    (void)state;
    uint8_t more[8 * 20];
    for (unsigned i = 0; i < 20; i++) {
        uint8_t e[8] = {0, 8, (uint8_t)(i + 2), (uint8_t)(i + 2), 1, 0, 0, 0};
        memcpy(more + 8 * i, e, 8);
    }
    build();
    madt_bochs(more, sizeof(more));
    assert_true(find_madt());
    assert_int_equal(md.cpu_total, 22);
    assert_int_equal(md.cpu_count, ACPI_MAX_CPUS);
    assert_int_equal(md.cpu[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
}

static void madt_broken(void **state)
{
    (void)state;
    build(); /* the decoy: an empty MADT, no processors */
    assert_true(find_madt());
    assert_int_equal(md.cpu_count, 0);
    /* an entry running past the table's end */
    static const uint8_t bad[] = {0, 9, 0, 0, 1, 0, 0, 0};
    madt_bochs(bad, sizeof(bad));
    assert_false(find_madt());
    assert_non_null(strstr(mderr, "bad length"));
    /* an entry of length 0 would loop forever */
    static const uint8_t zero[] = {0, 0, 0, 0, 1, 0, 0, 0};
    madt_bochs(zero, sizeof(zero));
    assert_false(find_madt());
    /* checksum */
    madt_bochs(NULL, 0);
    AT(MADT)[50] ^= 1;
    assert_false(find_madt());
    assert_non_null(strstr(mderr, "checksum"));
    /* no MADT in the RSDT */
    build();
    put32(RSDT + 36, FADT);
    fix_sum(RSDT);
    assert_false(find_madt());
    assert_non_null(strstr(mderr, "no APIC (MADT) entry"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(qemu_like_tables),
        cmocka_unit_test(xsdt_preferred),
        cmocka_unit_test(x_fields_used),
        cmocka_unit_test(rsdp_checks),
        cmocka_unit_test(rsdp_scan),
        cmocka_unit_test(no_fadt),
        cmocka_unit_test(bad_root),
        cmocka_unit_test(bad_fadt),
        cmocka_unit_test(bad_dsdt),
        cmocka_unit_test(s5_in_ssdt),
        cmocka_unit_test(aml_forms),
        cmocka_unit_test(reset_reg),
        cmocka_unit_test(madt_two_cpus),
        cmocka_unit_test(madt_flags_and_kinds),
        cmocka_unit_test(madt_many),
        cmocka_unit_test(madt_broken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
