/* CPUID for the guest (SDM Vol.3C 25.1.2: CPUID always exits in VMX non-root operation):
 * the host's answer, with what vmxlab cannot give hidden (vmx/cpuid_view.h), the hypervisor
 * leaves 0x40000000-0x400000FF, then a module's filter (apic hides x2APIC). */
#include "arch/x86_64/cpu.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "vmx/exit_handlers.h"
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
 * = CR4.OSXSAVE, CPUID.(EAX=07H,ECX=0):ECX[4] OSPKE = CR4.PKE (SDM Vol.2A CPUID, Tables 3-8 and
 * 3-10). vmxlab owns neither bit (guest/host mask), so the guest-CR4 field holds the guest's.
 * Without this, Debian's busybox executes XGETBV on the word of CPUID after Linux turned XSAVE
 * off, and dies of #UD. Read at every CPUID of these two leaves: the guest's CR4 changes. */
#define CPUID_1_ECX_MONITOR (1u << 3)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_7_ECX_OSPKE (1u << 4)
static void guest_cr4_bits(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    if (leaf != 1 && !(leaf == 7 && sub == 0))
        return;
    uint64_t cr4 = vmcs_read_hot(VMCS_GUEST_CR4);
    if (leaf == 1)
        r[CPUID_ECX] = (r[CPUID_ECX] & ~CPUID_1_ECX_OSXSAVE) | (cr4 & CR4_OSXSAVE ? CPUID_1_ECX_OSXSAVE : 0);
    else
        r[CPUID_ECX] = (r[CPUID_ECX] & ~CPUID_7_ECX_OSPKE) | (cr4 & CR4_PKE ? CPUID_7_ECX_OSPKE : 0);
}

/* The guest's answer without the CR4 bits: the host's, with the view and the module's filter
 * applied; or vmxlab's hypervisor leaves. */
static void guest_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    if (leaf >= 0x40000000 && leaf <= 0x400000FF) {
        /* the hypervisor range: a vendor signature (by convention EBX:ECX:EDX) */
        r[0] = leaf == 0x40000000 ? 0x40000000 : 0;
        r[1] = leaf == 0x40000000 ? 0x6c786d76 : 0; /* "vmxl" */
        r[2] = leaf == 0x40000000 ? 0x00006261 : 0; /* "ab" */
        r[3] = 0;
    } else {
        host_cpuid(leaf, sub, r);
        cpuid_view_apply(&vmx.cpuid, leaf, sub, r);
        if (leaf == 1)
            r[CPUID_ECX] &= ~CPUID_1_ECX_MONITOR; /* MONITOR/MWAIT: hidden, they exit and get #UD (interrupts.c) */
    }
    if (cpuid_filter)
        cpuid_filter(v, leaf, sub, r);
}

/* The table: the leaves whose answer takes no subleaf (ECX is ignored, SDM Vol.2A CPUID,
 * Table 3-8) and does not change while the guest runs, up to the CPU's highest leaf (above
 * it the CPU answers with its highest basic leaf: those go the long way). The leaves with
 * subleaves (04H, 07H, 0BH, 0DH, 0FH, 10H, 12H, 14H, 17H, 18H, 1BH, 1DH-1FH) and the
 * hypervisor range go the long way too: host CPUID, view, filter at every exit. */
#define CPUID_FLAT_BASIC (1u << 0 | 1u << 1 | 1u << 2 | 1u << 3 | 1u << 5 | 1u << 6 | 1u << 9 | 1u << 0xA | \
                          1u << 0x15 | 1u << 0x16 | 1u << 0x19 | 1u << 0x1A | 1u << 0x1C)

