/* Control-register accesses and XSETBV: the writes that exit instead of executing (SDM Vol.3C
 * 25.1.3, 25.1.2), checked as the CPU would check them (vmx/cr_rules.c) before vmxlab does
 * them for the guest. A write the CPU would refuse gets #GP(0) and one info line naming the
 * rule; an accepted one keeps "IA-32e mode guest" and EFER.LMA in step with CR0.PG, loads the
 * PDPTEs for PAE paging, and flushes the guest's TLB where the instruction would have. */
#include "arch/x86_64/cpu.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "vmx/exit_handlers.h"
#include "vmx/cr_rules.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_asm.h"
#include "vmx/vmx_internal.h"

/* The guest's CR0/CR4 as it sees them: owned bits from the read shadows (SDM 25.3) */
static uint64_t guest_cr0(void)
{
    return (vmcs_read(VMCS_GUEST_CR0) & ~vmx.cr0_mask) | (vmcs_read(VMCS_CR0_READ_SHADOW) & vmx.cr0_mask);
}

static uint64_t guest_cr4(void)
{
    return (vmcs_read(VMCS_GUEST_CR4) & ~vmx.cr4_mask) | (vmcs_read(VMCS_CR4_READ_SHADOW) & vmx.cr4_mask);
}

static struct cr_state guest_cr_state(void)
{
    return (struct cr_state){guest_cr0(), vmcs_read(VMCS_GUEST_CR3), guest_cr4(), vmcs_read(VMCS_GUEST_IA32_EFER),
                             (vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS) >> 13 & 1) != 0};
}

/* SDM 4.10.4.1: what the guest's MOV to CR would have invalidated. With VPID the guest's
 * translations survive VM exits and entries (SDM 28.3.3.3), so vmxlab flushes its VPID;
 * without VPID every VM entry and exit flushes them already. */
static void guest_tlb_flush(struct vcpu *v) { vmx_flush_vpid(v); }

/* PAE paging (CR0.PG=1, CR4.PAE=1, EFER.LME=0) with EPT: VM entry takes the four PDPTEs from
 * the guest-state area (SDM 26.3.2.4), where MOV to CR0 would have loaded them from CR3
 * (SDM 4.4.1); a present one with a reserved bit set is #GP(0) for the MOV. */
