/*
 * vmx_caps.c - decoding of the VMX capability MSRs (SDM Vol.3D Appendix A),
 * control adjustment and CR0/CR4 fixed bits. No libc, no hardware access.
 */
#include "vmx/vmx_caps.h"

static bool bit64(uint64_t v, unsigned b)
{
    return (v >> b) & 1u;
}

static const uint32_t default1_class[VMX_CTL_COUNT] = {   /* SDM A.2 */
    [VMX_CTL_PIN]   = PIN_BASED_DEFAULT1,
    [VMX_CTL_PROC]  = CPU_BASED_DEFAULT1,
    [VMX_CTL_PROC2] = SECONDARY_DEFAULT1,
    [VMX_CTL_EXIT]  = EXIT_DEFAULT1,
    [VMX_CTL_ENTRY] = ENTRY_DEFAULT1,
};

uint64_t vmx_ctl_cap_msr(const struct vmx_msrs *m, enum vmx_ctl ctl, uint32_t *msr_index)
{
    bool use_true = (m->basic & VMX_BASIC_TRUE_CTLS) != 0;   /* A.2 */
    uint32_t idx = 0;
    uint64_t v = 0;

    switch (ctl) {
    case VMX_CTL_PIN:
        idx = use_true ? IA32_VMX_TRUE_PINBASED_CTLS : IA32_VMX_PINBASED_CTLS;
        v = use_true ? m->true_pinbased : m->pinbased;
        break;
    case VMX_CTL_PROC:
        idx = use_true ? IA32_VMX_TRUE_PROCBASED_CTLS : IA32_VMX_PROCBASED_CTLS;
        v = use_true ? m->true_procbased : m->procbased;
        break;
    case VMX_CTL_PROC2: {
        /* A.3.3: the MSR exists only if "activate secondary controls" may be 1.
         * Bit 31 may be 1 in the legacy and the TRUE MSR alike (A.3.2). */
        uint64_t primary = use_true ? m->true_procbased : m->procbased;
        idx = IA32_VMX_PROCBASED_CTLS2;
        v = bit64(primary, 32 + 31) ? m->procbased2 : 0;
        break;
    }
    case VMX_CTL_EXIT:
        idx = use_true ? IA32_VMX_TRUE_EXIT_CTLS : IA32_VMX_EXIT_CTLS;
        v = use_true ? m->true_exit : m->exit;
        break;
    case VMX_CTL_ENTRY:
        idx = use_true ? IA32_VMX_TRUE_ENTRY_CTLS : IA32_VMX_ENTRY_CTLS;
        v = use_true ? m->true_entry : m->entry;
        break;
    default:
        break;
    }
    if (msr_index)
        *msr_index = idx;
    return v;
}

bool vmx_adjust_controls(uint64_t cap_msr, uint32_t wanted, uint32_t *result, uint32_t *missing)
{
    uint32_t allowed0 = (uint32_t)cap_msr;           /* 1 = must be 1 (A.3.1) */
    uint32_t allowed1 = (uint32_t)(cap_msr >> 32);   /* 1 = may be 1 */
    uint32_t lacking = wanted & ~allowed1;

    if (result)
        *result = (wanted | allowed0) & allowed1;
    if (missing)
        *missing = lacking;
    return lacking == 0;
}

bool vmx_caps_adjust(const struct vmx_caps *caps, enum vmx_ctl ctl, uint32_t wanted,
                     uint32_t *result, uint32_t *missing)
{
    if ((unsigned)ctl >= VMX_CTL_COUNT) {
        if (result)
            *result = 0;
        if (missing)
            *missing = wanted;
        return false;
    }
    const struct vmx_ctl_caps *c = &caps->ctl[ctl];
    uint64_t msr = ((uint64_t)c->may_be_1 << 32) | c->must_be_1;
    return vmx_adjust_controls(msr, wanted, result, missing);
}

