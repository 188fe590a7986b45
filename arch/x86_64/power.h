/* Ending the machine: emulator exit ports, ACPI S5, or halt. */
#ifndef ARCH_POWER_H
#define ARCH_POWER_H

#include <stdint.h>

/* ACPI soft-off, when the kernel found it in the FADT/DSDT (0 port: unknown). */
void power_set_acpi_s5(uint16_t pm1a_cnt, uint16_t pm1b_cnt, uint16_t slp_typa, uint16_t slp_typb);
/* QEMU isa-debug-exit (exit code 2*status+1), Bochs port 0x8900 "Shutdown", ACPI S5, then cli;hlt. */
__attribute__((noreturn)) void power_off(int status);

#endif
