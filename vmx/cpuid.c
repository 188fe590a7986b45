/* CPUID for the guest (SDM Vol.3C 25.1.2: CPUID always exits in VMX non-root operation):
 * the host's answer, with what vmxlab cannot give hidden (vmx/cpuid_view.h), the hypervisor
 * leaves 0x40000000-0x400000FF, then a module's filter (apic hides x2APIC). */
#include "arch/x86_64/cpu.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "vmx/cpuid_view.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_internal.h"

static cpuid_filter_t cpuid_filter;
void cpuid_filter_set(cpuid_filter_t fn) { cpuid_filter = fn; }

static void host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    struct cpuid_regs c = cpuid(leaf, subleaf);
    regs[CPUID_EAX] = c.eax, regs[CPUID_EBX] = c.ebx, regs[CPUID_ECX] = c.ecx, regs[CPUID_EDX] = c.edx;
}

/* setup_controls(): the secondary controls the guest's features need, and one log line
 * that says what the guest's CPUID shows and hides, and why. */
uint32_t vmx_cpuid_setup(void)
{
    char line[320];
    size_t n = 0;
    cpuid_view_decide(&vmx.cpuid, vmx.caps.ctl[VMX_CTL_PROC2].may_be_1, host_cpuid);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "the guest's CPUID shows");
    for (unsigned i = 0; i < cpuid_feature_count; i++)
        if (vmx.cpuid.shown >> i & 1)
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", cpuid_features[i].name);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "%s, hides VMX", vmx.cpuid.shown ? " (their controls on)" : " none");
    for (unsigned i = 0; i < cpuid_feature_count && n < sizeof(line); i++)
        if (vmx.cpuid.hidden >> i & 1)
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s (the CPU cannot set \"%s\")", cpuid_features[i].name,
                                  cpuid_features[i].control_name);
    log_info("cpuid", "%s", line);
    return vmx.cpuid.proc2;
}

/* Bits that mirror the CR4 of whoever executes CPUID: the CPU answers with vmxlab's CR4 (whose
 * OSXSAVE vmxlab sets for itself, setup.c), the guest must see its own: CPUID.1:ECX[27] OSXSAVE
 * = CR4.OSXSAVE, CPUID.(EAX=07H,ECX=0):ECX[4] OSPKE = CR4.PKE (SDM Vol.2 CPUID, Tables 3-8 and
 * 3-10). vmxlab owns neither bit (guest/host mask), so the guest-CR4 field holds the guest's.
 * Without this, Debian's busybox executes XGETBV on the word of CPUID after Linux turned XSAVE
 * off, and dies of #UD. Also here: CPUID.1:ECX[3] MONITOR/MWAIT, which vmxlab hides. */
static void guest_cr4_bits(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    if (leaf != 1 && !(leaf == 7 && sub == 0))
        return;
    uint64_t cr4 = vmcs_read(VMCS_GUEST_CR4);
    if (leaf == 1) {
        r[2] = (r[2] & ~(1u << 27)) | (cr4 & CR4_OSXSAVE ? 1u << 27 : 0);
        r[2] &= ~(1u << 3); /* MONITOR/MWAIT: hidden, they exit and get #UD (interrupts.c) */
    } else {
        r[2] = (r[2] & ~(1u << 4)) | (cr4 & CR4_PKE ? 1u << 4 : 0);
    }
}

enum exit_action exit_cpuid(struct vcpu *v)
{
    uint32_t leaf = (uint32_t)v->gpr[GPR_RAX], sub = (uint32_t)v->gpr[GPR_RCX], r[4];
    if (leaf >= 0x40000000 && leaf <= 0x400000FF) {
        /* the hypervisor range: a vendor signature (by convention EBX:ECX:EDX) */
        r[0] = leaf == 0x40000000 ? 0x40000000 : 0;
        r[1] = leaf == 0x40000000 ? 0x6c786d76 : 0; /* "vmxl" */
        r[2] = leaf == 0x40000000 ? 0x00006261 : 0; /* "ab" */
        r[3] = 0;
    } else {
        host_cpuid(leaf, sub, r);
        cpuid_view_apply(&vmx.cpuid, leaf, sub, r);
        guest_cr4_bits(leaf, sub, r);
    }
    if (cpuid_filter)
        cpuid_filter(v, leaf, sub, r);
    v->gpr[GPR_RAX] = r[0], v->gpr[GPR_RBX] = r[1], v->gpr[GPR_RCX] = r[2], v->gpr[GPR_RDX] = r[3];
    log_debug("exit", "CPUID leaf 0x%x.%x -> %08x %08x %08x %08x", leaf, sub, r[0], r[1], r[2], r[3]);
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}
