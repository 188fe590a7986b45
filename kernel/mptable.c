/* MP spec 1.4 tables (mptable.h). Pure logic: no kernel services but snprintf. */
#include "kernel/mptable.h"
#include "kernel/lib.h"

#define FP_LEN 16                 /* 4.1 MP Floating Pointer Structure */
#define FP_PHYS 4                 /* physical address of the configuration table, 0: none */
#define FP_LENGTH 8               /* in 16-byte paragraphs: 1 */
#define FP_FEATURE1 11            /* nonzero: a default configuration, no table */
#define CT_HEADER 44              /* 4.2 MP Configuration Table Header */
#define CT_BASE_LENGTH 4
#define CT_COUNT 34
#define CT_LAPIC 36
#define MP_PROCESSOR 0            /* 4.3.1 Processor Entries, 20 bytes */
#define MP_IOAPIC 2               /* 4.3.3 I/O APIC Entries, 8 bytes */
#define MP_CPU_EN 1u              /* CPU flags bit 0: usable */
#define MP_IOAPIC_EN 1u

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static bool fp_valid(const uint8_t *p, size_t avail)
{
    return avail >= FP_LEN && !memcmp(p, "_MP_", 4) && p[FP_LENGTH] == 1 && !sum(p, FP_LEN);
}

long mp_floating_scan(const void *area, size_t len)
{
    const uint8_t *a = area;
    for (size_t off = 0; off + FP_LEN <= len; off += 16)
        if (fp_valid(a + off, len - off))
            return (long)off;
    return -1;
}

static void add_cpu(struct acpi_madt *out, uint32_t apic_id, bool enabled)
{
    out->cpu_total++;
    if (out->cpu_count < ACPI_MAX_CPUS)
        out->cpu[out->cpu_count++] = (struct acpi_cpu){out->cpu_total - 1, apic_id, enabled, false, false};
}

bool mp_read_cpus(const void *fp, acpi_map_fn map, void *ctx, struct acpi_madt *out, char *err, size_t errlen)
{
    const uint8_t *f = fp;
    *out = (struct acpi_madt){.source = "MP table", .lapic_addr = 0xFEE00000};
    if (f[FP_FEATURE1]) { /* chapter 5: every default configuration has two CPUs, IDs 0 and 1 */
        add_cpu(out, 0, true);
        add_cpu(out, 1, true);
        out->ioapic_count = 1;
        out->ioapic_addr = 0xFEC00000;
        out->ioapic_id = 2;
        out->source = "MP default configuration";
        return true;
    }
    uint32_t pa = rd32(f + FP_PHYS);
    const uint8_t *h = pa ? map(pa, CT_HEADER, ctx) : 0;
    if (!h || memcmp(h, "PCMP", 4)) {
        snprintf(err, errlen, "no MP configuration table at 0x%x", pa);
        return false;
    }
    uint32_t len = rd16(h + CT_BASE_LENGTH);
    const uint8_t *t = len >= CT_HEADER ? map(pa, len, ctx) : 0;
    if (!t) {
        snprintf(err, errlen, "MP configuration table at 0x%x has a bad length %u", pa, len);
        return false;
    }
    if (sum(t, len)) {
        snprintf(err, errlen, "MP configuration table at 0x%x fails its checksum", pa);
        return false;
    }
    out->madt = pa;
    out->lapic_addr = rd32(t + CT_LAPIC);
    uint32_t n = rd16(t + CT_COUNT), off = CT_HEADER;
    for (uint32_t i = 0; i < n; i++) {
        if (off >= len) {
            snprintf(err, errlen, "MP configuration table at 0x%x: entry %u of %u past its end", pa, i, n);
            return false;
        }
        const uint8_t *e = t + off;
        uint32_t elen = e[0] == MP_PROCESSOR ? 20 : 8; /* 4.3: every other base entry is 8 bytes */
        if (e[0] > 4 || off + elen > len) {
            snprintf(err, errlen, "MP configuration table at 0x%x: bad entry type %u at offset %u", pa, e[0], off);
            return false;
        }
        if (e[0] == MP_PROCESSOR)
            add_cpu(out, e[1], (e[3] & MP_CPU_EN) != 0);
        else if (e[0] == MP_IOAPIC && (e[3] & MP_IOAPIC_EN) && !out->ioapic_count++) {
            out->ioapic_id = e[1];
            out->ioapic_addr = rd32(e + 4);
        }
        off += elen;
    }
    return true;
}
