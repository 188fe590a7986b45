/* The Intel MultiProcessor Specification's tables (MP spec 1.4, chapter 4 "MP Configuration
 * Table"), read only when the firmware has no ACPI MADT: the floating pointer structure
 * ("_MP_"), the configuration table ("PCMP") and its processor and I/O APIC entries, or one
 * of the default configurations (chapter 5: two CPUs, APIC IDs 0 and 1). The result is the
 * same CPU list the MADT gives (struct acpi_madt). Pure logic; mptable_boot.c is the kernel
 * side. */
#ifndef KERNEL_MPTABLE_H
#define KERNEL_MPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include "kernel/acpi.h"

/* The first valid floating pointer (signature, length, checksum) on a 16-byte boundary in
 * [area, area+len) (MP spec 4.1), or -1. */
long mp_floating_scan(const void *area, size_t len);
/* From a valid floating pointer: the processors and the first I/O APIC. out->madt is the
 * configuration table's address (0 for a default configuration). On failure one line in err. */
bool mp_read_cpus(const void *fp, acpi_map_fn map, void *ctx, struct acpi_madt *out, char *err, size_t errlen);

/* Kernel: scan the EBDA's first KiB, the last KiB of base memory, then 0xF0000-0xFFFFF, read
 * the tables and log one line. Never NULL; cpu_count 0 when there is no MP table. */
const struct acpi_madt *mp_cpus(void);

#endif
