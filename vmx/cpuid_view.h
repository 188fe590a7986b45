/* What the guest's CPUID shows: the features vmxlab passes through, and the ones it hides.
 * Pure logic (no hardware access), tested on the host (tests/unit/test_cpuid_view.c).
 *
 * In VMX non-root operation some instructions raise #UD unless a secondary processor-based
 * VM-execution control is 1 (SDM Vol.3C 25.3 "Changes to Instruction Behavior in VMX
 * Non-Root Operation"; the controls: 24.6.2, Table 24-7). So CPUID and the controls must
 * agree: for each such feature the host's CPUID shows, vmxlab sets the control when the CPU
 * allows its 1-setting (IA32_VMX_PROCBASED_CTLS2, SDM A.3.3) and otherwise hides the feature. */
#ifndef VMX_CPUID_VIEW_H
#define VMX_CPUID_VIEW_H

#include <stdbool.h>
#include <stdint.h>

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

struct cpuid_feature {
    const char *name;        /* the instructions, as the SDM names them */
    uint32_t leaf, subleaf;  /* where CPUID reports the feature */
    enum cpuid_reg reg;
    unsigned bit;
    uint32_t control;        /* the secondary control without which it raises #UD */
    const char *control_name;
};

extern const struct cpuid_feature cpuid_features[];
extern const unsigned cpuid_feature_count;

/* host(leaf, subleaf, regs) is the CPU's own CPUID. */
typedef void (*cpuid_host_t)(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

struct cpuid_view {
    uint32_t shown;          /* bit i: cpuid_features[i] is on the CPU and its control is set */
    uint32_t hidden;         /* bit i: on the CPU, but the control cannot be 1: hidden */
    uint32_t proc2;          /* the secondary controls to set */
};

/* Decide from the host's CPUID and the controls' allowed 1-settings (proc2_may_be_1). */
void cpuid_view_decide(struct cpuid_view *v, uint32_t proc2_may_be_1, cpuid_host_t host);

/* The guest's CPUID result for (leaf, subleaf), from the host's in regs: VMX hidden (the
 * guest sees no VMX: SDM 23.6 "Discovering Support for VMX"), "hypervisor present"
 * CPUID.1:ECX[31] set, and the features of v->hidden cleared. */
void cpuid_view_apply(const struct cpuid_view *v, uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

#endif
