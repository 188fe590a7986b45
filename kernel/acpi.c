/* ACPI table walk for S5 soft-off. Pure logic: no kernel services but snprintf. */
#include "kernel/acpi.h"
#include "kernel/lib.h"

#define SDT_HEADER 36             /* ACPI 5.2.6: signature .. creator revision */
#define SDT_MAX (4u << 20)        /* refuse a table that claims more than 4 MiB */

/* FADT field offsets (ACPI 6.5 Table 5.9) */
#define FADT_DSDT 40
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1B_CNT_BLK 68
#define FADT_FLAGS 112
#define FADT_RESET_REG 116        /* GAS: space id, bit width, bit offset, access size, address */
#define FADT_RESET_VALUE 128
#define FADT_FLAG_RESET_REG_SUP (1u << 10)
#define FADT_X_DSDT 140
#define FADT_X_PM1A_CNT_BLK 172   /* Generic Address Structures, 12 bytes (5.2.3.2) */
#define FADT_X_PM1B_CNT_BLK 184
#define GAS_SYSTEM_IO 1

/* AML opcodes (ACPI 6.5 20.2) */
#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0A
#define AML_WORD 0x0B
#define AML_DWORD 0x0C
#define AML_PACKAGE 0x12
#define AML_ROOT 0x5C
#define AML_ONES 0xFF

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

bool acpi_rsdp_valid(const void *p, size_t avail)
{
    const uint8_t *r = p;
    if (!r || avail < 20 || memcmp(r, "RSD PTR ", 8) || sum(r, 20))
        return false;
    if (r[15] >= 2 && avail >= 36) { /* ACPI 2.0+: 36 bytes, extended checksum */
        uint32_t len = rd32(r + 20);
        if (len < 36 || len > avail || sum(r, len))
            return false;
    }
    return true;
}

long acpi_rsdp_scan(const void *area, size_t len)
{
    const uint8_t *a = area;
    for (size_t off = 0; off + 20 <= len; off += 16)
        if (acpi_rsdp_valid(a + off, len - off))
            return (long)off;
    return -1;
}

/* A whole table at phys with the given signature and a good checksum, or NULL (why in err). */
static const uint8_t *table(acpi_map_fn map, void *ctx, uint64_t phys, const char *sig, char *err, size_t errlen)
{
    const uint8_t *h = phys ? map(phys, SDT_HEADER, ctx) : 0;
    if (!h) {
        snprintf(err, errlen, "%s at 0x%llx is not reachable", sig, (unsigned long long)phys);
        return 0;
    }
    if (memcmp(h, sig, 4)) {
        snprintf(err, errlen, "table at 0x%llx is '%c%c%c%c', expected %s", (unsigned long long)phys, h[0], h[1],
                 h[2], h[3], sig);
        return 0;
    }
    uint32_t len = rd32(h + 4);
    const uint8_t *t = len >= SDT_HEADER && len <= SDT_MAX ? map(phys, len, ctx) : 0;
    if (!t) {
        snprintf(err, errlen, "%s at 0x%llx has a bad length %u", sig, (unsigned long long)phys, len);
        return 0;
    }
    if (sum(t, len)) {
        snprintf(err, errlen, "%s at 0x%llx fails its checksum", sig, (unsigned long long)phys);
        return 0;
    }
    return t;
}

/* The physical address of the first entry with signature `sig` in a root table whose
 * entries are `esize` bytes (RSDT 4, XSDT 8), or 0. */
static uint64_t root_entry(acpi_map_fn map, void *ctx, const uint8_t *root, unsigned esize, const char *sig)
{
    uint32_t n = (rd32(root + 4) - SDT_HEADER) / esize;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = root + SDT_HEADER + i * esize;
        uint64_t pa = esize == 8 ? rd64(e) : rd32(e);
        const uint8_t *h = pa ? map(pa, SDT_HEADER, ctx) : 0;
        if (h && !memcmp(h, sig, 4))
            return pa;
    }
    return 0;
}

static uint64_t fadt_entry(acpi_map_fn map, void *ctx, const uint8_t *root, unsigned esize)
{
    return root_entry(map, ctx, root, esize, "FACP");
}

