/* SDM Vol.3A 9.1, Table 9-1 "IA-32 and Intel 64 Processor States Following Power-up, Reset,
 * or INIT": the INIT column as data, one row per table row, in the table's order. The last
 * rows are the VMX side: state a VMM keeps beside the registers that a software INIT must
 * reset too (what ACRN, Jailhouse, KVM and MiniVisor reset; docs/apic-init.md).
 *
 * Access rights use the VMCS format (SDM Vol.3C 24.4.1, Table 24-2): type in bits 3:0, S in
 * bit 4, DPL 6:5, P bit 7. "Present, R/W, Accessed" is 0x93, type 3 (read/write accessed
 * data), for CS too: the table gives CS the data rows' words, Bochs's RESET state is the same
 * (cpu/init.cc), and SDM 26.3.1.2 "Checks on Guest Segment Registers" allows a CS of type 3
 * (DPL 0) with unrestricted guest. A code type (0x9B) would tie the selector's RPL to DPL 0,
 * which Bochs checks with unrestricted guest too ("non-conforming CS.RPL <> CS.DPL"), so an
 * init=entry restart at a CS such as 0001 or 07BF would fail VM entry (vmx/setup.c has the
 * same rule for the first entry). LDTR 0x82 (LDT), TR 0x8B (busy TSS): the VM-entry checks of
 * SDM 26.3.1.2 want a usable TR of type 3 or 11 and an LDT of type 2. */
#include "vmx/init_state.h"
#include "vmx/vmx_caps.h"
#include "vmx/vmx_defs.h"

#define AR_DATA 0x93u
#define AR_CS 0x93u /* type 3 data, DPL 0: any real-mode selector (above) */
#define AR_LDTR 0x82u
#define AR_TR 0x8Bu

#define VM(f, src, v) {INIT_SINK_VMCS, (f), (src), (v)}
#define GPR(r) {INIT_SINK_GPR, (r), INIT_CONST, 0}
#define CPU(r, v) {INIT_SINK_CPU, (r), INIT_CONST, (v)}
#define ROW(item, after, pw, ...)                                                       \
    {item, after, pw, {__VA_ARGS__}, sizeof((struct init_item[]){__VA_ARGS__}) / sizeof(struct init_item)}

