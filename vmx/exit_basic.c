/* Handlers for the exits a guest causes by executing an instruction (SDM Vol.3 25.1.2-25.1.3):
 * CPUID, VMCALL (vmxlab's hypercalls, docs/hypercalls.md), VMX instructions, control-register
 * and MSR accesses, XSETBV, INVD/WBINVD; and the triple-fault, INIT and SIPI defaults. */
#include "arch/x86_64/cpu.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "vmx/guest_mem.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_internal.h"

#define HC_VERSION 0
#define HC_PRINT 1
#define HC_POWER_OFF 2
#define HC_EXIT_COUNT 3
#define HC_ERROR_UNKNOWN 0xFFFFFFFFu  /* -1: no such function */
#define HC_ERROR_ARGUMENT 0xFFFFFFFEu /* -2: bad argument */
#define VMXLAB_HC_VERSION 0x000100    /* 0.1.0 */

static cpuid_filter_t cpuid_filter;
void cpuid_filter_set(cpuid_filter_t fn) { cpuid_filter = fn; }

/* A linear range as one guest-physical range, for vmxlab to read or fill: through the guest's
 * page tables when it has paging on (vmx/guest_walk.h, SDM Vol.3A chapter 4), page by page;
 * false when a page does not translate (no fault is raised: the callers report an error to
 * the guest), when the pages are not contiguous in guest-physical memory, or when the range
 * leaves the 4 GiB identity map or touches vmxlab's own memory. The caller has already
 * applied segmentation (linear = segment base + offset). */
bool guest_linear_to_phys(struct vcpu *v, uint64_t linear, uint64_t len, uint64_t *pa)
{
    (void)v;
    uint64_t first = 0, expect = 0;
    uint64_t at = linear, left = len ? len : 1;
    while (left) {
        struct guest_fault f;
        uint64_t page_pa, chunk = 4096 - (at & 0xFFF);
        if (!guest_translate(at, 0, &page_pa, &f))
            return false;
        if (at == linear)
            first = page_pa;
        else if (page_pa != expect)
            return false; /* not contiguous: no single physical range */
        chunk = chunk < left ? chunk : left;
        expect = page_pa + chunk;
        at += chunk, left -= chunk;
    }
    uint64_t end = first + len;
    if (end > (1ull << 32) || end < first || (first < vmx.hidden_end && vmx.hidden_start < end))
        return false;
    *pa = first;
    return true;
}

/* ---- CPUID (SDM 25.1.2: always exits) -------------------------------------------------- */
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
        struct cpuid_regs c = cpuid(leaf, sub);
        r[0] = c.eax, r[1] = c.ebx, r[2] = c.ecx, r[3] = c.edx;
        if (leaf == 1) {
            r[2] &= ~(1u << 5); /* VMX: not for the guest */
            r[2] |= 1u << 31;   /* hypervisor present */
        }
    }
    if (cpuid_filter)
        cpuid_filter(leaf, sub, r);
    v->gpr[GPR_RAX] = r[0], v->gpr[GPR_RBX] = r[1], v->gpr[GPR_RCX] = r[2], v->gpr[GPR_RDX] = r[3];
    log_debug("exit", "CPUID leaf 0x%x.%x -> %08x %08x %08x %08x", leaf, sub, r[0], r[1], r[2], r[3]);
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

/* ---- VMCALL: vmxlab's hypercalls ------------------------------------------------------- */
static void hc_print(struct vcpu *v)
{
    char text[257];
    uint64_t pa, len = (uint32_t)v->gpr[GPR_RCX];
    if (len > 256 || !guest_linear_to_phys(v, (uint32_t)v->gpr[GPR_RBX], len, &pa)) {
        v->gpr[GPR_RAX] = HC_ERROR_ARGUMENT;
        return;
    }
    memcpy(text, phys_to_virt(pa), len);
    text[len] = 0;
    for (uint64_t i = 0; i < len; i++)
        if (text[i] == '\n' || text[i] == '\r')
            text[i] = ' ';
    log_info("guest", "%s", text);
    v->gpr[GPR_RAX] = 0;
}

enum exit_action exit_vmcall(struct vcpu *v)
{
    if (biosmem_vmcall(v))
        return EXIT_RESUME;
    if (vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS) & 0x60) { /* CPL = SS.DPL (SDM 24.4.1) */
        inject_ud(v);
        return EXIT_RESUME;
    }
    uint32_t fn = (uint32_t)v->gpr[GPR_RAX];
    log_debug("exit", "VMCALL function %u ebx=0x%llx ecx=0x%llx", fn, (unsigned long long)v->gpr[GPR_RBX],
              (unsigned long long)v->gpr[GPR_RCX]);
    switch (fn) {
    case HC_VERSION:
        v->gpr[GPR_RAX] = 0;
        v->gpr[GPR_RBX] = VMXLAB_HC_VERSION;
        v->gpr[GPR_RCX] = 0x6c786d76; /* "vmxl" */
        break;
    case HC_PRINT:
        hc_print(v);
        break;
    case HC_POWER_OFF:
        log_info("guest", "asked to power off with status %u", (uint32_t)v->gpr[GPR_RBX]);
        v->stop_status = (int)(v->gpr[GPR_RBX] & 0x7F);
        return EXIT_STOP;
    case HC_EXIT_COUNT: {
        uint32_t reason = (uint32_t)v->gpr[GPR_RBX];
        v->gpr[GPR_RAX] = 0;
        v->gpr[GPR_RBX] = reason < ARRAY_SIZE(v->exit_counts) ? v->exit_counts[reason] : 0;
        v->gpr[GPR_RCX] = v->exits_total;
        break;
    }
    default:
        log_warn("exit", "VMCALL: unknown hypercall function %u, returning -1 to the guest", fn);
        v->gpr[GPR_RAX] = HC_ERROR_UNKNOWN;
    }
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

