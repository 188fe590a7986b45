/* Turning VMX on and building the VMCS: capabilities (SDM Vol.3 23.6, Appendix A), VMXON
 * (23.7), controls (24.6-24.8), host state (24.5), the guest's first state (24.4), EPT (28.2). */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_local.h"
#include "arch/x86_64/gdt.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/multiboot2.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_asm.h"
#include "vmx/vmx_internal.h"
#include "vmx/vmx_names.h"

_Static_assert(__builtin_offsetof(struct vcpu, gpr) == 0, "entry.asm V_GPR");
_Static_assert(__builtin_offsetof(struct vcpu, launched) == 128, "entry.asm V_LAUNCHED");
_Static_assert(__builtin_offsetof(struct vcpu, wait_for_sipi) == 129, "entry.asm V_WAIT_SIPI");
_Static_assert(__builtin_offsetof(struct vcpu, entry_zero) == 130, "entry.asm: bytes 128-135 as one word");
_Static_assert(__builtin_offsetof(struct vcpu, requests) == 132, "entry.asm V_REQUESTS");
extern char vmx_entry_window[], vmx_entry_window_end[];

struct vmx_state vmx;

const struct vmx_caps *vmx_caps(void) { return &vmx.caps; }

/* ---- capabilities ---------------------------------------------------------------------- */
/* The full report (about 130 lines) at log=debug: at 115200 baud each line costs the boot
 * ~60,000 instructions of waiting for the UART (docs/performance.md); info gets one summary. */
static void report_line(void *ctx, const char *text)
{
    (void)ctx;
    log_debug("vmxcap", "%s", text);
}

static void report_summary(const struct vmx_caps *c)
{
    char sum[320];
    size_t n = (size_t)snprintf(sum, sizeof(sum), "%s;", vmx_verdict_text(c->verdict));
    for (int f = 0; f < VMX_FEAT_COUNT && c->verdict != VMX_VERDICT_NO_VMX && n < sizeof(sum); f++)
        n += (size_t)snprintf(sum + n, sizeof(sum) - n, " %s %s%s", vmx_feature_name((enum vmx_feature)f),
                              c->has[f] ? "yes" : "no", f + 1 < VMX_FEAT_COUNT ? "," : "");
    log_info("vmxcap", "%s (the full report with log=debug)", sum);
}

int vmx_probe(void)
{
    struct vmx_msrs m = {0};
    m.cpuid1_ecx = cpuid(1, 0).ecx;
    if (m.cpuid1_ecx & (1u << 5)) { /* every VMX MSR exists only with CPUID.1:ECX.VMX (A.1) */
        m.feature_control = rdmsr(IA32_FEATURE_CONTROL);
        m.basic = rdmsr(IA32_VMX_BASIC);
        m.pinbased = rdmsr(IA32_VMX_PINBASED_CTLS);
        m.procbased = rdmsr(IA32_VMX_PROCBASED_CTLS);
        m.exit = rdmsr(IA32_VMX_EXIT_CTLS);
        m.entry = rdmsr(IA32_VMX_ENTRY_CTLS);
        m.misc = rdmsr(IA32_VMX_MISC);
        m.cr0_fixed0 = rdmsr(IA32_VMX_CR0_FIXED0);
        m.cr0_fixed1 = rdmsr(IA32_VMX_CR0_FIXED1);
        m.cr4_fixed0 = rdmsr(IA32_VMX_CR4_FIXED0);
        m.cr4_fixed1 = rdmsr(IA32_VMX_CR4_FIXED1);
        if (m.basic & VMX_BASIC_TRUE_CTLS) {
            m.true_pinbased = rdmsr(IA32_VMX_TRUE_PINBASED_CTLS);
            m.true_procbased = rdmsr(IA32_VMX_TRUE_PROCBASED_CTLS);
            m.true_exit = rdmsr(IA32_VMX_TRUE_EXIT_CTLS);
            m.true_entry = rdmsr(IA32_VMX_TRUE_ENTRY_CTLS);
        }
        if (m.procbased >> 32 & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) {
            m.procbased2 = rdmsr(IA32_VMX_PROCBASED_CTLS2);
            if (m.procbased2 >> 32 & (SECONDARY_ENABLE_EPT | SECONDARY_ENABLE_VPID))
                m.ept_vpid_cap = rdmsr(IA32_VMX_EPT_VPID_CAP);
            if (m.procbased2 >> 32 & SECONDARY_ENABLE_VM_FUNCTIONS)
                m.vmfunc = rdmsr(IA32_VMX_VMFUNC);
        }
    }
    vmx_caps_decode(&m, &vmx.caps);
    vmx_caps_report(&vmx.caps, report_line, 0);
    report_summary(&vmx.caps);
    if (vmx.caps.verdict != VMX_VERDICT_OK) {
        log_error("vmx", "%s", vmx_verdict_text(vmx.caps.verdict));
        return STATUS_NO_VMX;
    }
    /* vmxlab runs a real-mode guest natively: it needs EPT and unrestricted guest (SDM 26.2.1.1) */
    static const enum vmx_feature required[] = {VMX_FEAT_EPT, VMX_FEAT_UNRESTRICTED_GUEST};
    for (unsigned i = 0; i < ARRAY_SIZE(required); i++)
        if (!vmx.caps.has[required[i]]) {
            log_error("vmx", "this CPU lacks %s, which vmxlab needs to run a real-mode guest",
                      vmx_feature_name(required[i]));
            return STATUS_NO_VMX;
        }
    return STATUS_OK;
}

