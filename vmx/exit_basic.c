/* Handlers for the exits a guest causes by executing an instruction (SDM Vol.3 25.1.2-25.1.3):
 * VMCALL (vmxlab's hypercalls, docs/hypercalls.md), VMX instructions, MSR accesses,
 * INVD/WBINVD; and the triple-fault, INIT and SIPI defaults. CPUID: vmx/cpuid.c; control
 * registers and XSETBV: vmx/exit_cr.c. */
#include "arch/x86_64/cpu.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "vmx/exit_handlers.h"
#include "vmx/guest_mem.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_internal.h"
#include "vmx/vmx_names.h"

#define HC_VERSION 0
#define HC_PRINT 1
#define HC_POWER_OFF 2
#define HC_EXIT_COUNT 3
#define HC_ERROR_UNKNOWN 0xFFFFFFFFu  /* -1: no such function */
#define HC_ERROR_ARGUMENT 0xFFFFFFFEu /* -2: bad argument */
#define VMXLAB_HC_VERSION 0x000100    /* 0.1.0 */

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

/* The one function exit_vmcall() answers itself: VERSION; at log=debug none, so that every
 * hypercall goes through hypercall_other(), which logs it (hypercall_setup()). A 64-bit value
 * compared with the guest's whole RAX: a RAX with bits 63:32 set goes the long way too, which
 * looks at EAX only. */
static uint64_t hypercall_short = HC_VERSION;

void hypercall_setup(void) { hypercall_short = log_enabled(LOG_DEBUG) ? ~0ull : HC_VERSION; }

static __attribute__((noinline, cold)) enum exit_action hypercall_not_ring0(struct vcpu *v)
{
    log_debug("exit", "VMCALL at CPL > 0: #UD");
    inject_ud(v);
    return EXIT_RESUME;
}

/* Every function but the short one (and all at log=debug): out of line, so that VERSION
 * (what a guest calls in a loop) keeps no registers to save. */
static __attribute__((noinline)) enum exit_action hypercall_other(struct vcpu *v)
{
    uint32_t fn = (uint32_t)v->gpr[GPR_RAX];
    log_debug("exit", "VMCALL function %u ebx=0x%llx ecx=0x%llx", fn, (unsigned long long)v->gpr[GPR_RBX],
              (unsigned long long)v->gpr[GPR_RCX]);
    switch (fn) {
    case HC_VERSION:
        v->gpr[GPR_RAX] = 0;
        v->gpr[GPR_RBX] = VMXLAB_HC_VERSION;
        v->gpr[GPR_RCX] = 0x6c786d76; /* "vmxl" */
        break;
    case HC_EXIT_COUNT: {
        uint32_t reason = (uint32_t)v->gpr[GPR_RBX];
        v->gpr[GPR_RAX] = 0;
        v->gpr[GPR_RBX] = reason < ARRAY_SIZE(v->exit_counts) ? v->exit_counts[reason] : 0;
        v->gpr[GPR_RCX] = v->exits_total;
        break;
    }
    case HC_PRINT:
        hc_print(v);
        break;
    case HC_POWER_OFF:
        log_info("guest", "asked to power off with status %u", (uint32_t)v->gpr[GPR_RBX]);
        v->stop_status = (int)(v->gpr[GPR_RBX] & 0x7F);
        return EXIT_STOP;
    default:
        log_warn("exit", "VMCALL: unknown hypercall function %u, returning -1 to the guest", fn);
        v->gpr[GPR_RAX] = HC_ERROR_UNKNOWN;
    }
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

/* A hypercall (docs/hypercalls.md): vmxlab's own policy, ring 0 only (CPL = SS.DPL, SDM
 * 24.4.1; the CPU exits at any CPL), then the function in EAX. */
static inline __attribute__((always_inline)) enum exit_action hypercall(struct vcpu *v)
{
    if (__builtin_expect(vmcs_read_exit(VMCS_GUEST_SS_ACCESS_RIGHTS) & 0x60, 0))
        return hypercall_not_ring0(v);
    if (__builtin_expect(v->gpr[GPR_RAX] != hypercall_short, 0))
        return hypercall_other(v);
    v->gpr[GPR_RAX] = 0;  /* VERSION */
    v->gpr[GPR_RBX] = VMXLAB_HC_VERSION;
    v->gpr[GPR_RCX] = 0x6c786d76; /* "vmxl" */
    vcpu_skip_instruction_hot(v);
    return EXIT_RESUME;
}

/* the INT 15h stub's VMCALL, or a hypercall at the stub's offset in another segment */
static __attribute__((noinline)) enum exit_action exit_vmcall_bios(struct vcpu *v)
{
    if (biosmem_vmcall(v))
        return EXIT_RESUME;
    return hypercall(v);
}

/* VMCALL always exits in VMX non-root operation (SDM Vol.3C 25.1.2): the INT 15h stub's
 * (biosmem.c, recognized by its offset first, then CS.base + RIP), else a hypercall. */
EXIT_PATH_FN enum exit_action exit_vmcall(struct vcpu *v)
{
    if (__builtin_expect(v->rip == vmx.bios_hook_rip, 0))
        return exit_vmcall_bios(v);
    return hypercall(v);
}

/* ---- VMX instructions: this guest sees no VMX (CPUID.1:ECX.VMX = 0), so #UD (SDM 30.3) ---- */
enum exit_action exit_vmx_instruction(struct vcpu *v)
{
    log_info("exit", "%s in the guest at 0x%llx: injecting #UD (VMX is hidden from the guest)",
             exit_reason_text(v->exit_reason), (unsigned long long)v->rip);
    inject_ud(v);
    return EXIT_RESUME;
}

/* ---- MSRs: the MSR bitmap makes only the hooked ones exit (SDM 24.6.9, 25.1.3) ---------- */
#define MSR_HOOKS 8
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
    const char *vmx_name = vmx_msr_name(msr);
    if (vmx_name)
        /* IA32_FEATURE_CONTROL and the VMX capability MSRs: VMX is hidden (CPUID.1:ECX[5] = 0),
         * so #GP as on a CPU without VMX (SDM Vol.4 Table 2-2, Vol.3D A.1) */
        log_info("exit", "%s of MSR 0x%x (%s): injecting #GP(0), as a CPU without VMX does (vmxlab hides VMX "
                 "from the guest)", write ? "WRMSR" : "RDMSR", msr, vmx_name);
    else if (msr <= 0x1FFF || (msr >= 0xC0000000 && msr <= 0xC0001FFF))
        /* intercepted in the MSR bitmap, but no hook takes this direction */
        log_info("exit", "%s of MSR 0x%x: vmxlab intercepts this MSR but has no %s handler for it: injecting #GP(0)",
                 write ? "WRMSR" : "RDMSR", msr, write ? "write" : "read");
    else
        /* SDM 24.6.9: an MSR outside the bitmap's two ranges always exits; an Intel CPU has none
         * there (Linux probes AMD's 0xC001xxxx), so #GP as the CPU itself would raise */
        log_info("exit", "%s of MSR 0x%x, outside the MSR bitmap's ranges (no such MSR on this CPU): injecting #GP",
                  write ? "WRMSR" : "RDMSR", msr);
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
        log_info(vcpu_tag(v), "on_triple=restart: INIT reset -> %04x:%04x", s.cs_selector, s.rip);
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
