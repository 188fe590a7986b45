/* Fuzz target: the MP table reader (kernel/mptable.c, MP spec 1.4 chapter 4), used when
 * the firmware has no MADT.
 *
 * Input: byte 0 bit 7: repair checksums (the floating pointer's, and the configuration
 * table's when it is mapped whole); the rest is memory from IMG_BASE (fuzz_memimg.h), scanned
 * for the floating pointer.
 *
 * Properties (kernel/mptable.h): the scan finds a valid structure on a 16-byte boundary;
 * the CPUs are exactly the processor entries (a default configuration: two, IDs 0 and 1),
 * kept up to ACPI_MAX_CPUS; a failure says why in one NUL-terminated line; nothing reads
 * past what it mapped. */
#include "tests/fuzz/fuzz_memimg.h"
#include "kernel/mptable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool fix = data[0] & 0x80;
    size_t n = size - 1;
    uint8_t *b = fuzz_dup(data + 1, n);
    if (fix && n >= 16 && !memcmp(b, "_MP_", 4))
        fix_sum(b, 16, 10);
    long at = mp_floating_scan(b, n);
    FUZZ_CHECK(at < 0 || ((size_t)at + 16 <= n && at % 16 == 0 && !memcmp(b + at, "_MP_", 4)), "scan %ld", at);
    if (at >= 0) {
        const uint8_t *fp = b + at;
        uint8_t s = 0;
        for (int i = 0; i < 16; i++)
            s = (uint8_t)(s + fp[i]);
        FUZZ_CHECK(s == 0 && fp[8] == 1, "invalid floating pointer accepted");
        struct memimg img = {b, n, fix, 4, 2, 7, 0, 0, NULL};
        struct acpi_madt m;
        char err[200];
        memset(err, 0x55, sizeof(err));
        if (mp_read_cpus(fp, memimg_map, &img, &m, err, sizeof(err))) {
            FUZZ_CHECK(m.cpu_count <= ACPI_MAX_CPUS && m.cpu_count <= m.cpu_total, "%u of %u CPUs", m.cpu_count,
                       m.cpu_total);
            if (fp[11]) {
                FUZZ_CHECK(m.cpu_total == 2 && m.cpu[0].apic_id == 0 && m.cpu[1].apic_id == 1,
                           "default configuration");
            } else {
                uint32_t pa = (uint32_t)fp[4] | fp[5] << 8 | fp[6] << 16 | (uint32_t)fp[7] << 24;
                FUZZ_CHECK(m.madt == pa && pa >= IMG_BASE && pa - IMG_BASE + 44 <= n, "table at 0x%x", pa);
                const uint8_t *t = b + (pa - IMG_BASE);
                unsigned count = t[34] | t[35] << 8, cpus = 0;
                size_t off = 44;
                for (unsigned i = 0; i < count; i++) {
                    if (t[off] == 0) {
                        if (cpus < ACPI_MAX_CPUS)
                            FUZZ_CHECK(m.cpu[cpus].apic_id == t[off + 1], "CPU %u", cpus);
                        cpus++;
                    }
                    off += t[off] == 0 ? 20 : 8;
                }
                FUZZ_CHECK(m.cpu_total == cpus, "%u CPUs, the entries give %u", m.cpu_total, cpus);
            }
        } else {
            FUZZ_CHECK(fuzz_terminated(err, sizeof(err)) && err[0], "failure without a reason");
        }
        memimg_free(&img);
    }
    free(b);
    return 0;
}
