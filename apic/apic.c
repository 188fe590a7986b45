/* The guest's local APIC: which way vmxlab traps it, the pages and controls that takes, and the
 * guest-visible pieces around it (IA32_APIC_BASE, CPUID). The rule every path but passthrough
 * keeps: the guest never reaches the physical APIC, so no guest write can make it send a real
 * INIT (docs/apic-init.md: the seed's endless exit-3 loop came from exactly that).
 *
 *   apicv       TPR shadow + APIC-register virtualization (SDM Vol.3C 29.1-29.5): most
 *               accesses are served from the virtual-APIC page; writes to registers with an
 *               effect (ICR low, EOI, SVR, LVT, timer) are APIC-write exits (56, trap-like,
 *               value in the page); reads the CPU does not virtualize (PPR, APR, timer count)
 *               are exit 44. Virtual-interrupt delivery is not used: vmx injects the virtual
 *               APIC's interrupts on both paths (docs/interrupts.md says why).
 *   decode      "virtualize APIC accesses" alone (29.4): every access is an APIC-access exit
 *               (44, fault-like); vmxlab decodes the instruction and emulates it (access.c).
 *   passthrough the seed's configuration, for teaching: EPT maps 0xFEE00000 straight through.
 */
#include "apic/apic.h"
#include "apic/apic_internal.h"
#include "arch/x86_64/cpu.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "vmx/exit.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_defs.h"

struct apic_state apic;

#define X2APIC_MSR_FIRST 0x800u   /* SDM 10.12.1.2: the x2APIC registers as MSRs 800h-8FFh */
#define X2APIC_MSR_LAST 0x8FFu
#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)

const char *apic_path_name(enum apic_path p)
{
    static const char *const names[] = {"apicv", "decode", "passthrough"};
    return names[p];
}

static uint64_t tsc_clock(void) { return rdtsc(); }

static __attribute__((noreturn)) void cannot(const char *what)
{
    log_error("apic", "%s", what);
    vmxlab_stop(STATUS_NO_VMX);
}

/* ---- choosing the path from the capability MSRs --------------------------------------- */
static const enum vmx_feature apicv_needs[] = {VMX_FEAT_VIRTUALIZE_APIC_ACCESSES, VMX_FEAT_TPR_SHADOW,
                                               VMX_FEAT_APIC_REGISTER_VIRTUALIZATION};

static const char *apicv_missing(void)
{
    const struct vmx_caps *c = vmx_caps();
    for (unsigned i = 0; i < ARRAY_SIZE(apicv_needs); i++)
        if (!c->has[apicv_needs[i]])
            return vmx_feature_name(apicv_needs[i]);
    /* the guest's interrupts go through its virtual APIC by external-interrupt exiting (irq.c) */
    if (!vmx_ctl_can_be_1(&c->ctl[VMX_CTL_PIN], 0))
        return "external-interrupt exiting";
    return 0;
}

static enum apic_path choose_path(const struct options *o)
{
    const char *miss = apicv_missing();
    bool access = vmx_caps()->has[VMX_FEAT_VIRTUALIZE_APIC_ACCESSES];
    char why[160];
    switch (o->apic) {
    case OPT_APIC_PASSTHROUGH:
        return APIC_PATH_PASSTHROUGH;
    case OPT_APIC_APICV:
        if (miss) {
            snprintf(why, sizeof(why), "apic=apicv: this CPU lacks %s (try apic=decode)", miss);
            cannot(why);
        }
        return APIC_PATH_APICV;
    case OPT_APIC_DECODE:
        if (!access)
            cannot("apic=decode: this CPU cannot virtualize APIC accesses");
        return APIC_PATH_DECODE;
    }
    if (!miss)
        return APIC_PATH_APICV;
    if (access) {
        log_info("apic", "apic=auto: this CPU lacks %s, so no APICv: decoding APIC accesses instead", miss);
        return APIC_PATH_DECODE;
    }
    cannot("apic=auto: this CPU cannot virtualize APIC accesses, and vmxlab does not let a guest reach the "
           "physical APIC; apic=passthrough runs the seed's configuration anyway");
}

