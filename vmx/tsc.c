/* The guest owns its time-stamp counter (SDM Vol.3C 24.6.5 "Time-Stamp Counter Offset and
 * Multiplier", 25.3 RDTSC/RDTSCP/RDMSR): with "use TSC offsetting" and no RDTSC exiting, the
 * guest's RDTSC, RDTSCP and RDMSR IA32_TIME_STAMP_COUNTER return the CPU's TSC plus the TSC
 * offset, without an exit. A guest's WRMSR to IA32_TIME_STAMP_COUNTER (0x10) or, when CPUID
 * shows it, IA32_TSC_ADJUST (0x3B) exits and moves only the offset, so vmxlab's own clock (its
 * log timestamps) never moves. Before, the WRMSR went to the CPU and vmxlab's timestamps ran
 * backwards. The offset and the guest's IA32_TSC_ADJUST live in struct vcpu; an INIT leaves
 * both unchanged (SDM Table 9-1: the TSC is unchanged by INIT). */
#include "arch/x86_64/cpu.h"
#include "kernel/log.h"
#include "vmx/vmx.h"
#include "vmx/vmx_internal.h"

#define IA32_TIME_STAMP_COUNTER 0x10u
#define IA32_TSC_ADJUST 0x3Bu

static void set_offset(struct vcpu *v, uint64_t offset)
{
    v->tsc_offset = offset;
    vmcs_write(VMCS_TSC_OFFSET, offset);
}

/* SDM 17.17.3: writing the TSC changes IA32_TSC_ADJUST by the same amount */
static bool tsc_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    uint64_t now = rdtsc(), delta = value - (now + v->tsc_offset);
    set_offset(v, value - now);
    v->tsc_adjust += delta;
    log_info("tsc", "vcpu%u: WRMSR IA32_TIME_STAMP_COUNTER 0x%llx: TSC offset 0x%llx (vmxlab's clock is not moved)",
             v->id, (unsigned long long)value, (unsigned long long)v->tsc_offset);
    return true;
}

/* SDM 17.17.3: writing IA32_TSC_ADJUST moves the TSC by the change */
static bool adjust_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    set_offset(v, v->tsc_offset + (value - v->tsc_adjust));
    v->tsc_adjust = value;
    log_info("tsc", "vcpu%u: WRMSR IA32_TSC_ADJUST 0x%llx: TSC offset 0x%llx", v->id, (unsigned long long)value,
             (unsigned long long)v->tsc_offset);
    return true;
}

static bool adjust_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)msr;
    *value = v->tsc_adjust;
    return true;
}

void vmx_tsc_setup(struct vcpu *v)
{
    uint32_t missing = 0;
    if (!vmx_ctl_change(v, VMX_CTL_PROC, CPU_BASED_USE_TSC_OFFSETTING, CPU_BASED_RDTSC_EXITING, &missing)) {
        log_warn("tsc", "the CPU cannot set \"use TSC offsetting\": a guest's WRMSR to the TSC moves vmxlab's clock");
        return;
    }
    /* every vCPU starts with offset 0: the guest's CPUs see one TSC, in step, as on a machine
     * whose firmware synchronised them (SDM 17.17.1 "Invariant TSC") */
    set_offset(v, 0);
    bool has_adjust = cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ebx & (1u << 1));
    if (has_adjust) /* the guest starts with the CPU's value, as it would on bare metal */
        v->tsc_adjust = rdmsr(IA32_TSC_ADJUST);
    if (v->id)
        return;     /* the MSR hooks are machine-wide: set once, with vCPU 0 */
    msr_hook_set(IA32_TIME_STAMP_COUNTER, IA32_TIME_STAMP_COUNTER, 0, tsc_write);
    if (has_adjust)
        msr_hook_set(IA32_TSC_ADJUST, IA32_TSC_ADJUST, adjust_read, adjust_write);
    log_info("tsc", "the guest owns its TSC: \"use TSC offsetting\" on, WRMSR IA32_TIME_STAMP_COUNTER%s intercepted",
             has_adjust ? " and IA32_TSC_ADJUST" : "");
}