static void decode_ept_vpid(uint64_t v, struct vmx_ept_vpid_caps *e)
{
    e->execute_only                   = (v & VMX_EPT_EXECUTE_ONLY) != 0;
    e->walk_length_4                  = (v & VMX_EPT_PAGE_WALK_4) != 0;
    e->walk_length_5                  = (v & VMX_EPT_PAGE_WALK_5) != 0;
    e->memtype_uc                     = (v & VMX_EPT_MEMTYPE_UC) != 0;
    e->memtype_wb                     = (v & VMX_EPT_MEMTYPE_WB) != 0;
    e->pages_2m                       = (v & VMX_EPT_PAGE_2M) != 0;
    e->pages_1g                       = (v & VMX_EPT_PAGE_1G) != 0;
    e->invept                         = (v & VMX_EPT_INVEPT) != 0;
    e->accessed_dirty                 = (v & VMX_EPT_ACCESSED_DIRTY) != 0;
    e->advanced_exit_info             = (v & VMX_EPT_ADVANCED_EXIT_INFO) != 0;
    e->supervisor_shadow_stack        = (v & VMX_EPT_SUPERVISOR_SHADOW_STACK) != 0;
    e->invept_single_context          = (v & VMX_EPT_INVEPT_SINGLE_CONTEXT) != 0;
    e->invept_all_context             = (v & VMX_EPT_INVEPT_ALL_CONTEXT) != 0;
    e->invvpid                        = (v & VMX_VPID_INVVPID) != 0;
    e->invvpid_individual_address     = (v & VMX_VPID_INVVPID_ADDRESS) != 0;
    e->invvpid_single_context         = (v & VMX_VPID_INVVPID_SINGLE_CONTEXT) != 0;
    e->invvpid_all_context            = (v & VMX_VPID_INVVPID_ALL_CONTEXT) != 0;
    e->invvpid_single_context_globals = (v & VMX_VPID_INVVPID_SINGLE_GLOBALS) != 0;
}

static void decode_misc(uint64_t v, struct vmx_misc_caps *m)
{
    m->preemption_timer_rate  = (unsigned)(v & VMX_MISC_PREEMPTION_RATE_MASK);
    m->store_efer_lma         = (v & VMX_MISC_STORE_EFER_LMA) != 0;
    m->activity_hlt           = (v & VMX_MISC_ACTIVITY_HLT) != 0;
    m->activity_shutdown      = (v & VMX_MISC_ACTIVITY_SHUTDOWN) != 0;
    m->activity_wait_for_sipi = (v & VMX_MISC_ACTIVITY_WAIT_SIPI) != 0;
    m->pt_in_vmx              = (v & VMX_MISC_PT_IN_VMX) != 0;
    m->smbase_rdmsr           = (v & VMX_MISC_SMBASE_RDMSR) != 0;
    m->cr3_target_count       = (unsigned)((v >> VMX_MISC_CR3_TARGETS_SHIFT) & VMX_MISC_CR3_TARGETS_MASK);
    m->max_msr_list           = 512u * (unsigned)(((v >> VMX_MISC_MAX_MSR_LIST_SHIFT) &
                                                   VMX_MISC_MAX_MSR_LIST_MASK) + 1);
    m->vmwrite_any_field      = (v & VMX_MISC_VMWRITE_ANY_FIELD) != 0;
    m->zero_length_injection  = (v & VMX_MISC_ZERO_LEN_INJECTION) != 0;
    m->mseg_revision          = (uint32_t)(v >> VMX_MISC_MSEG_REVISION_SHIFT);
}

static bool may1(const struct vmx_caps *c, enum vmx_ctl ctl, uint32_t bits)
{
    return (c->ctl[ctl].may_be_1 & bits) == bits;
}