static void control(struct vcpu *v, enum vmx_ctl ctl, uint32_t set)
{
    uint32_t missing = 0;
    if (!vmx_ctl_change(v, ctl, set, 0, &missing)) {
        char why[160];
        snprintf(why, sizeof(why), "the CPU refuses the control bits 0x%08x of %s", missing,
                 ctl == VMX_CTL_PIN ? "the pin-based controls" : ctl == VMX_CTL_PROC ? "the primary controls"
                                                                               : "the secondary controls");
        cannot(why);
    }
}

/* ---- IA32_APIC_BASE (SDM 10.4.4) ---------------------------------------------------------
 * Reads give the guest's value: base 0xFEE00000, enabled, BSP. Writes that would move the APIC
 * (the APIC-access page must stay where the guest's APIC is), disable it globally, or switch
 * to x2APIC mode (hidden: CPUID.1:ECX[21] = 0, SDM 10.12.1) are refused with #GP, which is
 * what a CPU does for the last one; for the first two vmxlab chooses refusal over following
 * the guest, and says so in the log. Writing the current value is allowed. */
static uint64_t base_reserved;

static bool base_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)msr;
    *value = apic_of(v)->base_msr;
    return true;
}

static bool base_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    (void)msr;
    if (value & base_reserved)
        log_info("apic", "vcpu%u: WRMSR IA32_APIC_BASE 0x%llx sets reserved bits: #GP", v->id, (unsigned long long)value);
    else if (value & APIC_BASE_EXTD)
        log_info("apic", "vcpu%u: WRMSR IA32_APIC_BASE 0x%llx enables x2APIC mode, which this guest does not have "
                         "(CPUID.1:ECX[21] = 0): #GP (SDM 10.12.1)", v->id, (unsigned long long)value);
    else if ((value & APIC_BASE_ADDR_MASK) != APIC_GUEST_BASE)
        log_info("apic", "vcpu%u: WRMSR IA32_APIC_BASE 0x%llx moves the APIC to 0x%llx: refused with #GP, the "
                         "APIC-access page stays at 0x%llx", v->id, (unsigned long long)value,
                 (unsigned long long)(value & APIC_BASE_ADDR_MASK), (unsigned long long)APIC_GUEST_BASE);
    else if (!(value & APIC_BASE_ENABLE))
        log_info("apic", "vcpu%u: WRMSR IA32_APIC_BASE 0x%llx disables the APIC globally: refused with #GP", v->id,
                 (unsigned long long)value);
    else
        return true;    /* the value it already has (the BSP flag is the CPU's, not the guest's) */
    return false;
}

/* x2APIC MSRs: outside x2APIC mode they raise #GP (SDM 10.12.1.2); intercepting them also
 * keeps a guest away from the physical ICR (MSR 830h) should the host's APIC be in x2APIC mode. */
static bool x2apic_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
    (void)value;
    log_info("apic", "vcpu%u: RDMSR 0x%x (an x2APIC register) outside x2APIC mode: #GP", v->id, msr);
    return false;
}

static bool x2apic_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    log_info("apic", "vcpu%u: WRMSR 0x%x = 0x%llx (an x2APIC register) outside x2APIC mode: #GP", v->id, msr,
             (unsigned long long)value);
    return false;
}

/* CPUID: no x2APIC, no TSC-deadline timer (the virtual timer has no such mode), and the
 * vCPU's own APIC ID (vCPU i has APIC ID i) where CPUID reports the executing processor's:
 * CPUID.1:EBX[31:24] "initial APIC ID", and EDX of leaf 0BH "x2APIC ID of the current
 * logical processor" (SDM Vol.2A CPUID, Table 3-8; Vol.3A 8.4.5 and 8.9.4). */
static uint32_t max_basic_leaf;   /* CPUID.0:EAX: above it the CPU answers another leaf */

static void cpuid_filter(struct vcpu *v, uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    (void)subleaf;
    if (leaf == 1) {
        regs[2] &= ~(CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE);
        regs[1] = (regs[1] & 0x00FFFFFFu) | (uint32_t)v->id << 24;
    } else if (leaf == 0xB && max_basic_leaf >= 0xB) {
        regs[3] = v->id;
    }
}

