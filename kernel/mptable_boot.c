/* The kernel side of the MP tables (mptable.h): where the floating pointer is, and one line. */
#include "kernel/mptable.h"
#include "kernel/lib.h"
#include "kernel/log.h"

#define IDENTITY_LIMIT (1ull << 32) /* boot.asm identity-maps the first 4 GiB */

static const void *map_identity(uint64_t phys, uint64_t len, void *ctx)
{
    (void)ctx;
    if (!phys || phys >= IDENTITY_LIMIT || len > IDENTITY_LIMIT - phys)
        return 0;
    return phys_to_virt(phys);
}

static struct acpi_madt found;

/* MP spec 4: the first KiB of the EBDA; else the last KiB of base memory; then the BIOS ROM
 * 0xF0000-0xFFFFF. */
static const void *scan(uint64_t *at)
{
    uint64_t ebda = (uint64_t)*(volatile uint16_t *)phys_to_virt(0x40E) << 4;
    uint64_t base_top = (uint64_t)*(volatile uint16_t *)phys_to_virt(0x413) << 10;
    uint64_t where[3][2] = {{ebda, 1024}, {base_top - 1024, 1024}, {0xF0000, 0x10000}};
    for (unsigned i = 0; i < 3; i++) {
        long off;
        if (where[i][0] < 0x80000 && i < 2)
            continue; /* no EBDA / no sensible base memory size */
        if ((off = mp_floating_scan(phys_to_virt(where[i][0]), where[i][1])) >= 0) {
            *at = where[i][0] + (uint64_t)off;
            return phys_to_virt(*at);
        }
    }
    return 0;
}

const struct acpi_madt *mp_cpus(void)
{
    static bool done;
    char err[160];
    uint64_t at = 0;
    if (done)
        return &found;
    done = true;
    const void *fp = scan(&at);
    if (!fp) {
        log_info("mp", "no MP floating pointer either (EBDA, top of base memory, 0xF0000-0xFFFFF)");
        return &found;
    }
    if (!mp_read_cpus(fp, map_identity, 0, &found, err, sizeof(err))) {
        log_warn("mp", "MP floating pointer at 0x%llx: %s", (unsigned long long)at, err);
        found.cpu_count = 0;
        return &found;
    }
    char ids[96];
    size_t n = 0;
    ids[0] = 0;
    for (unsigned i = 0; i < found.cpu_count && n < sizeof(ids); i++)
        n += (size_t)snprintf(ids + n, sizeof(ids) - n, "%s%u%s", i ? " " : "", found.cpu[i].apic_id,
                              found.cpu[i].enabled ? "" : "(disabled)");
    log_info("mp", "%s (floating pointer 0x%llx, table 0x%llx): %u CPU%s (APIC IDs %s), I/O APIC %u at 0x%x",
             found.source, (unsigned long long)at, (unsigned long long)found.madt, found.cpu_total,
             found.cpu_total == 1 ? "" : "s", ids, found.ioapic_id, found.ioapic_addr);
    return &found;
}
