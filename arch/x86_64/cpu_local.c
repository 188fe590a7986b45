/* Per-CPU slots (cpu_local.h). */
#include "arch/x86_64/cpu_local.h"
#include "arch/x86_64/cpu.h"

static struct cpu_local slots[CPU_LOCAL_MAX];

void cpu_local_init(unsigned index)
{
    slots[index].index = index;
    wrmsr(MSR_IA32_GS_BASE, (uint64_t)&slots[index]);
}

uint64_t cpu_local_base(unsigned index) { return (uint64_t)&slots[index]; }