/* ---- what a vlapic write means for vmxlab ---------------------------------------------- */
static __attribute__((noinline)) enum exit_action write_effect(struct vcpu *v, uint32_t offset, enum vlapic_effect e)
{
    struct apic_vcpu *a = apic_of(v);
    const char *name;
    switch (e) {
    case VLAPIC_SEND_IPI:
        return apic_send_ipi(v);
    case VLAPIC_READ_ONLY:
        name = vlapic_reg_name(offset);
        log_info("apic", "vcpu%u: write to the read-only %s register ignored", v->id, name);
        break;
    case VLAPIC_ILLEGAL:
        name = vlapic_reg_name(offset);
        log_info("apic", "vcpu%u: write to offset 0x%03x, where there is no register: ignored%s", v->id, offset,
                 name ? "" : ", ESR bit 7 (illegal register address)");
        break;
    case VLAPIC_DISABLED:
        log_info("apic", "vcpu%u: APIC software-disabled (SVR bit 8 = 0): every LVT entry masked (SDM 10.4.7.2)", v->id);
        apic_timer_sync(v, APIC_LVT_TIMER);
        apic_irq_mode_update(v);
        break;
    case VLAPIC_TIMER_ARMED:
        apic_timer_sync(v, APIC_TIMER_INITIAL);
        break;
    case VLAPIC_EOI:
        log_debug("apic", "vcpu%u: EOI retires vector %d", v->id, vlapic_last_eoi(&a->vl));
        apic_irq_guest_eoi(v, vlapic_last_eoi(&a->vl));
        apic_irq_reevaluate(v);
        break;
    case VLAPIC_NO_EFFECT:
        break;
    case VLAPIC_WROTE:
        switch (offset & 0xFF0u) {
        case APIC_SVR:
            apic_irq_mode_update(v);
            break;
        case APIC_LVT_TIMER:
        case APIC_TIMER_DIVIDE:
            apic_timer_sync(v, offset & 0xFF0u);
            break;
        case APIC_LDR:
        case APIC_DFR:
            apic_logical_sync(v);
            break;
        case APIC_TPR:
            apic_irq_reevaluate(v);
            break;
        }
        break;
    }
    return EXIT_RESUME;
}

/* The common case first, without the frame the others need: a plain register write whose
 * effect is a timer sync or the IRR re-evaluation (LVT timer, divide, TPR). */
EXIT_PATH_FN enum exit_action apic_write_effect(struct vcpu *v, uint32_t offset, enum vlapic_effect e)
{
    if (e == VLAPIC_WROTE) {
        uint32_t reg = offset & 0xFF0u;
        if (reg == APIC_LVT_TIMER || reg == APIC_TIMER_DIVIDE) {
            apic_timer_sync(v, reg);
            return EXIT_RESUME;
        }
        if (reg == APIC_TPR) {
            apic_irq_reevaluate(v);
            return EXIT_RESUME;
        }
    }
    if (e == VLAPIC_NO_EFFECT)   /* a TPR write that lowered no priority class */
        return EXIT_RESUME;
    return write_effect(v, offset, e);
}

/* ---- init ------------------------------------------------------------------------------ */
/* One vCPU's local APIC, on the CPU that runs it: its page, its IA32_APIC_BASE, the controls
 * and VMCS fields of the path in its VMCS. vCPU i has APIC ID i; vCPU 0 is the BSP. */
void apic_vcpu_setup(struct vcpu *v)
{
    struct apic_vcpu *a = apic_of(v);
    a->base_msr = APIC_GUEST_BASE | APIC_BASE_ENABLE | (v->id == 0 ? APIC_BASE_BSP : 0); /* SDM 10.4.4 */
    a->start = vcpu_entry_point();
    if (v->id >= apic.nvcpus)
        apic.nvcpus = v->id + 1;
    if (apic.path == APIC_PATH_PASSTHROUGH)
        return;
    /* the vlapic's registers: in apicv the CPU reads them there directly (virtual-APIC page) */
    a->vapic_pa = vmx_alloc_page();
    vlapic_setup(&a->vl, phys_to_virt(a->vapic_pa), v->id, tsc_clock);
    vmcs_write(VMCS_APIC_ACCESS_ADDRESS, apic.access_pa);
    if (apic.path == APIC_PATH_APICV) {
        control(v, VMX_CTL_PROC, CPU_BASED_USE_TPR_SHADOW);
        vmcs_write(VMCS_VIRTUAL_APIC_ADDRESS, a->vapic_pa);
        vmcs_write(VMCS_TPR_THRESHOLD, 0);   /* apic/irq.c raises it for a vector the TPR blocks */
        control(v, VMX_CTL_PROC2, SECONDARY_VIRTUALIZE_APIC_ACCESSES | SECONDARY_APIC_REGISTER_VIRTUALIZATION);
    } else {
        control(v, VMX_CTL_PROC2, SECONDARY_VIRTUALIZE_APIC_ACCESSES);
        apic_cr8_setup(v);
    }
    apic_irq_vcpu_setup(v);
}