#define SEG_ROW(name, SEG)                                                              \
    ROW(name, "selector 0000H, base 00000000H, limit FFFFH, AR present, R/W, accessed", NULL, \
        VM(VMCS_GUEST_##SEG##_SELECTOR, INIT_CONST, 0), VM(VMCS_GUEST_##SEG##_BASE, INIT_CONST, 0), \
        VM(VMCS_GUEST_##SEG##_LIMIT, INIT_CONST, 0xFFFF), VM(VMCS_GUEST_##SEG##_ACCESS_RIGHTS, INIT_CONST, AR_DATA))

const struct init_row init_table[] = {
    ROW("EFLAGS", "00000002H", NULL, VM(VMCS_GUEST_RFLAGS, INIT_CONST, 0x2)),
    ROW("EIP", "0000FFF0H", NULL, VM(VMCS_GUEST_RIP, INIT_START_RIP, 0)),
    ROW("CR0", "CD and NW unchanged, bit 4 (ET) set, all others clear", "60000010H",
        VM(VMCS_GUEST_CR0, INIT_CR0_GUEST, 0), VM(VMCS_CR0_READ_SHADOW, INIT_CR0_SHADOW, 0)),
    ROW("CR2, CR3, CR4", "00000000H", NULL,
        CPU(INIT_REG_CR2, 0), VM(VMCS_GUEST_CR3, INIT_CONST, 0),
        VM(VMCS_GUEST_CR4, INIT_CR4_GUEST, 0), VM(VMCS_CR4_READ_SHADOW, INIT_CR4_SHADOW, 0)),
    ROW("CS", "selector F000H, base FFFF0000H, limit FFFFH, AR present, R/W, accessed", NULL,
        VM(VMCS_GUEST_CS_SELECTOR, INIT_START_CS_SEL, 0), VM(VMCS_GUEST_CS_BASE, INIT_START_CS_BASE, 0),
        VM(VMCS_GUEST_CS_LIMIT, INIT_CONST, 0xFFFF), VM(VMCS_GUEST_CS_ACCESS_RIGHTS, INIT_CONST, AR_CS)),
    SEG_ROW("SS", SS),
    SEG_ROW("DS", DS),
    SEG_ROW("ES", ES),
    SEG_ROW("FS", FS),
    SEG_ROW("GS", GS),
    ROW("EDX", "processor signature (CPUID.1:EAX; older tables: 00000FxxH)", NULL,
        {INIT_SINK_GPR, GPR_RDX, INIT_SIGNATURE, 0}),
    ROW("EAX", "0", "0, or the BIST result when BIST was requested", GPR(GPR_RAX)),
    ROW("EBX, ECX, ESI, EDI, EBP, ESP", "00000000H", NULL,
        GPR(GPR_RBX), GPR(GPR_RCX), GPR(GPR_RSI), GPR(GPR_RDI), GPR(GPR_RBP), GPR(GPR_RSP),
        VM(VMCS_GUEST_RSP, INIT_CONST, 0)),
    ROW("R8-R15", "0000000000000000H", NULL,
        GPR(GPR_R8), GPR(GPR_R9), GPR(GPR_R10), GPR(GPR_R11),
        GPR(GPR_R12), GPR(GPR_R13), GPR(GPR_R14), GPR(GPR_R15)),
    ROW("GDTR, IDTR", "base 00000000H, limit FFFFH, AR present, R/W", NULL,
        VM(VMCS_GUEST_GDTR_BASE, INIT_CONST, 0), VM(VMCS_GUEST_GDTR_LIMIT, INIT_CONST, 0xFFFF),
        VM(VMCS_GUEST_IDTR_BASE, INIT_CONST, 0), VM(VMCS_GUEST_IDTR_LIMIT, INIT_CONST, 0xFFFF)),
    ROW("LDTR", "selector 0000H, base 00000000H, limit FFFFH, AR present, R/W", NULL,
        VM(VMCS_GUEST_LDTR_SELECTOR, INIT_CONST, 0), VM(VMCS_GUEST_LDTR_BASE, INIT_CONST, 0),
        VM(VMCS_GUEST_LDTR_LIMIT, INIT_CONST, 0xFFFF), VM(VMCS_GUEST_LDTR_ACCESS_RIGHTS, INIT_CONST, AR_LDTR)),
    ROW("Task Register", "selector 0000H, base 00000000H, limit FFFFH, AR present, R/W", NULL,
        VM(VMCS_GUEST_TR_SELECTOR, INIT_CONST, 0), VM(VMCS_GUEST_TR_BASE, INIT_CONST, 0),
        VM(VMCS_GUEST_TR_LIMIT, INIT_CONST, 0xFFFF), VM(VMCS_GUEST_TR_ACCESS_RIGHTS, INIT_CONST, AR_TR)),
    ROW("DR0, DR1, DR2, DR3", "00000000H", NULL,
        CPU(INIT_REG_DR0, 0), CPU(INIT_REG_DR1, 0), CPU(INIT_REG_DR2, 0), CPU(INIT_REG_DR3, 0)),
    ROW("DR6", "FFFF0FF0H", NULL, CPU(INIT_REG_DR6, 0xFFFF0FF0u)),
    ROW("DR7", "00000400H", NULL, VM(VMCS_GUEST_DR7, INIT_CONST, 0x400)),
    ROW("IA32_EFER", "00000000H", NULL, VM(VMCS_GUEST_IA32_EFER, INIT_CONST, 0)),

    /* The VMX side (no Table 9-1 row: state only a VMM has). */
    ROW("activity state", "active (wait-for-SIPI is modelled in software)", NULL,
        VM(VMCS_GUEST_ACTIVITY_STATE, INIT_ACTIVITY, 0)),
    ROW("interruptibility state", "0: no STI/MOV-SS/SMI/NMI blocking survives INIT", NULL,
        VM(VMCS_GUEST_INTERRUPTIBILITY_STATE, INIT_CONST, 0)),
    ROW("pending debug exceptions", "0", NULL, VM(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, INIT_CONST, 0)),
    ROW("VM-entry interruption information", "0: no event injected into the fresh vCPU", NULL,
        VM(VMCS_ENTRY_INTERRUPTION_INFO, INIT_CONST, 0)),
    ROW("VM-entry controls", "\"IA-32e mode guest\" clear: EFER.LMA is 0 after INIT", NULL,
        VM(VMCS_CTRL_ENTRY, INIT_ENTRY_CTLS, 0)),
};
const size_t init_table_rows = sizeof(init_table) / sizeof(init_table[0]);

const char *const init_unchanged[] = {
    "x87 FPU, MMX, SSE and AVX state, MXCSR, XCR0",
    "MTRRs, PAT, TSC, performance counters and most MSRs (IA32_APIC_BASE and x2APIC mode included)",
    "machine-check architecture, SMBASE, caches and TLBs (vmxlab invalidates its EPT/VPID TLBs)",
    "memory",
    "local APIC: registers reset except the APIC ID (SDM 10.4.7.3; apic/vlapic.c)",
};
const size_t init_unchanged_count = sizeof(init_unchanged) / sizeof(init_unchanged[0]);

uint64_t init_state_cr0(uint64_t old_cr0)
{
    return (old_cr0 & (CR0_CD | CR0_NW)) | CR0_ET;
}

static uint64_t value_of(const struct init_params *p, const struct init_item *it)
{
    uint64_t cr0 = init_state_cr0(p->old_cr0);
    switch (it->source) {
    case INIT_CONST: return it->value;
    case INIT_START_CS_SEL: return p->cs_selector;
    case INIT_START_CS_BASE: return p->cs_base;
    case INIT_START_RIP: return p->rip;
    case INIT_SIGNATURE: return p->signature;
    /* The guest reads the shadow; underneath, the bits VMX insists on (CR0.NE, CR4.VMXE) stay
     * set, and the guest/host masks make sure the guest never sees them. */
    case INIT_CR0_GUEST: return vmx_cr_apply_fixed(cr0, p->cr0_fixed0, p->cr0_fixed1);
    case INIT_CR0_SHADOW: return cr0;
    case INIT_CR4_GUEST: return vmx_cr_apply_fixed(0, p->cr4_fixed0, p->cr4_fixed1);
    case INIT_CR4_SHADOW: return 0;
    case INIT_ENTRY_CTLS: return p->entry_controls & ~(uint64_t)ENTRY_IA32E_MODE_GUEST;
    case INIT_ACTIVITY: return p->activity_state;
    }
    return it->value;
}

size_t init_state_build(const struct init_params *p, struct init_field *out, size_t max)
{
    size_t n = 0;
    for (size_t r = 0; r < init_table_rows; r++) {
        const struct init_row *row = &init_table[r];
        for (unsigned i = 0; i < row->nitems; i++) {
            const struct init_item *it = &row->items[i];
            if (it->sink != INIT_SINK_VMCS)
                continue;
            if (n < max)
                out[n] = (struct init_field){it->field, value_of(p, it), row->item};
            n++;
        }
    }
    return n;
}

void init_state_regs(const struct init_params *p, struct init_regs *regs)
{
    for (unsigned i = 0; i < GPR_COUNT; i++)
        regs->gpr[i] = 0;
    for (unsigned i = 0; i < INIT_REG_COUNT; i++)
        regs->cpu[i] = 0;
    for (size_t r = 0; r < init_table_rows; r++) {
        const struct init_row *row = &init_table[r];
        for (unsigned i = 0; i < row->nitems; i++) {
            const struct init_item *it = &row->items[i];
            if (it->sink == INIT_SINK_GPR && it->field < GPR_COUNT)
                regs->gpr[it->field] = value_of(p, it);
            else if (it->sink == INIT_SINK_CPU && it->field < INIT_REG_COUNT)
                regs->cpu[it->field] = value_of(p, it);
        }
    }
}
