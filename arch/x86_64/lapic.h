/* The calling CPU's own local APIC, as far as starting the other CPUs needs it: its APIC ID
 * and the interrupt command register (xAPIC MMIO, SDM Vol.3A 10.4.1 "The Local APIC Block
 * Diagram", 10.6.1 "Interrupt Command Register (ICR)"). vmxlab's virtual APIC and its use of
 * the physical one while a guest runs are in apic/; this is the part the boot needs before
 * any of that exists, kept in arch/ because kernel/ must not include apic/. */
#ifndef ARCH_LAPIC_H
#define ARCH_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* ICR low dword (SDM Table 10-3 / Figure 10-12) */
#define ICR_DM_INIT (5u << 8)
#define ICR_DM_STARTUP (6u << 8)
#define ICR_DM_NMI (4u << 8)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_LEVEL_ASSERT (1u << 14)

/* The xAPIC MMIO base from IA32_APIC_BASE (SDM 10.4.4), or 0 with the reason when the APIC is
 * globally disabled or in x2APIC mode (no MMIO then, SDM 10.12.1). */
uint64_t lapic_xapic_base(const char **why);
/* The APIC ID register (offset 20h, bits 31:24). */
uint32_t lapic_id(uint64_t base);
/* Send one IPI to the APIC ID `dest` (no shorthand, physical destination): ICR high, then
 * ICR low, which sends; then wait for the delivery status to read idle. False when it never
 * did (the message may still be pending). */
bool lapic_send_ipi(uint64_t base, uint8_t dest, uint32_t icr_low);

#endif
