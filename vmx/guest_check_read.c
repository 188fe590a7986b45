/*
 * guest_check_read.c - fill struct guest_state from the current VMCS, for the
 * guest-state checker (guest_check.c). Kernel only: vmcs_read() is VMREAD
 * behind the fatal funnel (vmx/vcpu_ops.h).
 *
 * Call it after a VM-entry failure (exit reason 33): the guest-state area still
 * holds what the CPU refused, since the VM exit that reports a failed entry
 * saves no guest state (SDM 26.8).
 */
#include "vmx/guest_check.h"
#include "vmx/vcpu_ops.h"

/* VMCS encodings of one segment register, in enum guest_seg_id order (B.1.2,
 * B.3.3, B.4.3 all list ES, CS, SS, DS, FS, GS, LDTR, TR). */
static const struct {
    uint32_t selector, base, limit, access_rights;
} seg_enc[GSEG_COUNT] = {
    [GSEG_ES]   = { VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_ES_BASE, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_ACCESS_RIGHTS },
    [GSEG_CS]   = { VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_CS_BASE, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_ACCESS_RIGHTS },
    [GSEG_SS]   = { VMCS_GUEST_SS_SELECTOR, VMCS_GUEST_SS_BASE, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_ACCESS_RIGHTS },
    [GSEG_DS]   = { VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_DS_BASE, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_ACCESS_RIGHTS },
    [GSEG_FS]   = { VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_FS_BASE, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_ACCESS_RIGHTS },
    [GSEG_GS]   = { VMCS_GUEST_GS_SELECTOR, VMCS_GUEST_GS_BASE, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_ACCESS_RIGHTS },
    [GSEG_LDTR] = { VMCS_GUEST_LDTR_SELECTOR, VMCS_GUEST_LDTR_BASE, VMCS_GUEST_LDTR_LIMIT,
                    VMCS_GUEST_LDTR_ACCESS_RIGHTS },
    [GSEG_TR]   = { VMCS_GUEST_TR_SELECTOR, VMCS_GUEST_TR_BASE, VMCS_GUEST_TR_LIMIT, VMCS_GUEST_TR_ACCESS_RIGHTS },
};

void guest_state_read(struct guest_state *g)
{
    g->cr0 = vmcs_read(VMCS_GUEST_CR0);
    g->cr3 = vmcs_read(VMCS_GUEST_CR3);
    g->cr4 = vmcs_read(VMCS_GUEST_CR4);
    g->dr7 = vmcs_read(VMCS_GUEST_DR7);
    g->rsp = vmcs_read(VMCS_GUEST_RSP);
    g->rip = vmcs_read(VMCS_GUEST_RIP);
    g->rflags = vmcs_read(VMCS_GUEST_RFLAGS);
    g->ia32_debugctl = vmcs_read(VMCS_GUEST_IA32_DEBUGCTL);
    g->sysenter_esp = vmcs_read(VMCS_GUEST_IA32_SYSENTER_ESP);
    g->sysenter_eip = vmcs_read(VMCS_GUEST_IA32_SYSENTER_EIP);
    g->vmcs_link_pointer = vmcs_read(VMCS_VMCS_LINK_POINTER);
    g->pending_dbg = vmcs_read(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS);

    for (int i = 0; i < GSEG_COUNT; i++) {
        g->seg[i].selector = (uint16_t)vmcs_read(seg_enc[i].selector);
        g->seg[i].base = vmcs_read(seg_enc[i].base);
        g->seg[i].limit = (uint32_t)vmcs_read(seg_enc[i].limit);
        g->seg[i].access_rights = (uint32_t)vmcs_read(seg_enc[i].access_rights);
    }
    g->gdtr_base = vmcs_read(VMCS_GUEST_GDTR_BASE);
    g->gdtr_limit = (uint32_t)vmcs_read(VMCS_GUEST_GDTR_LIMIT);
    g->idtr_base = vmcs_read(VMCS_GUEST_IDTR_BASE);
    g->idtr_limit = (uint32_t)vmcs_read(VMCS_GUEST_IDTR_LIMIT);

    g->activity_state = (uint32_t)vmcs_read(VMCS_GUEST_ACTIVITY_STATE);
    g->interruptibility = (uint32_t)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY_STATE);

    g->pin_ctls = (uint32_t)vmcs_read(VMCS_CTRL_PIN_BASED);
    g->proc_ctls = (uint32_t)vmcs_read(VMCS_CTRL_PROC_BASED);
    /* The secondary controls field is unused (and may not exist) unless the
     * primary controls activate it (24.6.2, A.3.3). */
    g->proc2_ctls = (g->proc_ctls & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
                        ? (uint32_t)vmcs_read(VMCS_CTRL_PROC_BASED2) : 0;
    g->entry_ctls = (uint32_t)vmcs_read(VMCS_CTRL_ENTRY);
    g->entry_intr_info = (uint32_t)vmcs_read(VMCS_ENTRY_INTERRUPTION_INFO);

    /* The PAT and EFER fields exist only if the CPU supports loading or saving
     * them (B.2.3); read them only when the entry controls load them, which
     * is also the only time the checker looks at them. */
    g->ia32_pat = (g->entry_ctls & ENTRY_LOAD_IA32_PAT) ? vmcs_read(VMCS_GUEST_IA32_PAT) : 0;
    g->ia32_efer = (g->entry_ctls & ENTRY_LOAD_IA32_EFER) ? vmcs_read(VMCS_GUEST_IA32_EFER) : 0;
}
