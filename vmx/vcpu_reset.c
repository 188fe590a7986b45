/* vcpu_init_reset(): a software INIT of one vCPU. The state is the data of vmx/init_state.c
 * (SDM Vol.3A 9.1, Table 9-1, plus the VMX side); this file only gathers the inputs, writes the
 * VMCS fields and the registers VM entry does not load, and flushes the TLBs.
 *
 * What INIT keeps is kept: memory, the x87/SSE state, MSRs, and the external-interrupt vectors
 * vmx holds for the guest (v->held): they arrived from real devices and are still owed to the
 * guest, whose fresh IVT will take them once it sets IF again. The virtual local APIC is reset
 * by apic/ (it owns it), except its ID. */
#include "arch/x86_64/cpu.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "vmx/init_state.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_caps.h"
#include "vmx/vmx_defs.h"
#include "vmx/vmx_internal.h"

#define INIT_FIELDS_MAX 64

/* CR2, DR0-DR3 and DR6 are not VMCS fields: VM entry and exit leave them alone, so the guest
 * sees the values the host leaves in the registers. vmxlab's host never uses them (a host
 * page fault is fatal before CR2 matters), so writing them here is writing the guest's. */
static void load_cpu_regs(const struct init_regs *r)
{
    write_cr2(r->cpu[INIT_REG_CR2]);
    write_dr0(r->cpu[INIT_REG_DR0]);
    write_dr1(r->cpu[INIT_REG_DR1]);
    write_dr2(r->cpu[INIT_REG_DR2]);
    write_dr3(r->cpu[INIT_REG_DR3]);
    write_dr6(r->cpu[INIT_REG_DR6]);
}

/* The guest's view of CR0: bits it owns from the real CR0, host-owned bits from the shadow. */
static uint64_t guest_visible_cr0(void)
{
    uint64_t mask = vmcs_read(VMCS_CR0_GUEST_HOST_MASK);
    return (vmcs_read(VMCS_GUEST_CR0) & ~mask) | (vmcs_read(VMCS_CR0_READ_SHADOW) & mask);
}

/* The last INIT's writes, kept per vCPU (v->init_cache, a page from the pool): the next INIT
 * with the same inputs (a guest that INITs itself over and over, an OS that restarts an AP)
 * writes them again without building them (docs/performance.md). */
struct init_cache {
    struct init_params p;
    size_t n;
    struct init_field fields[INIT_FIELDS_MAX];
    struct init_regs regs;
};
_Static_assert(sizeof(struct init_cache) <= 4096, "one page");

void vcpu_init_reset(struct vcpu *v, const struct vcpu_start *start)
{
    const struct vmx_caps *caps = vmx_caps();
    bool ug = vmcs_read(VMCS_CTRL_PROC_BASED2) & SECONDARY_UNRESTRICTED_GUEST;
    struct init_params p;
    memset(&p, 0, sizeof(p)); /* compared as bytes below: no stray padding */
    p.cs_selector = start->cs_selector;
    p.cs_base = start->cs_base;
    p.rip = start->rip;
    p.old_cr0 = guest_visible_cr0();
    p.signature = cpuid(1, 0).eax;
    p.cr0_fixed0 = vmx_guest_cr0_fixed0(caps, ug);
    p.cr0_fixed1 = caps->cr0_fixed1;
    p.cr4_fixed0 = caps->cr4_fixed0;
    p.cr4_fixed1 = caps->cr4_fixed1;
    p.entry_controls = (uint32_t)vmcs_read(VMCS_CTRL_ENTRY);
    p.activity_state = GUEST_ACTIVITY_ACTIVE;

    struct init_cache local, *c = v->init_cache ? v->init_cache : &local;
    if (c == &local || !c->n || memcmp(&c->p, &p, sizeof(p))) {
        c->p = p;
        c->n = init_state_build(&p, c->fields, INIT_FIELDS_MAX);
        if (c->n > INIT_FIELDS_MAX)
            panic("vcpu_init_reset: %zu INIT fields, room for %d", c->n, INIT_FIELDS_MAX);
        init_state_regs(&p, &c->regs);
    }
    size_t n = c->n;
    for (size_t i = 0; i < n; i++)
        vmcs_write_hot(c->fields[i].field, c->fields[i].value);
    memcpy(v->gpr, c->regs.gpr, sizeof(v->gpr));
    load_cpu_regs(&c->regs);

    /* No event survives INIT: neither one vmx set up for this entry nor the re-injection of
     * a delivery this exit interrupted (IDT-vectoring information). Held interrupts stay. */
    v->idt_info = 0;
    v->event_set = false;
    vmx_flush_tlb(v);
    v->init_count++;
    log_debug("vcpu", "vcpu%u: INIT state written (%zu VMCS fields), CR0 %08llx under shadow %08llx, EDX %08x",
              v->id, n, (unsigned long long)vmcs_read(VMCS_GUEST_CR0),
              (unsigned long long)vmcs_read(VMCS_CR0_READ_SHADOW), p.signature);
}
