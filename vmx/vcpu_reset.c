/* The vmx half of the INIT path, top to bottom (docs/apic-init.md has the whole path):
 *
 *   vcpu_request       a vCPU leaves another (or itself) an INIT, a SIPI, an interrupt or an NMI
 *   vcpu_take_requests the target, on its own CPU before its next VM entry, takes them: INIT
 *                      and SIPI go up to apic (the request handler apic installed, apic/ipi.c
 *                      apic_take_requests), which calls down into
 *   vcpu_init_reset    the Table 9-1 state (vmx/init_state.c, data) into the VMCS; then, while
 *                      the vCPU waits for SIPI, vcpu_take_requests waits with HLT.
 *
 * Requests. A vCPU's VMCS is current on its own CPU only (SDM Vol.3C 24.1 "Overview"), so no
 * vCPU writes another's guest state: an INIT, a SIPI, an interrupt or an NMI for another vCPU
 * becomes a bit in the target's `requests`, and the target takes the bits before its next VM
 * entry (KVM's kvm_apic_accept_events and Jailhouse's x86_check_events do the same). A target
 * on another CPU is kicked with an NMI IPI (kernel/smp.c): in VMX non-root operation an NMI is
 * a VM exit (reason 0, SDM 24.6.1 "Pin-Based VM-Execution Controls", 25.2 "Other Causes of VM
 * Exits"), in root operation it ends the idle HLT. The sender counts the kick in the target's
 * `kicks_owed`, so the target tells vmxlab's NMI from one that is the guest's (vmx/nmi.c).
 *
 * Waiting. A vCPU in the wait-for-SIPI state (an AP before the guest starts it, or after an
 * INIT) has no guest state to run: its CPU waits with HLT in root operation, with IF=0, and only
 * a kick wakes it. Bochs 2.7 never leaves the hardware wait-for-SIPI activity state on its own
 * (docs/apic-init.md), and a spinning CPU would halve the guest's speed in the emulator.
 *
 * The INIT reset. The state is the data of vmx/init_state.c (SDM Vol.3A 9.1 "Initialization
 * Overview", Table 9-1, plus the VMX side); this file gathers the inputs, writes the VMCS fields
 * and the registers VM entry does not load, and flushes the TLBs. What INIT keeps is kept:
 * memory, the x87/SSE state, MSRs, and the external-interrupt vectors vmx holds for the guest
 * (v->held): they arrived from real devices and are still owed to the guest, whose fresh IVT
 * will take them once it sets IF again. The virtual local APIC is reset by apic/ (it owns it),
 * except its ID. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_local.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "vmx/inject.h"
#include "vmx/init_state.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_caps.h"
#include "vmx/vmx_defs.h"
#include "vmx/vmx_internal.h"

/* ---- requests --------------------------------------------------------------------------- */
static void (*request_handler)(struct vcpu *v, uint32_t req);

void vcpu_request_handler_set(void (*fn)(struct vcpu *v, uint32_t req)) { request_handler = fn; }

void vcpu_request(struct vcpu *from, struct vcpu *to, uint32_t req)
{
    __atomic_fetch_or(&to->requests, req, __ATOMIC_SEQ_CST);
    if (to == from)
        return;   /* taken before from's own next entry */
    __atomic_fetch_add(&to->kicks_owed, 1, __ATOMIC_SEQ_CST);
    smp_kick(to->id);
}

/* Before each VM entry: take the requests; while the vCPU waits for SIPI, wait for the next
 * with HLT. */
void vcpu_take_requests(struct vcpu *v)
{
    for (;;) {
        uint32_t req = __atomic_exchange_n(&v->requests, 0, __ATOMIC_ACQ_REL);
        if (req & VCPU_REQ_STOP)
            vcpu_halt_for_good(v);
        if (req & VCPU_REQ_TLB_FLUSH)
            vmx_flush_tlb(v);   /* another vCPU changed EPT entries (the A20 wrap, vmx/a20.c) */
        if (req & VCPU_REQ_NMI)
            inject_nmi(v);
        if ((req & (VCPU_REQ_INIT | VCPU_REQ_SIPI | VCPU_REQ_IRQ)) && request_handler)
            request_handler(v, req);
        if (!v->wait_for_sipi)
            return;
        /* idle: a request that lands between the test and the HLT sends an NMI, which
         * cpu_idle_halt does not sleep through */
        v->idle = true;
        v->idle_waits++;
        if (!__atomic_load_n(&v->requests, __ATOMIC_ACQUIRE))
            cpu_idle_halt();
        v->idle = false;
    }
}