static const char *load_pdptes(uint64_t cr3)
{
    unsigned maxphy = cpuid(0x80000000, 0).eax >= 0x80000008 ? cpuid(0x80000008, 0).eax & 0xFF : 36;
    uint64_t reserved = 0x1E6ull | ~((1ull << maxphy) - 1), pdpte[4], pa;
    if (!guest_linear_to_phys(0, cr3 & 0xFFFFFFE0u, 32, &pa)) /* guest-physical, paging not on yet */
        return "the PDPT at CR3 is not guest memory";
    memcpy(pdpte, phys_to_virt(pa), sizeof(pdpte));
    for (unsigned i = 0; i < 4; i++)
        if ((pdpte[i] & 1) && (pdpte[i] & reserved))
            return "a present PDPTE has a reserved bit set (SDM 4.4.1)";
    for (unsigned i = 0; i < 4; i++)
        vmcs_write(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
    return 0;
}

static const char *guest_write_cr0(struct vcpu *v, uint64_t value)
{
    struct cr_state s = guest_cr_state();
    const char *fault = cr0_write_fault(&s, value);
    if (fault)
        return fault;
    /* SDM 4.4.1: a MOV to CR0 that results in PAE paging and changes PG, CD or NW loads them */
    bool pae_paging = (value & CR0_PG) && (s.cr4 & CR4_PAE) && !(s.efer & EFER_LME);
    if (pae_paging && ((value ^ s.cr0) & (CR0_PG | CR0_CD | CR0_NW)) && (fault = load_pdptes(s.cr3)) != 0)
        return fault;
    vmcs_write(VMCS_CR0_READ_SHADOW, value & vmx.cr0_mask);
    vmcs_write(VMCS_GUEST_CR0, vmx_guest_cr0_real(value));
    /* CR0.PG with EFER.LME: the guest enters IA-32e mode; the entry control and EFER.LMA follow
     * (SDM 9.8.5, 26.3.1.1) */
    if ((value ^ s.cr0) & CR0_PG) {
        bool lma = (value & CR0_PG) && (s.efer & EFER_LME);
        vmcs_write(VMCS_GUEST_IA32_EFER, lma ? s.efer | EFER_LMA : s.efer & ~EFER_LMA);
        vmx_ctl_change(v, VMX_CTL_ENTRY, lma ? ENTRY_IA32E_MODE_GUEST : 0, lma ? 0 : ENTRY_IA32E_MODE_GUEST, 0);
        log_debug("exit", "guest CR0.PG=%d%s", (int)!!(value & CR0_PG), lma ? " with EFER.LME: IA-32e mode" : "");
    }
    if (cr0_write_flushes_tlb(s.cr0, value))
        guest_tlb_flush(v);
    return 0;
}

static const char *guest_write_cr4(struct vcpu *v, uint64_t value)
{
    struct cr_state s = guest_cr_state();
    /* the CPU's CR4 bits (IA32_VMX_CR4_FIXED1), less VMXE: VMX is hidden (vmx/cpuid.c) */
    const char *fault = cr4_write_fault(&s, value, vmx.caps.cr4_fixed1 & ~CR4_VMXE);
    if (fault)
        return fault;
    vmcs_write(VMCS_CR4_READ_SHADOW, value & vmx.cr4_mask);
    vmcs_write(VMCS_GUEST_CR4, vmx_guest_cr4_real(value));
    if (cr4_write_flushes_tlb(s.cr4, value))
        guest_tlb_flush(v);
    return 0;
}

/* SDM 25.1.3; qualification: Table 27-3 */
enum exit_action exit_cr_access(struct vcpu *v)
{
    uint64_t q = v->exit_qualification;
    unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
    uint64_t value = reg == GPR_RSP ? vcpu_read_rsp(v) : v->gpr[reg];
    const char *fault = 0;
    switch (type) {
    case 0: /* MOV to CR */
        if (cr == 0) {
            fault = guest_write_cr0(v, value);
        } else if (cr == 4) {
            fault = guest_write_cr4(v, value);
        } else {
            log_error("exit", "MOV to CR%u: vmxlab's controls make only CR0 and CR4 writes exit", cr);
            v->stop_status = STATUS_INTERNAL;
            return EXIT_STOP;
        }
        break;
    case 3: { /* LMSW: bits 3:0 of CR0, cannot clear PE (SDM Vol.2 LMSW) */
        uint64_t cur = guest_cr0(), src = (q >> 16) & 0xF;
        value = (cur & ~0xEull) | (src & 0xE) | ((cur | src) & 1);
        fault = guest_write_cr0(v, value);
        break;
    }
    default:
        log_error("exit", "control-register access type %u to CR%u not expected with vmxlab's controls", type, cr);
        v->stop_status = STATUS_INTERNAL;
        return EXIT_STOP;
    }
    if (fault) {
        log_info("exit", "%s CR%u 0x%llx at 0x%llx refused: %s: injecting #GP(0)", type == 3 ? "LMSW to" : "MOV to", cr,
                 (unsigned long long)value, (unsigned long long)v->rip, fault);
        inject_gp(v);
        return EXIT_RESUME;
    }
    log_debug("exit", "MOV to CR%u 0x%llx (type %u)", cr, (unsigned long long)value, type);
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

/* XSETBV always exits (SDM 25.1.2), after the CPU's own checks: #UD for CR4.OSXSAVE=0 and
 * #GP for CPL>0 come first (25.1.1). The value rules are vmxlab's to check; then it executes
 * XSETBV itself (its CR4.OSXSAVE is set for that: setup.c). */
enum exit_action exit_xsetbv(struct vcpu *v)
{
    uint32_t idx = (uint32_t)v->gpr[GPR_RCX];
    uint64_t value = (v->gpr[GPR_RDX] << 32) | (uint32_t)v->gpr[GPR_RAX];
    struct cpuid_regs d = cpuid(0xD, 0);
    const char *fault = xcr_write_fault(idx, value, ((uint64_t)d.edx << 32) | d.eax);
    if (vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS) & 0x60) /* CPL = SS.DPL (SDM 24.4.1): the CPU checks first */
        fault = "CPL is not 0";
    if (!fault && !(read_cr4() & CR4_OSXSAVE))
        fault = "vmxlab could not set its own CR4.OSXSAVE";
    if (fault) {
        log_info("exit", "XSETBV XCR%u=0x%llx refused: %s: injecting #GP(0)", idx, (unsigned long long)value, fault);
        inject_gp(v);
        return EXIT_RESUME;
    }
    xsetbv(idx, value);
    log_debug("exit", "XSETBV XCR0=0x%llx", (unsigned long long)value);
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}
