/*
 * guest_check.h - a software VM-entry checker for the guest-state area.
 *
 * When VM entry fails with exit reason 33 ("VM-entry failure due to invalid
 * guest state") the CPU says nothing about which rule it applied. This checker
 * replays SDM Vol.3C 26.3.1 ("Checks on the Guest State Area") in the order the
 * manual lists them and names the FIRST rule that fails: the VMCS field, its
 * value, the rule and its section (after ramooflax's
 * vmx_exit_invg.c).
 *
 *   26.3.1.1 control registers, debug registers and MSRs
 *   26.3.1.2 segment registers
 *   26.3.1.3 descriptor-table registers
 *   26.3.1.4 RIP and RFLAGS
 *   26.3.1.5 non-register state (activity, interruptibility, pending debug
 *            exceptions, VMCS link pointer)
 *
 * Pure logic: guest_check_read.c fills struct guest_state from the current VMCS;
 * host unit tests fill it by hand. Not covered: 26.3.1.6 (PDPTEs: needs guest
 * memory), the CET, PKRS, BNDCFGS, RTIT_CTL and PERF_GLOBAL_CTRL fields (vmxlab
 * loads none of them), SMM-only rules beyond the SMI-blocking bit, and the
 * processor-specific widths the caps do not carry (MAXPHYADDR: CR3 is checked
 * against the architectural maximum of 52 bits).
 */
#ifndef VMX_GUEST_CHECK_H
#define VMX_GUEST_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmx/vmx_defs.h"
#include "vmx/vmx_caps.h"

/* One segment register as the VMCS holds it (24.4.1). access_rights is the
 * VMCS format: bits 3:0 type, 4 S, 6:5 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G,
 * 16 unusable, everything else reserved. */
struct guest_seg {
    uint16_t selector;
    uint64_t base;
    uint32_t limit;
    uint32_t access_rights;
};

/* VMCS order (B.1.2): ES, CS, SS, DS, FS, GS, LDTR, TR */
enum guest_seg_id { GSEG_ES, GSEG_CS, GSEG_SS, GSEG_DS, GSEG_FS, GSEG_GS, GSEG_LDTR, GSEG_TR, GSEG_COUNT };

/* Everything 26.3.1 looks at: the guest-state area plus the controls the rules
 * depend on (unrestricted guest, IA-32e mode guest, load PAT/EFER/debug
 * controls, virtual NMIs, event injection). */
struct guest_state {
    uint64_t cr0, cr3, cr4, dr7, rsp, rip, rflags, ia32_efer, ia32_pat, ia32_debugctl, vmcs_link_pointer, pending_dbg;
    uint64_t sysenter_esp, sysenter_eip;
    struct guest_seg seg[GSEG_COUNT];
    uint64_t gdtr_base, idtr_base;
    uint32_t gdtr_limit, idtr_limit;
    uint32_t activity_state, interruptibility;
    uint32_t pin_ctls, proc_ctls, proc2_ctls, entry_ctls, entry_intr_info;
};

struct guest_check_failure {
    const char *field;      /* VMCS field name without "VMCS_", e.g. "GUEST_TR_ACCESS_RIGHTS" */
    uint64_t value;         /* that field's value */
    const char *rule;       /* e.g. "TR type must be 11 (busy 32-bit TSS) or 3 (busy 16-bit TSS)" */
    const char *section;    /* e.g. "26.3.1.2" */
};

/* True when every rule passes (f is then untouched). Otherwise false, with the
 * first failing rule in *f. caps supplies the CR0/CR4 fixed bits, the activity
 * states of IA32_VMX_MISC and the linear-address width (57 bits when CR4.LA57
 * may be 1, else 48). All strings are static. */
bool guest_state_check(const struct guest_state *g, const struct vmx_caps *caps,
                       struct guest_check_failure *f);

/* Fill *g from the current VMCS (guest_check_read.c; kernel only). */
void guest_state_read(struct guest_state *g);

#endif /* VMX_GUEST_CHECK_H */