/* An integer data object in a package (20.2.3); advances *p. */
static bool aml_integer(const uint8_t **p, const uint8_t *end, uint8_t *v)
{
    const uint8_t *a = *p;
    if (a >= end)
        return false;
    switch (*a) {
    case AML_ZERO: *v = 0; *p = a + 1; return true;
    case AML_ONE: *v = 1; *p = a + 1; return true;
    case AML_ONES: *v = 0xFF; *p = a + 1; return true;
    case AML_BYTE: if (end - a < 2) return false; *v = a[1]; *p = a + 2; return true;
    case AML_WORD: if (end - a < 3) return false; *v = a[1]; *p = a + 3; return true;
    case AML_DWORD: if (end - a < 5) return false; *v = a[1]; *p = a + 5; return true;
    default: return false;
    }
}

bool acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *typa, uint8_t *typb)
{
    const uint8_t *end = aml + len;
    for (size_t i = 1; i + 4 < len; i++) {
        if (memcmp(aml + i, "_S5_", 4))
            continue;
        /* DefName := NameOp NameString; the name may carry the root prefix '\' */
        bool named = aml[i - 1] == AML_NAME || (i >= 2 && aml[i - 1] == AML_ROOT && aml[i - 2] == AML_NAME);
        if (!named || aml[i + 4] != AML_PACKAGE)
            continue;
        const uint8_t *p = aml + i + 5;
        if (p >= end)
            return false;
        p += 1 + (*p >> 6); /* PkgLength: bits 7:6 count the extra bytes (20.2.4) */
        if (p >= end || *p < 2) /* NumElements: SLP_TYPa and SLP_TYPb at least */
            return false;
        p++;
        uint8_t a, b;
        if (!aml_integer(&p, end, &a) || !aml_integer(&p, end, &b))
            return false;
        *typa = a & 7;
        *typb = b & 7;
        return true;
    }
    return false;
}

/* \_S5 in an SSDT the root table lists (ACPI 6.5 5.2.11.2 "Secondary System Description
 * Table (SSDT)": SSDTs are a continuation of the DSDT, so a name may live in either).
 * SeaBIOS without QEMU's fw_cfg (Bochs with --bios seabios) names \_S5 in its SSDT only.
 * *count: the SSDTs seen. */
static bool s5_in_ssdts(acpi_map_fn map, void *ctx, const uint8_t *root, unsigned esize, struct acpi_s5 *out,
                        unsigned *count)
{
    uint32_t n = (rd32(root + 4) - SDT_HEADER) / esize;
    char why[96];
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = root + SDT_HEADER + i * esize;
        uint64_t pa = esize == 8 ? rd64(e) : rd32(e);
        const uint8_t *h = pa ? map(pa, SDT_HEADER, ctx) : 0;
        if (!h || memcmp(h, "SSDT", 4))
            continue;
        (*count)++;
        const uint8_t *t = table(map, ctx, pa, "SSDT", why, sizeof(why));
        if (t && acpi_aml_find_s5(t + SDT_HEADER, rd32(t + 4) - SDT_HEADER, &out->slp_typa, &out->slp_typb)) {
            out->s5_table = pa;
            out->s5_sig = "SSDT";
            return true;
        }
    }
    return false;
}

