/* Control-register and XCR0 write rules (vmx/cr_rules.h). */
#include "vmx/cr_rules.h"
#include "vmx/vmx_defs.h"

#define CR0_RESERVED_HIGH 0xFFFFFFFF00000000ull
#define CR3_PCID_MASK 0xFFFull

const char *cr0_write_fault(const struct cr_state *s, uint64_t value)
{
    bool lma = (s->efer & EFER_LMA) != 0;
    if (value & CR0_RESERVED_HIGH)
        return "bits 63:32 of CR0 are reserved (SDM 2.5)";
    if ((value & CR0_PG) && !(value & CR0_PE))
        return "PG=1 with PE=0 (SDM Vol.2 MOV CR)";
    if ((value & CR0_NW) && !(value & CR0_CD))
        return "NW=1 with CD=0 (SDM Vol.2 MOV CR)";
    if (!(s->cr0 & CR0_PG) && (value & CR0_PG) && (s->efer & EFER_LME)) {
        /* activating IA-32e mode (SDM 9.8.5) */
        if (!(s->cr4 & CR4_PAE))
            return "PG=1 with EFER.LME=1 and CR4.PAE=0 (SDM 9.8.5)";
        if (s->cs_l)
            return "activating IA-32e mode with CS.L=1 (SDM 9.8.5)";
    }
    if ((s->cr0 & CR0_PG) && !(value & CR0_PG)) {
        if (lma && s->cs_l)
            return "PG cleared in 64-bit mode (SDM Vol.2 MOV CR, 64-Bit Mode Exceptions)";
        if (s->cr4 & CR4_PCIDE)
            return "PG cleared with CR4.PCIDE=1 (SDM Vol.2 MOV CR)";
    }
    if (!(value & CR0_WP) && (s->cr4 & CR4_CET))
        return "WP cleared with CR4.CET=1 (SDM 2.5)";
    return 0;
}

const char *cr4_write_fault(const struct cr_state *s, uint64_t value, uint64_t allowed)
{
    bool lma = (s->efer & EFER_LMA) != 0;
    if (value & ~allowed) {
        if ((value & CR4_VMXE) && !(allowed & CR4_VMXE))
            return "VMXE=1 while the guest's CPUID shows no VMX (SDM 23.6, 23.7)";
        return "a reserved bit, or one of a feature this CPU lacks (SDM 2.5)";
    }
    if (lma && !(value & CR4_PAE))
        return "PAE cleared in IA-32e mode (SDM Vol.2 MOV CR)";
    if (lma && ((value ^ s->cr4) & CR4_LA57))
        return "LA57 changed in IA-32e mode (SDM 2.5)";
    if (!(s->cr4 & CR4_PCIDE) && (value & CR4_PCIDE)) {
        if (!lma)
            return "PCIDE=1 outside IA-32e mode (SDM 4.10.1)";
        if (s->cr3 & CR3_PCID_MASK)
            return "PCIDE=1 with CR3[11:0] not 0 (SDM 4.10.1)";
    }
    if ((value & CR4_CET) && !(s->cr0 & CR0_WP))
        return "CET=1 with CR0.WP=0 (SDM 2.5)";
    return 0;
}

const char *xcr_write_fault(uint32_t index, uint64_t value, uint64_t supported)
{
    uint64_t avx512 = value & 0xE0; /* opmask, ZMM_Hi256, Hi16_ZMM */
    if (index != 0)
        return "ECX names no writable XCR (only XCR0)";
    if (!(value & 1))
        return "XCR0 bit 0 (x87) must be 1";
    if (value & ~supported)
        return "a bit CPUID.(0DH,0):EDX:EAX does not support";
    if ((value & 4) && !(value & 2))
        return "AVX (bit 2) without SSE (bit 1)";
    if (avx512 && (avx512 != 0xE0 || !(value & 4)))
        return "AVX-512 bits 7:5 must be all set, with AVX, or all clear";
    if (((value >> 3) ^ (value >> 4)) & 1)
        return "MPX bits 3 (BNDREGS) and 4 (BNDCSR) differ";
    if (((value >> 17) ^ (value >> 18)) & 1)
        return "AMX bits 17 (XTILECFG) and 18 (XTILEDATA) differ";
    return 0;
}

/* SDM 4.10.4.1 "Operations that Invalidate TLBs and Paging-Structure Caches" */
bool cr0_write_flushes_tlb(uint64_t old, uint64_t value)
{
    return (old & CR0_PG) && !(value & CR0_PG); /* PG from 1 to 0: all entries, all PCIDs */
}

/* PGE changed or PCIDE 1 to 0: all entries; PAE, PSE, SMEP, SMAP, PKE, LA57 changed: the
 * current PCID's (vmxlab flushes the VPID's, a superset) */
bool cr4_write_flushes_tlb(uint64_t old, uint64_t value)
{
    uint64_t changed = old ^ value;
    return (changed & (CR4_PGE | CR4_PAE | CR4_PSE | CR4_SMEP | CR4_SMAP | CR4_PKE | CR4_LA57)) ||
           ((changed & CR4_PCIDE) && !(value & CR4_PCIDE));
}
