/* The physical local APIC (apic/papic.h). */
#include "apic/papic.h"
#include "arch/x86_64/cpu.h"
#include "kernel/lib.h"
#include "vmx/vmx_defs.h"

static uint64_t papic_base;

void papic_setup(void) { papic_base = rdmsr(IA32_APIC_BASE) & APIC_BASE_ADDR_MASK; }

uint32_t papic_read(uint32_t offset)
{
    return *(volatile uint32_t *)phys_to_virt(papic_base + offset);
}

void papic_write(uint32_t offset, uint32_t value)
{
    *(volatile uint32_t *)phys_to_virt(papic_base + offset) = value;
}

bool papic_test(uint32_t bank, uint8_t vector)
{
    return (papic_read(bank + 0x10u * (vector >> 5)) >> (vector & 31)) & 1u;
}