bool acpi_find_s5(const void *rsdp, size_t rsdp_len, acpi_map_fn map, void *ctx, struct acpi_s5 *out, char *err, size_t errlen)
{
    const uint8_t *r = rsdp, *root = 0;
    unsigned esize = 0;
    char xwhy[96] = "", rwhy[96] = "";
    uint64_t fadt_pa = 0;
    *out = (struct acpi_s5){0};
    /* ACPI 2.0+ prefers the XSDT; the RSDT is still there for older readers */
    if (r[15] >= 2 && rsdp_len >= 36 && rd64(r + 24)) {
        const uint8_t *x = table(map, ctx, rd64(r + 24), "XSDT", xwhy, sizeof(xwhy));
        if (x && !(fadt_pa = fadt_entry(map, ctx, x, 8)))
            snprintf(xwhy, sizeof(xwhy), "no FACP entry in the XSDT");
        out->root = "XSDT";
        root = x, esize = 8;
    }
    if (!fadt_pa) {
        const uint8_t *rs = table(map, ctx, rd32(r + 16), "RSDT", rwhy, sizeof(rwhy));
        if (rs && !(fadt_pa = fadt_entry(map, ctx, rs, 4)))
            snprintf(rwhy, sizeof(rwhy), "no FACP entry in the RSDT");
        out->root = "RSDT";
        root = rs, esize = 4;
    }
    if (!fadt_pa) {
        snprintf(err, errlen, "%s%s%s", xwhy, xwhy[0] ? "; " : "", rwhy);
        return false;
    }
    out->fadt = fadt_pa;
    const uint8_t *fadt = table(map, ctx, fadt_pa, "FACP", err, errlen);
    if (!fadt)
        return false;
    uint32_t flen = rd32(fadt + 4);
    if (flen > FADT_RESET_VALUE && (rd32(fadt + FADT_FLAGS) & FADT_FLAG_RESET_REG_SUP) &&
        fadt[FADT_RESET_REG] == GAS_SYSTEM_IO && rd64(fadt + FADT_RESET_REG + 4) &&
        rd64(fadt + FADT_RESET_REG + 4) <= 0xFFFF) {
        out->reset_port = (uint16_t)rd64(fadt + FADT_RESET_REG + 4);
        out->reset_value = fadt[FADT_RESET_VALUE];
    }
    /* read only what the FADT's length covers: table() accepts any length from 36 */
    out->dsdt = flen >= FADT_X_DSDT + 8 && rd64(fadt + FADT_X_DSDT) ? rd64(fadt + FADT_X_DSDT)
              : flen >= FADT_DSDT + 4 ? rd32(fadt + FADT_DSDT) : 0;
    uint64_t a = flen >= FADT_PM1B_CNT_BLK + 4 ? rd32(fadt + FADT_PM1A_CNT_BLK) : 0;
    uint64_t b = flen >= FADT_PM1B_CNT_BLK + 4 ? rd32(fadt + FADT_PM1B_CNT_BLK) : 0;
    if (!a && flen >= FADT_X_PM1B_CNT_BLK + 12 && fadt[FADT_X_PM1A_CNT_BLK] == GAS_SYSTEM_IO) {
        a = rd64(fadt + FADT_X_PM1A_CNT_BLK + 4);
        b = fadt[FADT_X_PM1B_CNT_BLK] == GAS_SYSTEM_IO ? rd64(fadt + FADT_X_PM1B_CNT_BLK + 4) : 0;
    }
    if (!a || a > 0xFFFF || b > 0xFFFF) {
        snprintf(err, errlen, "FADT at 0x%llx has no PM1a control block in I/O space (0x%llx)",
                 (unsigned long long)out->fadt, (unsigned long long)a);
        return false;
    }
    out->pm1a_cnt = (uint16_t)a;
    out->pm1b_cnt = (uint16_t)b;
    const uint8_t *dsdt = table(map, ctx, out->dsdt, "DSDT", err, errlen);
    if (!dsdt)
        return false;
    if (acpi_aml_find_s5(dsdt + SDT_HEADER, rd32(dsdt + 4) - SDT_HEADER, &out->slp_typa, &out->slp_typb)) {
        out->s5_table = out->dsdt;
        out->s5_sig = "DSDT";
        return true;
    }
    unsigned ssdts = 0;
    if (s5_in_ssdts(map, ctx, root, esize, out, &ssdts))
        return true;
    if (ssdts)
        snprintf(err, errlen, "no \\_S5 package in the DSDT at 0x%llx nor in the %u SSDT%s",
                 (unsigned long long)out->dsdt, ssdts, ssdts == 1 ? "" : "s");
    else
        snprintf(err, errlen, "no \\_S5 package in the DSDT at 0x%llx", (unsigned long long)out->dsdt);
    return false;
}