/* ---- pages and controls -------------------------------------------------------------- */
uint64_t vmx_alloc_page(void)
{
    uint64_t pa = pool_alloc_page(vmx.pool);
    if (!pa)
        panic("vmxlab's page pool is exhausted (%llu pages used)", (unsigned long long)vmx.pool->pages_used);
    memset(phys_to_virt(pa), 0, PAGE_SIZE);
    return pa;
}

static const uint64_t ctl_field[VMX_CTL_COUNT] = {
    [VMX_CTL_PIN] = VMCS_CTRL_PIN_BASED,     [VMX_CTL_PROC] = VMCS_CTRL_PROC_BASED,
    [VMX_CTL_PROC2] = VMCS_CTRL_PROC_BASED2, [VMX_CTL_EXIT] = VMCS_CTRL_EXIT,
    [VMX_CTL_ENTRY] = VMCS_CTRL_ENTRY,
};

/* SDM A.3-A.5: (wanted | allowed-0) & allowed-1 from the TRUE MSRs. */
static uint32_t require_controls(enum vmx_ctl ctl, uint32_t wanted)
{
    uint32_t result = 0, missing = 0;
    if (!vmx_caps_adjust(&vmx.caps, ctl, wanted, &result, &missing)) {
        unsigned bit = (unsigned)__builtin_ctz(missing);
        log_error("vmx", "the CPU cannot set the %s control \"%s\" (bit %u of %s)", vmx_control_field_name(ctl),
                  vmx_control_name(ctl, bit), bit, ctl == VMX_CTL_PROC2 ? "IA32_VMX_PROCBASED_CTLS2" : "its TRUE capability MSR");
        vmxlab_stop(STATUS_NO_VMX);
    }
    return result;
}

bool vmx_ctl_change(struct vcpu *v, enum vmx_ctl ctl, uint32_t set, uint32_t clear, uint32_t *missing)
{
    uint32_t result = 0, miss = 0;
    if (!vmx_caps_adjust(&vmx.caps, ctl, (v->ctl[ctl] | set) & ~clear, &result, &miss)) {
        if (missing)
            *missing = miss;
        return false;
    }
    v->ctl[ctl] = result;
    vmcs_write(ctl_field[ctl], result);
    return true;
}

/* After an EPT change: INVEPT of the type the CPU supports (SDM 28.3.3.1, IA32_VMX_EPT_VPID_CAP
 * bits 25/26); single-context drops only this EPTP's translations. */
static void ept_invalidate(void)
{
    invept(vmx.caps.ept.invept_single_context ? INVEPT_TYPE_SINGLE_CONTEXT : INVEPT_TYPE_ALL_CONTEXT, vmx.eptp);
}

void vmx_ept_map_page(uint64_t gpa, uint64_t hpa, uint64_t perms, unsigned memtype)
{
    enum ept_status s = ept_map_4k(&vmx.ept, gpa, hpa, (uint8_t)perms, (uint8_t)memtype);
    if (s != EPT_OK)
        panic("EPT: mapping guest page 0x%llx failed (status %d)", (unsigned long long)gpa, s);
    ept_invalidate();
}