void vmx_cpuid_table_build(struct vcpu *v)
{
    uint32_t max_basic = cpuid(0, 0).eax, max_ext = cpuid(0x80000000, 0).eax, r[4];
    v->cpuid_basic_valid = v->cpuid_ext_valid = 0;
    for (uint32_t i = 0; i < CPUID_TABLE_BASIC && i <= max_basic; i++)
        if (CPUID_FLAT_BASIC >> i & 1) {
            guest_cpuid(v, i, 0, r);
            for (unsigned k = 0; k < 4; k++)
                v->cpuid_basic[k][i] = r[k];
            v->cpuid_basic_valid |= 1u << i;
        }
    for (uint32_t i = 0; i < CPUID_TABLE_EXT && 0x80000000u + i <= max_ext; i++) {
        guest_cpuid(v, 0x80000000u + i, 0, r);
        for (unsigned k = 0; k < 4; k++)
            v->cpuid_ext[k][i] = r[k];
        v->cpuid_ext_valid |= 1u << i;
    }
    /* exit_cpuid()'s own leaves: not leaf 1 (its OSXSAVE bit is the guest's CR4's), and none
     * at log=debug, where every CPUID is logged (by exit_cpuid_other()) */
    v->cpuid_short = log_enabled(LOG_DEBUG) ? 0 : v->cpuid_basic_valid & ~(1u << 1);
    log_debug(vcpu_tag(v), "CPUID table: basic leaves 0x%08x (bit = leaf), extended 0x%03x", v->cpuid_basic_valid,
              v->cpuid_ext_valid);
}

static __attribute__((noinline)) enum exit_action exit_cpuid_long(struct vcpu *v)
{
    uint32_t leaf = (uint32_t)v->gpr[GPR_RAX], sub = (uint32_t)v->gpr[GPR_RCX], r[4];
    guest_cpuid(v, leaf, sub, r);
    guest_cr4_bits(leaf, sub, r);
    v->gpr[GPR_RAX] = r[0], v->gpr[GPR_RBX] = r[1], v->gpr[GPR_RCX] = r[2], v->gpr[GPR_RDX] = r[3];
    log_debug("exit", "CPUID leaf 0x%x.%x -> %08x %08x %08x %08x", leaf, sub, r[0], r[1], r[2], r[3]);
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

/* The table's other leaves (leaf 1, whose OSXSAVE bit comes from the guest's CR4; the
 * extended leaves; any at log=debug), else the long way. */
static __attribute__((noinline)) enum exit_action exit_cpuid_other(struct vcpu *v)
{
    uint32_t leaf = (uint32_t)v->gpr[GPR_RAX], r[4];
    if (leaf < CPUID_TABLE_BASIC && (v->cpuid_basic_valid >> leaf & 1))
        for (unsigned k = 0; k < 4; k++)
            r[k] = v->cpuid_basic[k][leaf];
    else if (leaf - 0x80000000u < CPUID_TABLE_EXT && (v->cpuid_ext_valid >> (leaf - 0x80000000u) & 1))
        for (unsigned k = 0; k < 4; k++)
            r[k] = v->cpuid_ext[k][leaf - 0x80000000u];
    else
        return exit_cpuid_long(v);
    guest_cr4_bits(leaf, 0, r);
    v->gpr[GPR_RAX] = r[0], v->gpr[GPR_RBX] = r[1], v->gpr[GPR_RCX] = r[2], v->gpr[GPR_RDX] = r[3];
    log_debug("exit", "CPUID leaf 0x%x -> %08x %08x %08x %08x (table)", leaf, r[0], r[1], r[2], r[3]);
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

/* CPUID always exits in VMX non-root operation (SDM Vol.3C 25.1.2 "Instructions That Cause VM
 * Exits Unconditionally"): a basic leaf without subleaves answered from the table (the four
 * registers; CPUID zeroes bits 63:32 of each, SDM Vol.2A CPUID), the rest in exit_cpuid_other(). */
EXIT_PATH_FN enum exit_action exit_cpuid(struct vcpu *v)
{
    uint64_t leaf = (uint32_t)v->gpr[GPR_RAX];
    if (__builtin_expect(leaf >= CPUID_TABLE_BASIC || !(v->cpuid_short >> leaf & 1), 0))
        return exit_cpuid_other(v);
    v->gpr[GPR_RAX] = v->cpuid_basic[CPUID_EAX][leaf];
    v->gpr[GPR_RBX] = v->cpuid_basic[CPUID_EBX][leaf];
    v->gpr[GPR_RCX] = v->cpuid_basic[CPUID_ECX][leaf];
    v->gpr[GPR_RDX] = v->cpuid_basic[CPUID_EDX][leaf];
    vcpu_skip_instruction_hot(v);
    return EXIT_RESUME;
}
