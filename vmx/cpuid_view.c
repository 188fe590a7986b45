/* The guest's CPUID view (vmx/cpuid_view.h): which features need which secondary control. */
#include "vmx/cpuid_view.h"
#include "vmx/vmx_defs.h"

/* SDM Vol.3C 25.3, one entry per instruction that raises #UD in VMX non-root operation when
 * a secondary control is 0, with the CPUID bit that enumerates it (SDM Vol.2 CPUID, Table
 * 3-8). The other secondary controls of Table 24-7 either make an instruction exit (WBINVD,
 * RDRAND, RDSEED, PAUSE-loop, descriptor-table, ENCLS/ENCLV exiting: off in vmxlab, so those
 * run natively), or virtualize something the guest cannot see in CPUID (EPT, VPID,
 * unrestricted guest, APIC virtualization, PML, #VE, TSC scaling, VMCS shadowing and VM
 * functions, which only matter with VMX, hidden). docs/cpuid.md has the survey. */
const struct cpuid_feature cpuid_features[] = {
    {"RDTSCP", 0x80000001, 0, CPUID_EDX, 27, SECONDARY_ENABLE_RDTSCP, "enable RDTSCP"},
    {"RDPID", 7, 0, CPUID_ECX, 22, SECONDARY_ENABLE_RDTSCP, "enable RDTSCP"},
    {"INVPCID", 7, 0, CPUID_EBX, 10, SECONDARY_ENABLE_INVPCID, "enable INVPCID"},
    {"XSAVES/XRSTORS", 0xD, 1, CPUID_EAX, 3, SECONDARY_ENABLE_XSAVES_XRSTORS, "enable XSAVES/XRSTORS"},
    {"TPAUSE/UMONITOR/UMWAIT", 7, 0, CPUID_ECX, 5, SECONDARY_ENABLE_USER_WAIT_PAUSE, "enable user wait and pause"},
    {"PCONFIG", 7, 0, CPUID_EDX, 18, SECONDARY_ENABLE_PCONFIG, "enable PCONFIG"},
};
const unsigned cpuid_feature_count = sizeof(cpuid_features) / sizeof(cpuid_features[0]);

void cpuid_view_decide(struct cpuid_view *v, uint32_t proc2_may_be_1, cpuid_host_t host)
{
    uint32_t max_basic[4], max_ext[4];
    host(0, 0, max_basic);
    host(0x80000000, 0, max_ext);
    v->shown = v->hidden = v->proc2 = 0;
    for (unsigned i = 0; i < cpuid_feature_count; i++) {
        const struct cpuid_feature *f = &cpuid_features[i];
        uint32_t r[4], max = f->leaf >= 0x80000000 ? max_ext[0] : max_basic[0];
        if (f->leaf > max)
            continue; /* the leaf does not exist: the feature is absent */
        host(f->leaf, f->subleaf, r);
        if (!(r[f->reg] >> f->bit & 1))
            continue;
        if ((proc2_may_be_1 & f->control) == f->control) {
            v->shown |= 1u << i;
            v->proc2 |= f->control;
        } else {
            v->hidden |= 1u << i;
        }
    }
}

void cpuid_view_apply(const struct cpuid_view *v, uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    if (leaf == 1) {
        regs[CPUID_ECX] &= ~(1u << 5); /* VMX */
        regs[CPUID_ECX] |= 1u << 31;   /* hypervisor present */
    }
    for (unsigned i = 0; v->hidden && i < cpuid_feature_count; i++) { /* the exit path: usually none */
        const struct cpuid_feature *f = &cpuid_features[i];
        if ((v->hidden >> i & 1) && f->leaf == leaf && f->subleaf == subleaf)
            regs[f->reg] &= ~(1u << f->bit);
    }
    /* without XSAVES the supervisor state components (IA32_XSS bits, CPUID.(0DH,1):ECX/EDX)
     * mean nothing to the guest */
    if (leaf == 0xD && subleaf == 1 && (regs[CPUID_EAX] & (1u << 3)) == 0)
        regs[CPUID_ECX] = regs[CPUID_EDX] = 0;
}