/* ---- MADT (ACPI 6.5 5.2.12 "Multiple APIC Description Table") ---------------------------- */
#define MADT_LAPIC_ADDR 36        /* local interrupt controller address (4 bytes) */
#define MADT_FLAGS 40             /* bit 0 PCAT_COMPAT: dual 8259s present */
#define MADT_ENTRIES 44           /* interrupt controller structures: type, length, body */
#define MADT_LAPIC 0              /* 5.2.12.2 Processor Local APIC Structure, 8 bytes */
#define MADT_IOAPIC 1             /* 5.2.12.3 I/O APIC Structure, 12 bytes */
#define MADT_LAPIC_OVERRIDE 5     /* 5.2.12.8 Local APIC Address Override, 12 bytes */
#define MADT_X2APIC 9             /* 5.2.12.12 Processor Local x2APIC Structure, 16 bytes */

static void madt_cpu(struct acpi_madt *out, uint32_t uid, uint32_t apic_id, uint32_t flags, bool x2apic)
{
    out->cpu_total++;
    if (out->cpu_count >= ACPI_MAX_CPUS)
        return;
    out->cpu[out->cpu_count++] = (struct acpi_cpu){uid, apic_id, (flags & ACPI_CPU_ENABLED) != 0,
                                                   (flags & ACPI_CPU_ONLINE_CAPABLE) != 0, x2apic};
}

bool acpi_madt_parse(const uint8_t *madt, size_t len, struct acpi_madt *out, char *err, size_t errlen)
{
    uint64_t phys = out->madt;
    *out = (struct acpi_madt){.source = "MADT", .madt = phys};
    if (len < MADT_ENTRIES) {
        snprintf(err, errlen, "MADT is %u bytes, shorter than its %u-byte header", (unsigned)len, MADT_ENTRIES);
        return false;
    }
    out->lapic_addr = rd32(madt + MADT_LAPIC_ADDR);
    out->flags = rd32(madt + MADT_FLAGS);
    for (size_t off = MADT_ENTRIES; off < len;) {
        const uint8_t *e = madt + off;
        if (len - off < 2 || e[1] < 2 || e[1] > len - off) {
            snprintf(err, errlen, "MADT entry at offset %u has a bad length", (unsigned)off);
            return false;
        }
        switch (e[0]) {
        case MADT_LAPIC:
            if (e[1] >= 8)
                madt_cpu(out, e[2], e[3], rd32(e + 4), false);
            break;
        case MADT_X2APIC:
            if (e[1] >= 16)
                madt_cpu(out, rd32(e + 12), rd32(e + 4), rd32(e + 8), true);
            break;
        case MADT_IOAPIC:
            if (e[1] >= 12 && !out->ioapic_count++) { /* the first one, for the log */
                out->ioapic_id = e[2];
                out->ioapic_addr = rd32(e + 4);
                out->ioapic_gsi_base = rd32(e + 8);
            }
            break;
        case MADT_LAPIC_OVERRIDE:
            if (e[1] >= 12)
                out->lapic_addr = rd64(e + 4);
            break;
        default:
            break;
        }
        off += e[1];
    }
    return true;
}

bool acpi_find_madt(const void *rsdp, size_t rsdp_len, acpi_map_fn map, void *ctx, struct acpi_madt *out, char *err,
                    size_t errlen)
{
    const uint8_t *r = rsdp;
    char why[96] = "";
    uint64_t pa = 0;
    *out = (struct acpi_madt){0};
    if (r[15] >= 2 && rsdp_len >= 36 && rd64(r + 24)) {
        const uint8_t *x = table(map, ctx, rd64(r + 24), "XSDT", why, sizeof(why));
        if (x)
            pa = root_entry(map, ctx, x, 8, "APIC");
    }
    if (!pa) {
        const uint8_t *rs = table(map, ctx, rd32(r + 16), "RSDT", why, sizeof(why));
        if (rs)
            pa = root_entry(map, ctx, rs, 4, "APIC");
    }
    if (!pa) {
        snprintf(err, errlen, "%s", why[0] ? why : "no APIC (MADT) entry in the XSDT or RSDT");
        return false;
    }
    const uint8_t *t = table(map, ctx, pa, "APIC", err, errlen);
    if (!t)
        return false;
    out->madt = pa;
    return acpi_madt_parse(t, rd32(t + 4), out, err, errlen);
}
