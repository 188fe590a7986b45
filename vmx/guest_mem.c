/* Guest memory by linear address (see guest_mem.h). */
#include "vmx/guest_mem.h"
#include "arch/x86_64/cpu.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "vmx/inject.h"
#include "vmx/vmx_internal.h"

/* Guest-physical memory for the walk: EPT is an identity map below 4 GiB, so the host reaches
 * guest page tables at the same address; vmxlab's own memory is not the guest's. While the
 * guest's A20 is off, 1 MiB..2 MiB is 0..1 MiB, as in EPT (vmx/a20.c). */
static void *walk_map(void *ctx, uint64_t pa, unsigned size)
{
    (void)ctx;
    if (pa + size > (1ull << 32) || (pa < vmx.hidden_end && vmx.hidden_start < pa + size))
        return NULL;
    return phys_to_virt(a20_wrap(&vmx.a20, pa));
}

static const struct gw_mem guest_phys = {NULL, walk_map};

static unsigned maxphyaddr(void)
{
    static unsigned cached;
    if (!cached) {
        /* SDM Vol.2 CPUID 80000008H: EAX[7:0]; 36 when the leaf is absent (SDM 4.1.4) */
        cached = cpuid(0x80000000u, 0).eax >= 0x80000008u ? (cpuid(0x80000008u, 0).eax & 0xFF) : 36;
    }
    return cached;
}

void guest_paging_state(struct gw_cpu *c)
{
    /* the values the processor uses (not the read shadows): paging follows the real ones.
     * Without paging nothing else matters (and an unrestricted guest without CR0.PG is not in
     * IA-32e mode), so the common real-mode case costs one VMREAD. */
    *c = (struct gw_cpu){.cr0 = vmcs_read(VMCS_GUEST_CR0), .maxphyaddr = maxphyaddr()};
    if (!(c->cr0 & CR0_PG))
        return;
    c->cr3 = vmcs_read(VMCS_GUEST_CR3);
    c->cr4 = vmcs_read(VMCS_GUEST_CR4);
    c->efer = vmcs_read(VMCS_GUEST_IA32_EFER);
    /* with EPT, a VM exit stores the PDPTE registers of PAE paging in the VMCS (SDM 28.3.1,
     * 27.3.4 "guest PDPTEs"), and the walk must use them, not memory (SDM 4.4.1) */
    if ((c->cr4 & CR4_PAE) && !(c->efer & EFER_LMA)) {
        c->pdpte_loaded = true;
        for (unsigned i = 0; i < 4; i++)
            c->pdpte[i] = vmcs_read(VMCS_GUEST_PDPTE0 + 2 * i);
    }
    c->cpl = (vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS) >> 5) & 3; /* SS.DPL (SDM 24.4.1) */
    if (c->cr4 & CR4_SMAP)
        c->rflags_ac = vmcs_read(VMCS_GUEST_RFLAGS) & (1u << 18);
}

EXIT_PATH_FN enum insn_mode guest_code_mode(void)
{
    uint64_t ar = vmcs_read_hot(VMCS_GUEST_CS_ACCESS_RIGHTS);
    if ((ar & (1u << 13)) && (vmcs_read_hot(VMCS_GUEST_IA32_EFER) & EFER_LMA)) /* CS.L, then IA-32e */
        return INSN_MODE_64;
    return (ar & (1u << 14)) ? INSN_MODE_32 : INSN_MODE_16; /* CS.D */
}

/* ES CS SS DS FS GS: the order of enum insn_seg and of the VMCS base fields (Appendix B) */
EXIT_PATH_FN uint64_t guest_segment_base(unsigned seg) { return vmcs_read_hot(VMCS_GUEST_ES_BASE + 2 * seg); }

static __attribute__((noinline)) bool translate_paged(uint64_t linear, unsigned access, uint64_t *pa,
                                                     struct guest_fault *f)
{
    struct gw_cpu c;
    guest_paging_state(&c);
    f->linear = linear;
    f->status = gw_translate(&c, &guest_phys, linear, access, &f->walk);
    *pa = f->walk.pa;
    return f->status == GW_OK;
}

