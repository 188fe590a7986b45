/* The kernel side of ACPI soft-off: where the RSDP is, and handing S5 to power_off. */
#include "arch/x86_64/power.h"
#include "kernel/acpi.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/multiboot2.h"

#define IDENTITY_LIMIT (1ull << 32) /* boot.asm identity-maps the first 4 GiB */

static const void *map_identity(uint64_t phys, uint64_t len, void *ctx)
{
    (void)ctx;
    if (!phys || phys >= IDENTITY_LIMIT || len > IDENTITY_LIMIT - phys)
        return 0;
    return phys_to_virt(phys);
}

/* ACPI 5.2.5.1: the first KiB of the EBDA, then the BIOS read-only area 0xE0000-0xFFFFF. */
static const void *scan_bios(const char **where)
{
    uint64_t ebda = (uint64_t)*(volatile uint16_t *)phys_to_virt(0x40E) << 4; /* BDA: EBDA segment */
    long off;
    if (ebda >= 0x80000 && ebda < 0xA0000 && (off = acpi_rsdp_scan(phys_to_virt(ebda), 1024)) >= 0) {
        *where = "the EBDA";
        return (const uint8_t *)phys_to_virt(ebda) + off;
    }
    if ((off = acpi_rsdp_scan(phys_to_virt(0xE0000), 0x20000)) >= 0) {
        *where = "the BIOS area";
        return (const uint8_t *)phys_to_virt(0xE0000) + off;
    }
    return 0;
}

static struct acpi_s5 found;
static struct acpi_madt madt;

const struct acpi_s5 *acpi_found(void) { return &found; }
const struct acpi_madt *acpi_madt(void) { return &madt; }

/* One line: the CPUs and the I/O APIC the firmware reports (the SMP bring-up, kernel/smp.c) */
static void madt_init(const void *rsdp, size_t len)
{
    char err[192], ids[96];
    size_t n = 0;
    if (!acpi_find_madt(rsdp, len, map_identity, 0, &madt, err, sizeof(err))) {
        log_warn("acpi", "no MADT: %s (the CPU list then comes from the MP table, if any)", err);
        madt.cpu_count = 0;
        return;
    }
    ids[0] = 0;
    for (unsigned i = 0; i < madt.cpu_count && n < sizeof(ids); i++)
        n += (size_t)snprintf(ids + n, sizeof(ids) - n, "%s%u%s", i ? " " : "", madt.cpu[i].apic_id,
                              madt.cpu[i].enabled ? "" : "(disabled)");
    log_info("acpi", "MADT at 0x%llx: %u CPU%s (APIC IDs %s), local APIC 0x%llx, I/O APIC %u at 0x%x GSI %u%s",
             (unsigned long long)madt.madt, madt.cpu_total, madt.cpu_total == 1 ? "" : "s", ids,
             (unsigned long long)madt.lapic_addr, madt.ioapic_id, madt.ioapic_addr, madt.ioapic_gsi_base,
             madt.ioapic_count ? "" : " (none listed)");
}

void acpi_init(const struct mb2_info *mi)
{
    const char *where = "the multiboot2 ACPI tag";
    const void *rsdp = mi->rsdp;
    size_t len = mi->rsdp_size;
    char err[192];
    struct acpi_s5 s5;
    if (!rsdp || !acpi_rsdp_valid(rsdp, len)) {
        rsdp = scan_bios(&where);
        len = 36; /* in place: a revision 2 RSDP found by the scan passed its 36-byte checksum */
    }
    if (!rsdp) {
        log_warn("acpi", "no ACPI power-off: no valid RSDP (multiboot2 tag, EBDA, 0xE0000-0xFFFFF)");
        return;
    }
    madt_init(rsdp, len);
    if (!acpi_find_s5(rsdp, len, map_identity, 0, &s5, err, sizeof(err))) {
        log_warn("acpi", "no ACPI power-off: RSDP from %s, %s", where, err);
        found.reset_port = s5.reset_port;
        found.reset_value = s5.reset_value;
        return;
    }
    found = s5;
    power_set_acpi_s5(s5.pm1a_cnt, s5.pm1b_cnt, s5.slp_typa, s5.slp_typb);
    log_info("acpi", "S5 power-off via PM1a_CNT 0x%x PM1b_CNT 0x%x SLP_TYP %u/%u (RSDP from %s, %s, FADT 0x%llx, "
             "DSDT 0x%llx, \\_S5 in the %s at 0x%llx)", s5.pm1a_cnt, s5.pm1b_cnt, s5.slp_typa, s5.slp_typb,
             where, s5.root, (unsigned long long)s5.fadt, (unsigned long long)s5.dsdt, s5.s5_sig,
             (unsigned long long)s5.s5_table);
    if (s5.reset_port)
        log_info("acpi", "RESET_REG: I/O port 0x%x <- 0x%02x", s5.reset_port, s5.reset_value);
}
