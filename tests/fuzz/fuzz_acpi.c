/* Fuzz target: ACPI table parsing (kernel/acpi.c): the RSDP scan, the RSDT/XSDT -> FADT ->
 * DSDT walk to \_S5, the AML search, and the MADT.
 *
 * Input: byte 0: bits 1:0 pick the part (0: a MADT alone, 1: AML alone, else the whole walk
 * over a memory image, tests/fuzz/fuzz_memimg.h); bit 7: repair checksums (the RSDP's, and
 * every whole table the walker maps), so the fuzzer reaches the fields behind them. The rest
 * is the MADT, the AML, or memory from IMG_BASE with the RSDP at its start.
 *
 * Properties (kernel/acpi.h, ACPI 6.5 5.2):
 *   - a failure says why in one NUL-terminated line;
 *   - the MADT's CPUs are exactly its Processor Local APIC (8+ bytes) and x2APIC (16+
 *     bytes) entries, counted here independently, kept up to ACPI_MAX_CPUS in order;
 *   - SLP_TYP values are 3 bits; a found \_S5 has a PM1a control block in I/O space and its
 *     tables inside the memory given; nothing reads past what it mapped (ASan). */
#define _GNU_SOURCE /* memmem */
#include "tests/fuzz/fuzz_memimg.h"
#include "kernel/acpi.h"

static void check_madt(const uint8_t *t, size_t len, const struct acpi_madt *m)
{
    unsigned total = 0, kept = 0;
    for (size_t off = 44; off + 2 <= len && t[off + 1] >= 2 && t[off + 1] <= len - off; off += t[off + 1]) {
        const uint8_t *e = t + off;
        bool lapic = e[0] == 0 && e[1] >= 8, x2 = e[0] == 9 && e[1] >= 16;
        if (!lapic && !x2)
            continue;
        uint32_t id = lapic ? e[3] : (uint32_t)e[4] | e[5] << 8 | e[6] << 16 | (uint32_t)e[7] << 24;
        if (kept < ACPI_MAX_CPUS) {
            FUZZ_CHECK(m->cpu[kept].apic_id == id && m->cpu[kept].x2apic == x2, "CPU %u: APIC ID %u, expected %u",
                       kept, m->cpu[kept].apic_id, id);
            kept++;
        }
        total++;
    }
    FUZZ_CHECK(m->cpu_total == total && m->cpu_count == kept, "%u of %u CPUs, the entries give %u of %u",
               m->cpu_count, m->cpu_total, kept, total);
    FUZZ_CHECK(!strcmp(m->source, "MADT"), "source %s", m->source);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned part = data[0] & 3;
    bool fix = data[0] & 0x80;
    size_t n = size - 1;
    uint8_t *b = fuzz_dup(data + 1, n);
    char err[200];
    memset(err, 0x55, sizeof(err));

    if (part == 0) {
        struct acpi_madt m = {.madt = 0x1234};
        if (acpi_madt_parse(b, n, &m, err, sizeof(err)))
            check_madt(b, n, &m);
        else
            FUZZ_CHECK(fuzz_terminated(err, sizeof(err)) && err[0], "MADT failure without a reason");
        FUZZ_CHECK(m.madt == 0x1234, "the MADT's address was lost");
    } else if (part == 1) {
        uint8_t a = 0xEE, c = 0xEE;
        if (acpi_aml_find_s5(b, n, &a, &c))
            FUZZ_CHECK(a <= 7 && c <= 7 && memmem(b, n, "_S5_", 4), "SLP_TYP %u/%u", a, c);
        else
            FUZZ_CHECK(a == 0xEE && c == 0xEE, "values written on failure");
    } else {
        if (fix && n >= 20 && !memcmp(b, "RSD PTR ", 8)) {
            fix_sum(b, 20, 8);
            uint32_t l = n >= 24 ? (uint32_t)b[20] | b[21] << 8 | b[22] << 16 | (uint32_t)b[23] << 24 : 0;
            if (b[15] >= 2 && l >= 36 && l <= n)
                fix_sum(b, l, 32);
        }
        long at = acpi_rsdp_scan(b, n);
        FUZZ_CHECK(at < 0 || ((size_t)at < n && at % 16 == 0 && acpi_rsdp_valid(b + at, n - (size_t)at)),
                   "scan result %ld", at);
        if (at == 0) {
            struct memimg img = {b, n, fix, 4, 4, 9, 0, 0, NULL};
            struct acpi_s5 s5;
            if (acpi_find_s5(b, n, memimg_map, &img, &s5, err, sizeof(err))) {
                FUZZ_CHECK(s5.pm1a_cnt && s5.slp_typa <= 7 && s5.slp_typb <= 7, "S5 %u/%u at 0x%x", s5.slp_typa,
                           s5.slp_typb, s5.pm1a_cnt);
                FUZZ_CHECK(s5.fadt >= IMG_BASE && s5.fadt < IMG_BASE + n && s5.dsdt >= IMG_BASE &&
                               s5.dsdt < IMG_BASE + n,
                           "tables outside the memory given");
                FUZZ_CHECK(!strcmp(s5.root, "XSDT") || !strcmp(s5.root, "RSDT"), "root %s", s5.root);
            } else {
                FUZZ_CHECK(fuzz_terminated(err, sizeof(err)) && err[0], "S5 failure without a reason");
            }
            memimg_free(&img);
            struct acpi_madt m;
            memset(err, 0x55, sizeof(err));
            if (acpi_find_madt(b, n, memimg_map, &img, &m, err, sizeof(err))) {
                FUZZ_CHECK(m.madt >= IMG_BASE && m.madt < IMG_BASE + n, "MADT at 0x%llx",
                           (unsigned long long)m.madt);
                const uint8_t *t = b + (m.madt - IMG_BASE);
                size_t len = (size_t)t[4] | t[5] << 8 | t[6] << 16 | (size_t)t[7] << 24;
                check_madt(t, len, &m);
            } else {
                FUZZ_CHECK(fuzz_terminated(err, sizeof(err)) && err[0], "MADT failure without a reason");
            }
            memimg_free(&img);
        }
    }
    free(b);
    return 0;
}