/* ---- VMX instructions: this guest sees no VMX (CPUID.1:ECX.VMX = 0), so #UD (SDM 30.3) ---- */
enum exit_action exit_vmx_instruction(struct vcpu *v)
{
    log_info("exit", "%s in the guest at 0x%llx: injecting #UD (VMX is hidden from the guest)",
             exit_reason_text(v->exit_reason), (unsigned long long)v->rip);
    inject_ud(v);
    return EXIT_RESUME;
}

/* ---- control registers (SDM 25.1.3; qualification: Table 27-3) ------------------------- */
static void guest_write_cr0(struct vcpu *v, uint64_t value)
{
    uint64_t old = vmcs_read(VMCS_GUEST_CR0), efer = vmcs_read(VMCS_GUEST_IA32_EFER);
    uint64_t real = vmx_guest_cr0_real(value);
    vmcs_write(VMCS_CR0_READ_SHADOW, value & vmx.cr0_mask);
    vmcs_write(VMCS_GUEST_CR0, real);
    /* CR0.PG with EFER.LME: the guest enters IA-32e mode; the entry control and EFER.LMA follow
     * (SDM 9.8.5, 26.3.1.1) */
    if ((value ^ old) & CR0_PG) {
        bool lma = (value & CR0_PG) && (efer & (1ull << 8));
        vmcs_write(VMCS_GUEST_IA32_EFER, lma ? efer | (1ull << 10) : efer & ~(1ull << 10));
        vmx_ctl_change(VMX_CTL_ENTRY, lma ? ENTRY_IA32E_MODE_GUEST : 0, lma ? 0 : ENTRY_IA32E_MODE_GUEST, 0);
        log_debug("exit", "guest CR0.PG=%d%s", (int)!!(value & CR0_PG), lma ? " with EFER.LME: IA-32e mode" : "");
    }
    guest_pdptes_after_cr_write(old, vmcs_read(VMCS_GUEST_CR4)); /* PAE paging: SDM 4.4.1 */
    (void)v;
}

