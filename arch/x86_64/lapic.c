/* The calling CPU's local APIC for the SMP bring-up (lapic.h). */
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/cpu.h"

#define APIC_BASE_EXTD (1ull << 10)   /* x2APIC mode */
#define APIC_BASE_ENABLE (1ull << 11) /* global enable */
#define APIC_BASE_ADDR 0x000FFFFFFFFFF000ull
#define APIC_ID 0x020
#define APIC_ICR_LOW 0x300
#define APIC_ICR_HIGH 0x310
#define IDENTITY_LIMIT (1ull << 32)   /* boot.asm identity-maps the first 4 GiB */

static volatile uint32_t *reg(uint64_t base, uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(base + off); /* identity-mapped */
}

uint64_t lapic_xapic_base(const char **why)
{
    uint64_t b = rdmsr(MSR_IA32_APIC_BASE);
    if (!(b & APIC_BASE_ENABLE)) {
        *why = "the local APIC is globally disabled (IA32_APIC_BASE bit 11 clear)";
        return 0;
    }
    if (b & APIC_BASE_EXTD) {
        *why = "the local APIC is in x2APIC mode (IA32_APIC_BASE bit 10): no xAPIC MMIO";
        return 0;
    }
    if ((b & APIC_BASE_ADDR) >= IDENTITY_LIMIT) {
        *why = "the local APIC's MMIO page is above 4 GiB, outside vmxlab's identity map";
        return 0;
    }
    return b & APIC_BASE_ADDR;
}

uint32_t lapic_id(uint64_t base) { return *reg(base, APIC_ID) >> 24; }

bool lapic_send_ipi(uint64_t base, uint8_t dest, uint32_t icr_low)
{
    *reg(base, APIC_ICR_HIGH) = (uint32_t)dest << 24; /* destination field, bits 63:56 */
    *reg(base, APIC_ICR_LOW) = icr_low;               /* the write to the low dword sends */
    for (unsigned i = 0; i < 1000000; i++) {
        if (!(*reg(base, APIC_ICR_LOW) & ICR_DELIVERY_PENDING))
            return true;
        cpu_relax();
    }
    return false;
}
