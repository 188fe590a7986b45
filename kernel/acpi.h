/* ACPI, only as far as soft-off (S5) needs it: RSDP -> RSDT/XSDT -> FADT -> PM1 control
 * blocks and the DSDT -> the \_S5 package's SLP_TYP values (ACPI 6.5: 5.2.5 RSDP, 5.2.7
 * RSDT, 5.2.8 XSDT, 5.2.9 FADT, 7.4.2 \_Sx, 4.8.3.2.1 PM1 control). The parser is pure
 * logic: memory is reached through a map callback, so the host tests feed it synthetic
 * tables and the kernel its identity map. acpi_init() (acpi_boot.c) is the kernel side. */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb2_info;

/* Returns a pointer to `len` bytes at physical address `phys`, or NULL when unreachable. */
typedef const void *(*acpi_map_fn)(uint64_t phys, uint64_t len, void *ctx);

struct acpi_s5 {
    const char *root;           /* "XSDT" or "RSDT": the table the FADT was found through */
    uint64_t fadt, dsdt;        /* physical addresses, for the log */
    const char *s5_sig;         /* "DSDT" or "SSDT": the definition block that names \_S5 */
    uint64_t s5_table;          /* its physical address */
    uint16_t pm1a_cnt, pm1b_cnt;/* I/O ports (PM1b: 0 when absent) */
    uint8_t slp_typa, slp_typb; /* 3-bit SLP_TYP values for S5 */
    /* the FADT's RESET_REG when RESET_REG_SUP is set and it is in system I/O space (5.2.9,
     * 4.8.4.6): writing reset_value to reset_port resets the machine; 0 when absent. Filled
     * in as soon as the FADT is read, even when the S5 search fails later. */
    uint16_t reset_port;
    uint8_t reset_value;
};

/* A valid RSDP at p: signature, the ACPI 1.0 checksum, and for revision >= 2 the extended
 * checksum over its length (when `avail` bytes cover it). */
bool acpi_rsdp_valid(const void *p, size_t avail);
/* The first valid RSDP on a 16-byte boundary in [area, area+len) (ACPI 5.2.5.1), or -1. */
long acpi_rsdp_scan(const void *area, size_t len);
/* The first Name(_S5_, Package{...}) in AML: SLP_TYPa and SLP_TYPb. */
bool acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *typa, uint8_t *typb);
/* Follow the tables from a valid RSDP of `rsdp_len` bytes (a 20-byte ACPI 1.0 copy has no
 * XSDT address). On failure, one line saying what is missing. */
bool acpi_find_s5(const void *rsdp, size_t rsdp_len, acpi_map_fn map, void *ctx, struct acpi_s5 *out, char *err, size_t errlen);

/* The MADT (ACPI 6.5 5.2.12): the processors' local APICs and the first I/O APIC. Entries
 * in table order; the firmware lists the boot processor first (5.2.12.2), which vmxlab
 * does not rely on: it compares APIC IDs with its own. */
#define ACPI_MAX_CPUS 16
#define ACPI_CPU_ENABLED 1u         /* Local APIC Flags bit 0: usable */
#define ACPI_CPU_ONLINE_CAPABLE 2u  /* bit 1: disabled now, may be enabled later (hot add) */
struct acpi_cpu {
    uint32_t uid, apic_id;
    bool enabled, online_capable, x2apic; /* x2apic: from a type 9 entry (32-bit APIC ID) */
};
struct acpi_madt {
    const char *source;                /* "MADT", or the MP table's (kernel/mptable.c) */
    uint64_t madt;                     /* physical address, for the log */
    uint64_t lapic_addr;               /* after a Local APIC Address Override */
    uint32_t flags;                    /* bit 0 PCAT_COMPAT */
    unsigned cpu_count, cpu_total;     /* entries kept (at most ACPI_MAX_CPUS), entries seen */
    struct acpi_cpu cpu[ACPI_MAX_CPUS];
    unsigned ioapic_count;
    uint8_t ioapic_id;                 /* the first I/O APIC */
    uint32_t ioapic_addr, ioapic_gsi_base;
};
/* Parse a whole MADT of `len` bytes (checksum already checked); out->madt is kept. */
bool acpi_madt_parse(const uint8_t *madt, size_t len, struct acpi_madt *out, char *err, size_t errlen);
/* Find the MADT ("APIC") through the XSDT, else the RSDT, and parse it. */
bool acpi_find_madt(const void *rsdp, size_t rsdp_len, acpi_map_fn map, void *ctx, struct acpi_madt *out, char *err,
                    size_t errlen);

/* Kernel: find the RSDP (multiboot2 tag, else EBDA and BIOS area scan), the S5 values, hand
 * them to power_off (power_set_acpi_s5) and log one line with the result. */
void acpi_init(const struct mb2_info *mi);

/* What acpi_init() found, for the hypervisor's view of the guest's platform: pm1a_cnt is 0
 * when there is no S5, reset_port 0 when there is no I/O RESET_REG. Never NULL. */
const struct acpi_s5 *acpi_found(void);
/* The MADT acpi_init() read: cpu_count is 0 when there is none. Never NULL. */
const struct acpi_madt *acpi_madt(void);

#endif