enum exit_action exit_cr_access(struct vcpu *v)
{
    uint64_t q = v->exit_qualification;
    unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
    uint64_t value = reg == GPR_RSP ? vcpu_read_rsp(v) : v->gpr[reg];
    switch (type) {
    case 0: /* MOV to CR */
        if (cr == 0) {
            guest_write_cr0(v, value);
        } else if (cr == 4) {
            if (value & ~vmx.caps.cr4_fixed1 & ~(uint64_t)0x2000) { /* a bit this CPU does not have */
                inject_gp(v);
                return EXIT_RESUME;
            }
            uint64_t old_cr4 = vmcs_read(VMCS_GUEST_CR4);
            vmcs_write(VMCS_CR4_READ_SHADOW, value & vmx.cr4_mask);
            vmcs_write(VMCS_GUEST_CR4, vmx_guest_cr4_real(value));
            guest_pdptes_after_cr_write(vmcs_read(VMCS_GUEST_CR0), old_cr4); /* PAE paging: SDM 4.4.1 */
        } else {
            log_error("exit", "MOV to CR%u: vmxlab's controls make only CR0 and CR4 writes exit", cr);
            v->stop_status = STATUS_INTERNAL;
            return EXIT_STOP;
        }
        break;
    case 3: { /* LMSW: bits 3:0 of CR0, cannot clear PE (SDM Vol.2 LMSW) */
        uint64_t cur = (vmcs_read(VMCS_GUEST_CR0) & ~vmx.cr0_mask) | vmcs_read(VMCS_CR0_READ_SHADOW);
        uint64_t src = (q >> 16) & 0xF;
        guest_write_cr0(v, (cur & ~0xEull) | (src & 0xE) | ((cur | src) & 1));
        break;
    }
    default:
        log_error("exit", "control-register access type %u to CR%u not expected with vmxlab's controls", type, cr);
        v->stop_status = STATUS_INTERNAL;
        return EXIT_STOP;
    }
    log_debug("exit", "MOV to CR%u 0x%llx (type %u)", cr, (unsigned long long)value, type);
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

/* ---- MSRs: the MSR bitmap makes only the hooked ones exit (SDM 24.6.9, 25.1.3) ---------- */
#define MSR_HOOKS 4
static struct {
    uint32_t first, last;
    msr_read_t rd;
    msr_write_t wr;
} msr_hooks[MSR_HOOKS];

void msr_hook_set(uint32_t first, uint32_t last, msr_read_t rd, msr_write_t wr)
{
    for (unsigned i = 0; i < MSR_HOOKS; i++)
        if (!msr_hooks[i].rd && !msr_hooks[i].wr) {
            msr_hooks[i].first = first, msr_hooks[i].last = last, msr_hooks[i].rd = rd, msr_hooks[i].wr = wr;
            for (uint32_t m = first; m <= last; m++)
                msr_bitmap_intercept(m, rd != 0, wr != 0);
            return;
        }
    panic("msr_hook_set: more than %d MSR hooks", MSR_HOOKS);
}

static enum exit_action msr_access(struct vcpu *v, bool write)
{
    uint32_t msr = (uint32_t)v->gpr[GPR_RCX];
    uint64_t value = (v->gpr[GPR_RDX] << 32) | (uint32_t)v->gpr[GPR_RAX];
    bool ok = false;
    for (unsigned i = 0; i < MSR_HOOKS; i++)
        if (msr >= msr_hooks[i].first && msr <= msr_hooks[i].last && (write ? !!msr_hooks[i].wr : !!msr_hooks[i].rd)) {
            ok = write ? msr_hooks[i].wr(v, msr, value) : msr_hooks[i].rd(v, msr, &value);
            goto done;
        }
    /* IA32_FEATURE_CONTROL and the VMX capability MSRs: VMX is hidden, so #GP as on a CPU without it */
    log_info("exit", "%s of MSR 0x%x: injecting #GP (VMX is hidden from the guest)", write ? "WRMSR" : "RDMSR", msr);
done:
    if (!ok) {
        inject_gp(v);
        return EXIT_RESUME;
    }
    if (!write) {
        v->gpr[GPR_RAX] = (uint32_t)value;
        v->gpr[GPR_RDX] = value >> 32;
    }
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

enum exit_action exit_rdmsr(struct vcpu *v) { return msr_access(v, false); }
enum exit_action exit_wrmsr(struct vcpu *v) { return msr_access(v, true); }

/* ---- XSETBV (always exits, SDM 25.1.2): checked as the CPU would, then done for the guest ---- */
enum exit_action exit_xsetbv(struct vcpu *v)
{
    uint32_t idx = (uint32_t)v->gpr[GPR_RCX];
    uint64_t value = (v->gpr[GPR_RDX] << 32) | (uint32_t)v->gpr[GPR_RAX];
    struct cpuid_regs d = cpuid(0xD, 0);
    uint64_t supported = ((uint64_t)d.edx << 32) | d.eax;
    /* SDM Vol.2 XSETBV: #GP for XCR other than 0, bit 0 clear, bits not supported, AVX without SSE */
    if (idx != 0 || !(value & 1) || (value & ~supported) || ((value & 4) && !(value & 2)) || !(read_cr4() & (1ull << 18))) {
        log_info("exit", "XSETBV XCR%u=0x%llx refused: #GP", idx, (unsigned long long)value);
        inject_gp(v);
        return EXIT_RESUME;
    }
    __asm__ volatile("xsetbv" ::"c"(idx), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

/* ---- INVD (always exits) and WBINVD: vmxlab writes back instead of discarding ------------ */
enum exit_action exit_cache_invalidate(struct vcpu *v)
{
    __asm__ volatile("wbinvd" ::: "memory"); /* INVD would discard vmxlab's own dirty lines */
    log_debug("exit", "%s: done as WBINVD", exit_reason_text(v->exit_reason));
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

/* ---- triple fault, INIT, SIPI ------------------------------------------------------------ */
enum exit_action exit_triple_fault(struct vcpu *v)
{
    log_error("exit", "triple fault: the guest faulted while delivering a double fault (SDM 6.15, 25.2) at %04llx:%04llx",
              (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip);
    vcpu_log_registers(v);
    if (vmx.opts.on_triple == OPT_TRIPLE_RESTART) {
        struct vcpu_start s = vcpu_entry_point();
        log_info("vcpu0", "on_triple=restart: INIT reset -> %04x:%04x", s.cs_selector, s.rip);
        vcpu_init_reset(v, &s);
        return EXIT_RESUME;
    }
    log_error("exit", "on_triple=halt: stopping the guest");
    v->stop_status = STATUS_GUEST_FAILED;
    return EXIT_STOP;
}

enum exit_action exit_init_signal(struct vcpu *v)
{
    log_error("exit", "INIT signal (SDM 25.2): a physical INIT reached this CPU and no APIC module handles it");
    v->stop_status = STATUS_GUEST_FAILED;
    return EXIT_STOP;
}

enum exit_action exit_sipi(struct vcpu *v)
{
    log_error("exit", "SIPI vector 0x%02llx (SDM 25.2) and no APIC module handles it", (unsigned long long)(v->exit_qualification & 0xFF));
    v->stop_status = STATUS_GUEST_FAILED;
    return EXIT_STOP;
}