EXIT_PATH_FN bool guest_translate(uint64_t linear, unsigned access, uint64_t *pa, struct guest_fault *f)
{
    /* without paging (every real-mode guest) the linear address is the physical one: one
     * VMREAD, no walk (the APIC-access path runs this twice per exit) */
    if (!(vmcs_read_hot(VMCS_GUEST_CR0) & CR0_PG)) {
        *pa = linear & 0xFFFFFFFFull;
        return true;
    }
    return translate_paged(linear, access, pa, f);
}

bool guest_read_linear(uint64_t linear, void *buf, size_t len, unsigned access, struct guest_fault *f)
{
    uint8_t *out = buf;
    while (len) {
        uint64_t pa;
        size_t chunk = 4096 - (linear & 0xFFF);
        if (chunk > len)
            chunk = len;
        if (!guest_translate(linear, access, &pa, f))
            return false;
        void *from = walk_map(NULL, pa, (unsigned)chunk);
        if (!from) {
            f->status = GW_NO_MEMORY;
            f->linear = linear;
            f->walk.table_pa = pa;
            return false;
        }
        memcpy(out, from, chunk);
        out += chunk, linear += chunk, len -= chunk;
    }
    return true;
}

static __attribute__((noinline)) int fetch_paged(uint64_t at, uint8_t *bytes, struct guest_fault *f)
{
    size_t first = 4096 - (at & 0xFFF);
    if (first >= INSN_MAX_LENGTH)
        return guest_read_linear(at, bytes, INSN_MAX_LENGTH, GW_FETCH, f) ? INSN_MAX_LENGTH : -1;
    if (!guest_read_linear(at, bytes, first, GW_FETCH, f))
        return -1;
    struct guest_fault f2;
    if (guest_read_linear(at + first, bytes + first, INSN_MAX_LENGTH - first, GW_FETCH, &f2))
        return INSN_MAX_LENGTH;
    *f = f2;
    return (int)first; /* the rest does not translate: only a problem if the decoder needs it */
}

EXIT_PATH_FN int guest_fetch_instruction(struct vcpu *v, enum insn_mode mode, uint8_t *bytes, struct guest_fault *f)
{
    uint64_t at = (mode == INSN_MODE_64 ? 0 : guest_segment_base(INSN_SEG_CS)) + v->rip;
    if (mode != INSN_MODE_64)
        at &= 0xFFFFFFFFull;
    /* paging off (real mode, big real mode, flat protected mode without paging): the linear
     * address is the guest-physical one (SDM 4.1.1), so when the 15 bytes lie in one page of
     * guest memory they are copied straight from it, with no walk and no page loop */
    const void *src;
    if ((at & 0xFFF) <= 4096 - INSN_MAX_LENGTH && mode != INSN_MODE_64 &&
        !(vmcs_read_hot(VMCS_GUEST_CR0) & CR0_PG) && (src = walk_map(NULL, at, INSN_MAX_LENGTH))) {
        __builtin_memcpy(bytes, src, INSN_MAX_LENGTH);   /* walk_map's address: the A20 wrap too */
        return INSN_MAX_LENGTH;
    }
    return fetch_paged(at, bytes, f);
}

bool guest_raise_fault(struct vcpu *v, const struct guest_fault *f, char *text, size_t len)
{
    char bits[64];
    switch (f->status) {
    case GW_PAGE_FAULT:
        /* CR2 is not part of the VMCS: the guest sees the processor's CR2, which vmxlab (no
         * page faults of its own) leaves alone between exits (SDM 27.3, 28.3 list no CR2) */
        write_cr2(f->linear);
        inject_exception(v, 14, true, f->walk.error_code);
        gw_describe_error(f->walk.error_code, bits, sizeof(bits));
        snprintf(text, len, "#PF (error code 0x%x: %s) with CR2=0x%llx injected", f->walk.error_code, bits,
                 (unsigned long long)f->linear);
        return true;
    case GW_NONCANONICAL:
        inject_gp(v);
        snprintf(text, len, "linear address 0x%llx is not canonical: #GP(0) injected", (unsigned long long)f->linear);
        return true;
    default:
        snprintf(text, len, "linear address 0x%llx: %s at 0x%llx", (unsigned long long)f->linear,
                 gw_status_text(f->status), (unsigned long long)f->walk.table_pa);
        return false;
    }
}