void msr_bitmap_intercept(uint32_t msr, bool read, bool write)
{
    /* SDM 24.6.9: read-low 0x000, read-high 0x400, write-low 0x800, write-high 0xC00 */
    uint8_t *bm = phys_to_virt(vmx.msr_bitmap_pa);
    unsigned base;
    if (msr <= 0x1FFF)
        base = 0;
    else if (msr >= 0xC0000000 && msr <= 0xC0001FFF)
        base = 0x400;
    else
        return; /* outside both ranges every access exits anyway */
    uint32_t bit = msr & 0x1FFF;
    if (read)
        bm[base + bit / 8] |= (uint8_t)(1u << (bit % 8));
    if (write)
        bm[base + 0x800 + bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/* ---- the guest's world: its memory map and EPT ----------------------------------------- */
static uint64_t ept_alloc_page(void *ctx)
{
    (void)ctx;
    return vmx_alloc_page();
}

static void *ept_phys_to_virt(void *ctx, uint64_t pa)
{
    (void)ctx;
    return phys_to_virt(pa);
}

static void memory_setup(const struct mb2_info *mbi)
{
    struct e820_entry fw[MB2_MAX_MMAP];
    struct e820_region hv = {vmx.hidden_start, vmx.hidden_end};
    struct ept_range r[ARRAY_SIZE(vmx.guest_map) + 3];
    size_t n = 0;
    for (unsigned i = 0; i < mbi->mmap_count; i++)
        fw[i] = (struct e820_entry){mbi->mmap[i].base, mbi->mmap[i].length, mbi->mmap[i].type};
    /* the E820 map also reserves the KiB that biosmem_install() takes for its INT 15h stub (the
     * top of base memory, BDA 0040:0013), which stays mapped in EPT: the guest runs it */
    uint64_t stub = ((uint64_t)*(volatile uint16_t *)phys_to_virt(0x413) - 1) << 10;
    struct e820_region reserved[2] = {hv, {stub, stub + 1024}};
    if (e820_guest_map(fw, mbi->mmap_count, reserved, 2, vmx.guest_map, ARRAY_SIZE(vmx.guest_map), &vmx.guest_map_count) ||
        e820_ept_ranges(vmx.guest_map, vmx.guest_map_count, &hv, 1, r, ARRAY_SIZE(r), &n))
        panic("the guest memory map does not fit vmxlab's tables (%u firmware entries)", mbi->mmap_count);
    struct ept_alloc alloc = {0, ept_alloc_page, ept_phys_to_virt};
    unsigned flags = (vmx.caps.ept.pages_2m ? EPT_BUILD_ALLOW_2M : 0) | (vmx.caps.ept.pages_1g ? EPT_BUILD_ALLOW_1G : 0);
    enum ept_status s = ept_init(&vmx.ept, &alloc);
    if (s == EPT_OK)
        s = ept_build(&vmx.ept, r, n, flags);
    if (s != EPT_OK)
        panic("EPT build failed (status %d)", s);
    vmx.eptp = ept_make_eptp(vmx.ept.pml4_pa, false);
    log_info("ept", "identity map of %zu ranges (RAM WB, the rest below 4 GiB UC), %s pages, %u table pages; "
                    "vmxlab's 0x%08llx-0x%08llx unmapped", n,
             vmx.caps.ept.pages_1g ? "1G/2M/4K" : vmx.caps.ept.pages_2m ? "2M/4K" : "4K", ept_table_pages(&vmx.ept),
             (unsigned long long)vmx.hidden_start, (unsigned long long)vmx.hidden_end - 1);
}

/* ---- control registers the guest sees ------------------------------------------------- */
/* CR0: NE must stay 1 underneath (IA32_VMX_CR0_FIXED0); PE/PG are the guest's own with
 * unrestricted guest (SDM 26.3.1.1), but vmxlab watches PG to keep "IA-32e mode guest"
 * in step with EFER.LMA (SDM 24.8.1, 26.3.1.1). */
uint64_t vmx_guest_cr0_real(uint64_t wanted)
{
    return vmx_cr_apply_fixed(wanted, vmx_guest_cr0_fixed0(&vmx.caps, true), vmx.caps.cr0_fixed1);
}

uint64_t vmx_guest_cr4_real(uint64_t wanted)
{
    return vmx_cr_apply_fixed(wanted, vmx.caps.cr4_fixed0, vmx.caps.cr4_fixed1);
}

static void setup_controls(struct vcpu *v)
{
    /* NMIs: a physical one exits, the guest's NMI blocking is virtual (set by an injected NMI,
     * cleared by the guest's IRET) so that vmxlab can hold an NMI until the guest can take it
     * (SDM 24.6.1, 25.3; vmx/nmi.c) */
    v->ctl[VMX_CTL_PIN] = require_controls(VMX_CTL_PIN, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
    /* HLT exiting: to tell a stuck guest (HLT with IF=0) from one that waits for an interrupt;
     * MONITOR/MWAIT exiting: they are hidden from the guest (interrupts.c, exit_monitor_mwait) */
    /* I/O bitmaps: only the reset and power-off ports exit (exit_io.c) */
    v->ctl[VMX_CTL_PROC] = require_controls(VMX_CTL_PROC, CPU_BASED_HLT_EXITING | CPU_BASED_USE_MSR_BITMAPS |
                                                               CPU_BASED_ACTIVATE_SECONDARY_CONTROLS |
                                                               CPU_BASED_USE_IO_BITMAPS | CPU_BASED_MWAIT_EXITING |
                                                               CPU_BASED_MONITOR_EXITING);
    uint32_t proc2 = SECONDARY_ENABLE_EPT | SECONDARY_UNRESTRICTED_GUEST;
    if (vmx_ctl_can_be_1(&vmx.caps.ctl[VMX_CTL_PROC2], 5) && vmx.caps.ept.invvpid_all_context) {
        proc2 |= SECONDARY_ENABLE_VPID;
        v->vpid = (uint16_t)(v->id + 1); /* VPID 0 is the host's (SDM 28.1) */
    }
    /* the controls without which a feature CPUID shows would #UD (SDM 25.3; vmx/cpuid.c),
     * decided once for every vCPU */
    if (!v->id)
        vmx.cpuid_proc2 = vmx_cpuid_setup();
    proc2 |= vmx.cpuid_proc2;
    v->ctl[VMX_CTL_PROC2] = require_controls(VMX_CTL_PROC2, proc2);
    /* the debug controls keep the guest's DR7 and IA32_DEBUGCTL in the VMCS: VM exit sets DR7
     * to 400H and clears DEBUGCTL (SDM 27.5.1), so without "save debug controls" (24.7.1,
     * 27.3.1) and "load debug controls" (24.8.1, 26.3.2.1) every exit would disarm the guest's
     * breakpoints. DR0-DR3 and DR6 are not in the VMCS: the host never writes them. */
    v->ctl[VMX_CTL_EXIT] = require_controls(VMX_CTL_EXIT, EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT |
                                                               EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER |
                                                               EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT |
                                                               EXIT_SAVE_DEBUG_CONTROLS);
    v->ctl[VMX_CTL_ENTRY] = require_controls(VMX_CTL_ENTRY, ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT |
                                                                 ENTRY_LOAD_DEBUG_CONTROLS);
    for (unsigned c = 0; c < VMX_CTL_COUNT; c++)
        vmcs_write(ctl_field[c], v->ctl[c]);
    vmcs_write(VMCS_EXCEPTION_BITMAP, 0);
    vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
    vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write(VMCS_ENTRY_INTERRUPTION_INFO, 0);
    vmcs_write(VMCS_MSR_BITMAP, vmx.msr_bitmap_pa);
    vmcs_write(VMCS_EPT_POINTER, vmx.eptp);
    if (v->vpid)
        vmcs_write(VMCS_VPID, v->vpid);
    /* SDM 24.6, "XSS-Exiting Bitmap": with "enable XSAVES/XRSTORS", XSAVES/XRSTORS exit
     * for a set bit of IA32_XSS; 0: they never exit (25.1.3) */
    if (v->ctl[VMX_CTL_PROC2] & SECONDARY_ENABLE_XSAVES_XRSTORS)
        vmcs_write(VMCS_XSS_EXITING_BITMAP, 0);
    /* owned CR bits: the fixed ones (hidden behind the read shadows), CR0.PG, and CR0.CD and
     * NW: VM entry never loads those two from the guest's CR0 field (SDM 26.3.2.1 "Loading Guest
     * Control Registers, Debug Registers, and MSRs"), so a guest MOV to CR0 that exits for
     * another bit would lose them; owned, the guest reads back the CD and NW it wrote (the read
     * shadow) while the processor's caching stays as vmxlab set it */
    vmx.cr0_mask = (vmx_cr_host_owned_bits(vmx_guest_cr0_fixed0(&vmx.caps, true), vmx.caps.cr0_fixed1) | CR0_PG |
                    CR0_CD | CR0_NW) &
                   0xFFFFFFFFull;
    vmx.cr4_mask = vmx_cr_host_owned_bits(vmx.caps.cr4_fixed0, vmx.caps.cr4_fixed1) & 0xFFFFFFFFull;
    vmcs_write(VMCS_CR0_GUEST_HOST_MASK, vmx.cr0_mask);
    vmcs_write(VMCS_CR4_GUEST_HOST_MASK, vmx.cr4_mask);
    vmcs_write(VMCS_VMCS_LINK_POINTER, ~0ull);
}

/* SDM 24.5 host-state area; the checks are in 26.2.2-26.2.4. Per CPU: the GDT and TSS are the
 * CPU's own (arch/x86_64/gdt.c), and so are the stack (entry.asm) and the GS base (the CPU's
 * slot, cpu_local.h); CR3, the IDT and the exit stub are shared. CPU i runs vCPU i. */
static void setup_host_state(unsigned cpu)
{
    struct desc_ptr gdtr, idtr;
    sgdt(&gdtr);
    sidt(&idtr);
    vmcs_write(VMCS_HOST_CR0, read_cr0());
    vmcs_write(VMCS_HOST_CR3, read_cr3());
    vmcs_write(VMCS_HOST_CR4, read_cr4());
    vmcs_write(VMCS_HOST_CS_SELECTOR, GDT_KERNEL_CS);
    vmcs_write(VMCS_HOST_SS_SELECTOR, GDT_KERNEL_DS);
    vmcs_write(VMCS_HOST_DS_SELECTOR, GDT_KERNEL_DS);
    vmcs_write(VMCS_HOST_ES_SELECTOR, GDT_KERNEL_DS);
    vmcs_write(VMCS_HOST_FS_SELECTOR, 0);
    vmcs_write(VMCS_HOST_GS_SELECTOR, 0);
    vmcs_write(VMCS_HOST_TR_SELECTOR, GDT_TSS); /* must not be 0 (26.2.3) */
    vmcs_write(VMCS_HOST_FS_BASE, 0);
    vmcs_write(VMCS_HOST_GS_BASE, cpu_local_base(cpu));
    vmcs_write(VMCS_HOST_TR_BASE, tss_base_of(cpu));
    vmcs_write(VMCS_HOST_GDTR_BASE, gdtr.base); /* this CPU's: gdt_init_cpu() loaded it */
    vmcs_write(VMCS_HOST_IDTR_BASE, idtr.base);
    vmcs_write(VMCS_HOST_IA32_SYSENTER_CS, 0);
    vmcs_write(VMCS_HOST_IA32_SYSENTER_ESP, 0);
    vmcs_write(VMCS_HOST_IA32_SYSENTER_EIP, 0);
    vmcs_write(VMCS_HOST_IA32_EFER, rdmsr(IA32_EFER));
    vmcs_write(VMCS_HOST_IA32_PAT, rdmsr(IA32_PAT));
    vmcs_write(VMCS_HOST_RIP, (uint64_t)vmx_exit_stub);
    vmcs_write(VMCS_HOST_RSP, 0); /* entry.asm writes the real value before the first entry */
}

/* ---- the guest's first state ---------------------------------------------------------- */
struct seg_init {
    uint64_t sel, base, limit, ar;
};

static void write_seg(unsigned idx, struct seg_init s)
{
    /* ES CS SS DS FS GS LDTR TR: the encodings are 2 apart in each group (SDM Appendix B) */
    vmcs_write(VMCS_GUEST_ES_SELECTOR + 2 * idx, s.sel);
    vmcs_write(VMCS_GUEST_ES_BASE + 2 * idx, s.base);
    vmcs_write(VMCS_GUEST_ES_LIMIT + 2 * idx, s.limit);
    vmcs_write(VMCS_GUEST_ES_ACCESS_RIGHTS + 2 * idx, s.ar);
}

/* A boot sector's world, as a BIOS leaves it (and the state vmxlab's contract promises):
 * real mode, CS:IP = guest.entry, data segments 0 with 4 GiB limits (big real mode), IVT at 0,
 * SS:SP = 0000:7C00, DL = boot drive, interrupts enabled. */
void vmx_guest_initial_state(struct vcpu *v, const struct options *o, uint8_t boot_drive)
{
    /* access rights (SDM 24.4.1, Table 24-2): 0x93 data read/write accessed, G=bit 15.
     * CS is a real-mode segment: base = selector << 4, and type 3 (read/write accessed data,
     * DPL 0) as after RESET (SDM Vol.3A Table 9-1; Bochs's cpu/init.cc), which SDM 26.3.1.2
     * "Checks on Guest Segment Registers" allows for CS with unrestricted guest, whatever the
     * selector's RPL. A code type (0x9B) would need RPL = DPL = 0: Bochs checks that with
     * unrestricted guest too, so guest.entry=0001:7BF0 or 07BF:0010 failed the first VM entry
     * ("non-conforming CS.RPL <> CS.DPL"). The guest's own real-mode CS loads keep these
     * access rights (only the selector and base change). */
    uint64_t data_limit = o->guest_unreal ? 0xFFFFFFFF : 0xFFFF, data_ar = o->guest_unreal ? 0x8093 : 0x0093;
    for (unsigned i = 0; i < 6; i++)
        write_seg(i, (struct seg_init){0, 0, data_limit, data_ar});
    write_seg(1, (struct seg_init){o->entry_cs, (uint64_t)o->entry_cs << 4, 0xFFFF, 0x93});
    write_seg(6, (struct seg_init){0, 0, 0xFFFF, 0x82});  /* LDTR: an LDT, present */
    write_seg(7, (struct seg_init){0, 0, 0xFFFF, 0x8B});  /* TR: busy 32-bit TSS (26.3.1.2) */
    vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
    vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xFFFF);
    vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
    vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0x3FF); /* the real-mode IVT */
    /* CR0: ET, and CD and NW as the firmware left them (vmxlab's own CR0 still has them): what a
     * boot sector on this machine reads (Bochs's BIOS: both 1, the reset value). They are owned
     * bits (setup_controls), so the guest reads them from the read shadow. */
    uint64_t cr0 = CR0_ET | (read_cr0() & (CR0_CD | CR0_NW));
    vmcs_write(VMCS_GUEST_CR0, vmx_guest_cr0_real(cr0));
    vmcs_write(VMCS_CR0_READ_SHADOW, cr0);
    vmcs_write(VMCS_GUEST_CR3, 0);
    vmcs_write(VMCS_GUEST_CR4, vmx_guest_cr4_real(0));
    vmcs_write(VMCS_CR4_READ_SHADOW, 0);
    vmcs_write(VMCS_GUEST_DR7, 0x400);
    vmcs_write(VMCS_GUEST_RSP, 0x7C00);
    vmcs_write(VMCS_GUEST_RIP, o->entry_ip);
    vmcs_write(VMCS_GUEST_RFLAGS, 0x202);
    vmcs_write(VMCS_GUEST_IA32_EFER, 0);
    vmcs_write(VMCS_GUEST_IA32_PAT, rdmsr(IA32_PAT));
    vmcs_write(VMCS_GUEST_IA32_DEBUGCTL, 0);
    vmcs_write(VMCS_GUEST_IA32_SYSENTER_CS, 0);
    vmcs_write(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
    vmcs_write(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY_STATE, 0);
    vmcs_write(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, 0);
    memset(v->gpr, 0, sizeof(v->gpr));
    v->gpr[GPR_RDX] = boot_drive;
}

/* ---- putting it together ---------------------------------------------------------------- */
/* VMX operation on the CPU that calls it, for the boot CPU (below) and the APs (kernel/smp.c):
 * no logging, no allocation, so an AP can run it while the boot CPU waits for it. */
int vmx_enable_this_cpu(uint64_t vmxon_pa, bool *locked_fc)
{
    /* SDM 23.7: IA32_FEATURE_CONTROL must allow VMX outside SMX; when the firmware left it
     * unlocked, vmxlab sets and locks it (writing a locked one raises #GP) */
    *locked_fc = false;
    if (!(cpuid(1, 0).ecx & (1u << 5))) /* CPUID.1:ECX.VMX: the VMX MSRs exist only with it (A.1) */
        return VMX_ENABLE_NO_VMX;
    uint64_t fc_new;
    switch (vmx_feature_control_action(rdmsr(IA32_FEATURE_CONTROL), &fc_new)) { /* vmx_caps.c */
    case VMX_FC_LOCKED_OFF:
        return VMX_ENABLE_LOCKED_OFF; /* VMXON would raise #GP */
    case VMX_FC_SET_AND_LOCK:
        wrmsr(IA32_FEATURE_CONTROL, fc_new);
        *locked_fc = true;
        break;
    case VMX_FC_USE:
        break;
    }
    /* SDM 23.8: CR0/CR4 must obey the VMX fixed bits in VMX operation (CR4.VMXE among them) */
    write_cr0(vmx_cr_apply_fixed(read_cr0(), vmx.caps.cr0_fixed0, vmx.caps.cr0_fixed1));
    write_cr4(vmx_cr_apply_fixed(read_cr4() | CR4_VMXE, vmx.caps.cr4_fixed0, vmx.caps.cr4_fixed1));
    /* CR4.OSXSAVE, so that vmxlab can execute a guest's XSETBV (an exit: vmx/exit_cr.c); XCR0
     * is then the guest's, which vmxlab's code (general registers only) never uses */
    if (cpuid(1, 0).ecx & (1u << 26))
        write_cr4(read_cr4() | CR4_OSXSAVE);
    *(uint32_t *)phys_to_virt(vmxon_pa) = vmx.caps.revision_id; /* SDM 24.11.5 */
    return vmxon(vmxon_pa);
}

const char *vmx_enable_result_text(int r)
{
    switch (r) {
    case VMX_OK: return "VMX root operation";
    case VMX_FAIL_INVALID: return "VMXON VMfailInvalid (bad VMXON region, or CR0/CR4 against the fixed bits)";
    case VMX_FAIL_VALID: return "VMXON VMfailValid (already in VMX operation)";
    case VMX_ENABLE_NO_VMX: return "CPUID.1:ECX.VMX is clear on this CPU";
    case VMX_ENABLE_LOCKED_OFF: return "IA32_FEATURE_CONTROL is locked with VMX outside SMX off";
    default: return "unknown result";
    }
}

static void enable_vmx_operation(void)
{
    bool locked;
    vmx.vmxon_pa = vmx_alloc_page();
    int r = vmx_enable_this_cpu(vmx.vmxon_pa, &locked);
    if (locked)
        log_info("vmx", "IA32_FEATURE_CONTROL was unlocked: set VMX outside SMX and locked it");
    if (r != VMX_OK)
        panic("VMXON failed (%s)", vmx_enable_result_text(r));
    log_info("vmx", "VMXON at 0x%llx, VMCS revision 0x%x", (unsigned long long)vmx.vmxon_pa, vmx.caps.revision_id);
}

/* One vCPU's VMCS on the calling CPU, which then runs it (a VMCS is current on one CPU, SDM
 * 24.1 "Overview"; VMCLEAR, then VMPTRLD makes it this CPU's current VMCS, 24.11.3). */
static void vcpu_setup(struct vcpu *v)
{
    v->vmcs_pa = vmx_alloc_page();
    *(uint32_t *)phys_to_virt(v->vmcs_pa) = vmx.caps.revision_id;
    if (vmclear(v->vmcs_pa) != VMX_OK || vmptrld(v->vmcs_pa) != VMX_OK)
        panic("VMCLEAR/VMPTRLD of the VMCS at 0x%llx failed", (unsigned long long)v->vmcs_pa);
    v->init_cache = phys_to_virt(vmx_alloc_page());
    setup_controls(v);
    io_vcpu_setup(v);
    vmx_tsc_setup(v);
    setup_host_state(v->id);
    vmx.nvcpus = v->id + 1 > vmx.nvcpus ? v->id + 1 : vmx.nvcpus;
}

void vmx_setup(const struct options *opts, const struct mb2_info *mbi, struct page_pool *pool,
               const struct vmx_guest_image *guest)
{
    for (unsigned i = 0; i < VMX_MAX_VCPUS; i++) {
        vmx.vcpus[i].id = i;
        snprintf(vmx.vcpus[i].tag, sizeof(vmx.vcpus[i].tag), "vcpu%u", i);
    }
    struct vcpu *v = &vmx.vcpus[0];
    vmx.opts = *opts;
    vmx.pool = pool;
    /* an NMI kick that lands in entry.asm's last look at the requests restarts the look */
    nmi_restart_start = (uint64_t)vmx_entry_window;
    nmi_restart_end = (uint64_t)vmx_entry_window_end;
    vmx.hidden_start = pool->pool.start;
    vmx.hidden_end = pool->pool.end;
    enable_vmx_operation();

    vmx.msr_bitmap_pa = vmx_alloc_page();
    /* the VMX capability MSRs and IA32_FEATURE_CONTROL: the guest sees no VMX (exit.c) */
    msr_bitmap_intercept(IA32_FEATURE_CONTROL, true, true);
    for (uint32_t msr = IA32_VMX_BASIC; msr <= IA32_VMX_VMFUNC; msr++)
        msr_bitmap_intercept(msr, true, true);
    memory_setup(mbi);
    io_setup(guest);
    vcpu_setup(v);
    stopwatch_setup(v); /* guest.stop: the VMX-preemption timer on top of the controls (stopwatch.c) */

    /* the guest image: copied to guest.load; vmxlab kept the module out of its pool */
    memcpy(phys_to_virt(opts->guest_load), guest->data, guest->size);
    vmx_guest_initial_state(v, opts, guest->boot_drive);
    vcpu_init_prepare(v); /* the INIT state's VMCS writes, built once (vmx/vcpu_reset.c) */
    biosmem_install();
    log_info(vcpu_tag(v), "ready: real mode at %04x:%04x, %s, DL=0x%02x, VPID %u", opts->entry_cs, opts->entry_ip,
             opts->guest_unreal ? "4 GiB data segment limits (big real mode)" : "64 KiB segment limits",
             guest->boot_drive, v->vpid);
}

/* An application processor's vCPU, on its own CPU (kernel/main.c, through smp_run()): its
 * VMCS as vCPU 0's, in the state INIT leaves a CPU in (SDM Vol.3A 9.1, Table 9-1), waiting
 * for a SIPI in software, as an AP waits after the BIOS's INIT (SDM 8.4.1 "BSP and AP
 * Processors"). Nothing runs on it before the guest starts it with INIT-SIPI-SIPI. */
struct vcpu *vmx_vcpu_create(unsigned id)
{
    struct vcpu *v = &vmx.vcpus[id];
    vcpu_setup(v);
    struct vcpu_start reset = vcpu_reset_vector();
    vcpu_init_reset(v, &reset);
    v->init_count = 0;
    v->wait_for_sipi = true;
    log_info(vcpu_tag(v), "ready on CPU %u: VMCS 0x%llx, VPID %u, INIT state, waits for SIPI (in software, with HLT "
                          "in VMX root operation)", id, (unsigned long long)v->vmcs_pa, v->vpid);
    return v;
}

/* ---- for INIT resets (vmx/vcpu_reset.c) ------------------------------------------------ */
struct vcpu_start vcpu_entry_point(void)
{
    return (struct vcpu_start){vmx.opts.entry_cs, (uint32_t)vmx.opts.entry_cs << 4, vmx.opts.entry_ip};
}


/* Stale guest translations after a reset (SDM 28.3.3.3: INVVPID; INVEPT for the EPT-derived ones) */
void vmx_flush_vpid(struct vcpu *v)
{
    if (v->vpid) /* VPID is enabled only with all-context INVVPID (setup_controls) */
        invvpid(vmx.caps.ept.invvpid_single_context ? INVVPID_TYPE_SINGLE_CONTEXT : INVVPID_TYPE_ALL_CONTEXT, v->vpid);
}

void vmx_flush_tlb(struct vcpu *v)
{
    vmx_flush_vpid(v);
    ept_invalidate();
}

struct vcpu *vmx_vcpu(unsigned id) { return id < VMX_MAX_VCPUS ? &vmx.vcpus[id] : 0; }