/* Feature presence, with the dependencies SDM 26.2.1.1 enforces at VM entry. */
static void decide_features(struct vmx_caps *c)
{
    bool secondary = may1(c, VMX_CTL_PROC, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
    bool tpr_shadow = may1(c, VMX_CTL_PROC, CPU_BASED_USE_TPR_SHADOW);

    /* vmxlab builds a 4-level, write-back EPT (EPTP rules: 24.6.11, 26.2.1.1) */
    c->has[VMX_FEAT_EPT] = secondary && may1(c, VMX_CTL_PROC2, SECONDARY_ENABLE_EPT) &&
                           c->ept.walk_length_4 && c->ept.memtype_wb;
    /* "unrestricted guest" requires "enable EPT" (26.2.1.1) */
    c->has[VMX_FEAT_UNRESTRICTED_GUEST] = c->has[VMX_FEAT_EPT] &&
                                          may1(c, VMX_CTL_PROC2, SECONDARY_UNRESTRICTED_GUEST);
    c->has[VMX_FEAT_VIRTUALIZE_APIC_ACCESSES] =
        secondary && may1(c, VMX_CTL_PROC2, SECONDARY_VIRTUALIZE_APIC_ACCESSES);
    c->has[VMX_FEAT_TPR_SHADOW] = tpr_shadow;
    /* APIC-register virtualization and virtual-interrupt delivery need
     * "use TPR shadow"; the latter also "external-interrupt exiting" (26.2.1.1) */
    c->has[VMX_FEAT_APIC_REGISTER_VIRTUALIZATION] =
        secondary && tpr_shadow && may1(c, VMX_CTL_PROC2, SECONDARY_APIC_REGISTER_VIRTUALIZATION);
    c->has[VMX_FEAT_VIRTUAL_INTERRUPT_DELIVERY] =
        secondary && tpr_shadow && may1(c, VMX_CTL_PROC2, SECONDARY_VIRTUAL_INTERRUPT_DELIVERY) &&
        may1(c, VMX_CTL_PIN, PIN_EXTERNAL_INTERRUPT_EXITING);
}

void vmx_caps_decode(const struct vmx_msrs *m, struct vmx_caps *c)
{
    /* Start from all-zero: no capability is assumed. */
    struct vmx_caps zero = { .verdict = VMX_VERDICT_OK };
    *c = zero;

    if (!(m->cpuid1_ecx & CPUID_1_ECX_VMX)) {          /* SDM 23.6 */
        c->verdict = VMX_VERDICT_NO_VMX;
        return;                                         /* the VMX MSRs do not exist */
    }

    c->feature_control_raw = m->feature_control;
    c->feature_control_locked = (m->feature_control & IA32_FEATURE_CONTROL_LOCK) != 0;
    c->vmx_outside_smx = (m->feature_control & IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX) != 0;
    /* SDM 23.7: VMXON outside SMX raises #GP unless the MSR is locked with bit 2
     * set. Locked without it, only a reset can change it: firmware said no. */
    if (c->feature_control_locked && !c->vmx_outside_smx)
        c->verdict = VMX_VERDICT_DISABLED_BY_FIRMWARE;
    c->feature_control_needs_write = !c->feature_control_locked;

    /* A.1 */
    c->revision_id      = (uint32_t)(m->basic & VMX_BASIC_REVISION_MASK);
    c->vmcs_region_size = (uint32_t)((m->basic >> VMX_BASIC_REGION_SIZE_SHIFT) & VMX_BASIC_REGION_SIZE_MASK);
    c->vmcs_memory_type = (unsigned)((m->basic >> VMX_BASIC_MEMORY_TYPE_SHIFT) & VMX_BASIC_MEMORY_TYPE_MASK);
    c->phys_addr_32bit  = (m->basic & VMX_BASIC_PHYS_ADDR_32BIT) != 0;
    c->dual_monitor     = (m->basic & VMX_BASIC_DUAL_MONITOR) != 0;
    c->ins_outs_info    = (m->basic & VMX_BASIC_INS_OUTS_INFO) != 0;
    c->true_controls    = (m->basic & VMX_BASIC_TRUE_CTLS) != 0;
    c->no_error_code_check = (m->basic & VMX_BASIC_NO_ERRCODE_CHECK) != 0;

    /* A.3-A.5 */
    for (int i = 0; i < VMX_CTL_COUNT; i++) {
        struct vmx_ctl_caps *cc = &c->ctl[i];
        cc->msr_value = vmx_ctl_cap_msr(m, (enum vmx_ctl)i, &cc->msr_index);
        cc->must_be_1 = (uint32_t)cc->msr_value;
        cc->may_be_1  = (uint32_t)(cc->msr_value >> 32);
        /* A.2: without TRUE MSRs, software must keep the default1 class at 1
         * (the legacy MSRs report them so; enforce it regardless). */
        if (!c->true_controls)
            cc->must_be_1 |= default1_class[i];
    }

    /* A.10: IA32_VMX_EPT_VPID_CAP exists only with EPT or VPID allowed */
    if (c->ctl[VMX_CTL_PROC2].may_be_1 & (SECONDARY_ENABLE_EPT | SECONDARY_ENABLE_VPID)) {
        c->ept_vpid_cap_raw = m->ept_vpid_cap;
        decode_ept_vpid(m->ept_vpid_cap, &c->ept);
    }
    /* A.11: IA32_VMX_VMFUNC exists only with "enable VM functions" allowed */
    if (c->ctl[VMX_CTL_PROC2].may_be_1 & SECONDARY_ENABLE_VM_FUNCTIONS)
        c->vmfunc = m->vmfunc;

    c->misc_raw = m->misc;
    decode_misc(m->misc, &c->misc);                    /* A.6 */

    c->cr0_fixed0 = m->cr0_fixed0;                     /* A.7 */
    c->cr0_fixed1 = m->cr0_fixed1;
    c->cr4_fixed0 = m->cr4_fixed0;                     /* A.8 */
    c->cr4_fixed1 = m->cr4_fixed1;

    decide_features(c);
}

const char *vmx_verdict_text(enum vmx_verdict v)
{
    switch (v) {
    case VMX_VERDICT_OK:
        return "VMX usable";
    case VMX_VERDICT_NO_VMX:
        return "VMX not supported by this CPU";
    case VMX_VERDICT_DISABLED_BY_FIRMWARE:
        return "VMX disabled by firmware (IA32_FEATURE_CONTROL locked without VMX outside SMX)";
    }
    return "unknown verdict";
}

static const char *const feature_names[VMX_FEAT_COUNT] = {
    [VMX_FEAT_EPT]                          = "EPT",
    [VMX_FEAT_UNRESTRICTED_GUEST]           = "unrestricted guest",
    [VMX_FEAT_VIRTUALIZE_APIC_ACCESSES]     = "virtualize APIC accesses",
    [VMX_FEAT_APIC_REGISTER_VIRTUALIZATION] = "APIC-register virtualization",
    [VMX_FEAT_VIRTUAL_INTERRUPT_DELIVERY]   = "virtual-interrupt delivery",
    [VMX_FEAT_TPR_SHADOW]                   = "TPR shadow",
};

const char *vmx_feature_name(enum vmx_feature f)
{
    if ((unsigned)f >= VMX_FEAT_COUNT)
        return "?";
    return feature_names[f];
}

/* ---- CR0 / CR4 fixed bits ---- */

uint64_t vmx_cr_apply_fixed(uint64_t value, uint64_t fixed0, uint64_t fixed1)
{
    return (value | fixed0) & fixed1;                   /* A.7, A.8 */
}

bool vmx_cr_check(uint64_t value, uint64_t fixed0, uint64_t fixed1, uint64_t *bad)
{
    uint64_t wrong = (fixed0 & ~value) | (value & ~fixed1);
    if (bad)
        *bad = wrong;
    return wrong == 0;
}

uint64_t vmx_cr_host_owned_bits(uint64_t fixed0, uint64_t fixed1)
{
    return fixed0 | ~fixed1;
}

uint64_t vmx_guest_cr0_fixed0(const struct vmx_caps *caps, bool unrestricted_guest)
{
    uint64_t f0 = caps->cr0_fixed0;
    if (unrestricted_guest)
        f0 &= ~(CR0_PE | CR0_PG);                       /* SDM 26.3.1.1 */
    return f0;
}

bool vmx_guest_cr0_check(const struct vmx_caps *caps, uint64_t cr0, bool unrestricted_guest,
                         uint64_t *bad)
{
    uint64_t wrong = 0;
    vmx_cr_check(cr0, vmx_guest_cr0_fixed0(caps, unrestricted_guest), caps->cr0_fixed1, &wrong);
    /* 26.3.1.1: "If bit 31 in the CR0 field (corresponding to PG) is 1, bit 0
     * in that field (PE) must also be 1." Only reachable with unrestricted guest. */
    if ((cr0 & CR0_PG) && !(cr0 & CR0_PE))
        wrong |= CR0_PE;
    if (bad)
        *bad = wrong;
    return wrong == 0;
}

bool vmx_guest_cr4_check(const struct vmx_caps *caps, uint64_t cr4, uint64_t *bad)
{
    return vmx_cr_check(cr4, caps->cr4_fixed0, caps->cr4_fixed1, bad);
}

enum vmx_fc_action vmx_feature_control_action(uint64_t fc, uint64_t *write)
{
    *write = fc;
    if (fc & IA32_FEATURE_CONTROL_LOCK)
        return (fc & IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX) ? VMX_FC_USE : VMX_FC_LOCKED_OFF;
    *write = fc | IA32_FEATURE_CONTROL_LOCK | IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX;
    return VMX_FC_SET_AND_LOCK;
}