void apic_setup(const struct options *o)
{
    struct vcpu *v = vmx_vcpu(0);   /* the BSP */
    apic.path = choose_path(o);
    apic.init_restart = o->init;
    exit_handler_set(EXIT_REASON_INIT_SIGNAL, apic_exit_init_signal);
    exit_handler_set(EXIT_REASON_SIPI, apic_exit_sipi);
    vcpu_request_handler_set(apic_take_requests);

    if (apic.path == APIC_PATH_PASSTHROUGH) {
        log_warn("apic", "apic=passthrough: no APIC virtualization; EPT maps 0x%llx straight to the physical local "
                         "APIC (the seed's configuration, for teaching: a guest INIT IPI becomes a real INIT)",
                 (unsigned long long)APIC_GUEST_BASE);
        apic_vcpu_setup(v);
        return;
    }

    /* The APIC-access page: a page of vmxlab's, mapped with a 4 KiB EPT entry at the guest's
     * APIC base. The CPU compares the address after EPT translation (SDM 29.4); APIC-access
     * exits are guaranteed only through a 4 KiB mapping. Should a guest access ever slip past
     * the virtualization, it lands in this page, never in the physical APIC. One page serves
     * every vCPU's VMCS. */
    apic.access_pa = vmx_alloc_page();
    vmx_ept_map_page(APIC_GUEST_BASE, apic.access_pa, EPT_READ | EPT_WRITE, EPT_MT_UC);
    if (apic.path == APIC_PATH_APICV)
        exit_handler_set(EXIT_REASON_APIC_WRITE, apic_exit_write);
    exit_handler_set(EXIT_REASON_APIC_ACCESS, apic_exit_access);
    apic_irq_setup();
    apic_vcpu_setup(v);

    uint32_t maxphy = cpuid(0x80000000, 0).eax >= 0x80000008 ? cpuid(0x80000008, 0).eax & 0xFF : 36;
    base_reserved = ~(((1ull << maxphy) - 1) & ~0xFFFull) & ~(APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_ENABLE);
    msr_hook_set(IA32_APIC_BASE, IA32_APIC_BASE, base_read, base_write);
    msr_hook_set(X2APIC_MSR_FIRST, X2APIC_MSR_LAST, x2apic_read, x2apic_write);
    max_basic_leaf = cpuid(0, 0).eax;
    cpuid_filter_set(cpuid_filter);

    struct apic_vcpu *a = apic_of(v);
    log_info("apic", "path %s: APIC-access page 0x%llx mapped at guest 0x%llx (4 KiB EPT entry), %s page 0x%llx",
             apic_path_name(apic.path), (unsigned long long)apic.access_pa, (unsigned long long)APIC_GUEST_BASE,
             apic.path == APIC_PATH_APICV ? "virtual-APIC" : "register", (unsigned long long)a->vapic_pa);
    log_info("apic", "%s", apic.path == APIC_PATH_APICV
                               ? "an ICR write is an APIC-write exit (56, trap-like); reads the CPU does not "
                                 "virtualize are APIC-access exits (44)"
                               : "every APIC access is an APIC-access exit (44, fault-like): vmxlab decodes the "
                                 "instruction and emulates it against the virtual APIC");
    log_info("apic", "INIT restarts %s at %s; x2APIC hidden; IA32_APIC_BASE fixed at 0x%llx", vcpu_tag(v),
             o->init == OPT_INIT_RESET_VECTOR ? "the reset vector f000:fff0" : "the guest's entry point",
             (unsigned long long)a->base_msr);
}
