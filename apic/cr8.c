/* CR8, the task-priority register as a control register (SDM Vol.3A 10.8.6.1: CR8[3:0] is
 * TPR[7:4]; MOV to/from CR8 exists in 64-bit mode only).
 *
 * With the TPR shadow (apicv) the CPU reads and writes the virtual TPR for MOV CR8 itself
 * (SDM 29.3). On the decode path there is no TPR shadow, and a MOV to CR8 would write the
 * physical APIC's TPR: vmxlab sets "CR8-load exiting" and "CR8-store exiting" (SDM 24.6.2)
 * and carries both out on the virtual APIC's TPR, the register the guest's MMIO TPR accesses
 * reach, so the two views agree. Exit 28 with CR number 8 (qualification, SDM Table 27-3). */
#include "apic/apic_internal.h"
#include "kernel/log.h"
#include "vmx/exit.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_defs.h"

static exit_handler_t vmx_cr_access;   /* vmx's handler, for CR0 and CR4 */

static enum exit_action cr8_access(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    uint64_t q = v->exit_qualification;
    unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
    if (cr != 8)
        return vmx_cr_access(v);
    if (type == 0) { /* MOV to CR8: bits 63:4 reserved, #GP if set (SDM Vol.2 MOV-Control Registers) */
        uint64_t value = reg == GPR_RSP ? vcpu_read_rsp(v) : v->gpr[reg];
        if (value & ~0xFull) {
            log_info("apic", "vcpu%u: MOV to CR8 of 0x%llx sets reserved bits: #GP", v->id, (unsigned long long)value);
            inject_gp(v);
            return EXIT_RESUME;
        }
        if (vlapic_write(&a->vl, APIC_TPR, 4, (uint32_t)value << 4) != VLAPIC_NO_EFFECT)
            apic_irq_reevaluate(v);   /* the TPR's class went down: a pending vector may be deliverable */
        log_debug("apic", "vcpu%u: MOV to CR8 0x%llx: virtual TPR 0x%02x", v->id, (unsigned long long)value,
                  vlapic_reg(&a->vl, APIC_TPR));
    } else if (type == 1) { /* MOV from CR8 */
        uint64_t value = (vlapic_reg(&a->vl, APIC_TPR) >> 4) & 0xF;
        if (reg == GPR_RSP)
            vmcs_write(VMCS_GUEST_RSP, value);
        v->gpr[reg] = value;
        log_debug("apic", "vcpu%u: MOV from CR8: 0x%llx (virtual TPR 0x%02x)", v->id, (unsigned long long)value,
                  vlapic_reg(&a->vl, APIC_TPR));
    } else {
        return vmx_cr_access(v);
    }
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

void apic_cr8_setup(struct vcpu *v)
{
    uint32_t missing = 0;
    if (!vmx_ctl_change(v, VMX_CTL_PROC, CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING, 0, &missing)) {
        log_warn("apic", "the CPU cannot make MOV CR8 exit (missing 0x%08x): a 64-bit guest's CR8 reaches the "
                         "physical TPR", missing);
        return;
    }
    if (vmx_cr_access)
        return;    /* the handler is machine-wide: chained once, with the first vCPU */
    vmx_cr_access = exit_handler_get(EXIT_REASON_CR_ACCESS);
    exit_handler_set(EXIT_REASON_CR_ACCESS, cr8_access);
}