/* entry.asm, when its last look before an entry finds requests or wait-for-SIPI */
void vmx_entry_requests(struct vcpu *v);
void vmx_entry_requests(struct vcpu *v)
{
    vcpu_take_requests(v);
    intr_before_entry(v);
}

/* ---- the INIT reset ------------------------------------------------------------------------ */
/* SDM Vol.3A 9.1.4 "First Instruction Executed": after reset, F000:FFF0 with CS base FFFF0000 */
struct vcpu_start vcpu_reset_vector(void)
{
    return (struct vcpu_start){INIT_RESET_CS_SELECTOR, INIT_RESET_CS_BASE, INIT_RESET_RIP};
}

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
    uint64_t mask = vmcs_read_hot(VMCS_CR0_GUEST_HOST_MASK);
    return (vmcs_read_hot(VMCS_GUEST_CR0) & ~mask) | (vmcs_read_hot(VMCS_CR0_READ_SHADOW) & mask);
}

/* The INIT's writes, kept per vCPU (v->init_cache, a page from the pool), built once at setup
 * (vcpu_init_prepare) and written unchecked at each INIT (docs/performance.md). They depend on
 * the inputs below but for the restart point, which is patched in (three stores). */
struct init_cache {
    struct init_params p;
    size_t n;
    size_t at_cs_selector, at_cs_base, at_rip; /* the restart point's slots in fields[] */
    struct init_field fields[INIT_FIELDS_MAX];
    struct init_regs regs;
};
_Static_assert(sizeof(struct init_cache) <= 4096, "one page");

/* The inputs of Table 9-1's values, as far as they matter: CR0's CD and NW, the entry
 * controls without "IA-32e mode guest" (both are all INIT keeps of them). */
static void init_inputs(struct init_params *p)
{
    const struct vmx_caps *caps = vmx_caps();
    bool ug = vmcs_read_hot(VMCS_CTRL_PROC_BASED2) & SECONDARY_UNRESTRICTED_GUEST;
    p->old_cr0 = guest_visible_cr0() & (CR0_CD | CR0_NW);
    p->signature = cpuid(1, 0).eax;
    p->cr0_fixed0 = vmx_guest_cr0_fixed0(caps, ug);
    p->cr0_fixed1 = caps->cr0_fixed1;
    p->cr4_fixed0 = caps->cr4_fixed0;
    p->cr4_fixed1 = caps->cr4_fixed1;
    p->entry_controls = (uint32_t)vmcs_read_hot(VMCS_CTRL_ENTRY) & ~ENTRY_IA32E_MODE_GUEST;
    p->activity_state = GUEST_ACTIVITY_ACTIVE;
}

static bool same_inputs(const struct init_params *a, const struct init_params *b)
{
    return a->old_cr0 == b->old_cr0 && a->signature == b->signature && a->cr0_fixed0 == b->cr0_fixed0 &&
           a->cr0_fixed1 == b->cr0_fixed1 && a->cr4_fixed0 == b->cr4_fixed0 && a->cr4_fixed1 == b->cr4_fixed1 &&
           a->entry_controls == b->entry_controls && a->activity_state == b->activity_state;
}

static void build(struct init_cache *c, const struct init_params *p)
{
    c->p = *p;
    c->n = init_state_build(p, c->fields, INIT_FIELDS_MAX);
    if (c->n > INIT_FIELDS_MAX)
        panic("vcpu_init_reset: %zu INIT fields, room for %d", c->n, INIT_FIELDS_MAX);
    for (size_t i = 0; i < c->n; i++) {
        if (c->fields[i].field == VMCS_GUEST_CS_SELECTOR)
            c->at_cs_selector = i;
        else if (c->fields[i].field == VMCS_GUEST_CS_BASE)
            c->at_cs_base = i;
        else if (c->fields[i].field == VMCS_GUEST_RIP)
            c->at_rip = i;
    }
    init_state_regs(p, &c->regs);
}

void vcpu_init_prepare(struct vcpu *v)
{
    struct init_params p = {0};
    init_inputs(&p);
    build(v->init_cache, &p);
}

void vcpu_init_reset(struct vcpu *v, const struct vcpu_start *start)
{
    struct init_params p = {0};
    init_inputs(&p);
    struct init_cache local, *c = v->init_cache; /* no cache (host tests): build on the stack */
    if (!c) {
        c = &local;
        c->n = 0;
    }
    if (!c->n || !same_inputs(&c->p, &p))
        build(c, &p); /* the guest changed CD/NW since the last INIT: rare */
    c->fields[c->at_cs_selector].value = start->cs_selector;
    c->fields[c->at_cs_base].value = start->cs_base;
    c->fields[c->at_rip].value = start->rip;
    size_t n = c->n;
#pragma GCC unroll 4 /* some 55 writes: the loop's own test and increment count too */
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
