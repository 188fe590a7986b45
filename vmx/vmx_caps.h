/*
 * vmx_caps.h - decode the VMX capability MSRs into something a student can read,
 * adjust wanted controls to what the CPU allows, and apply the CR0/CR4 fixed bits.
 *
 * Pure logic: the caller reads the MSRs (rdmsr) and passes their raw values;
 * the same code runs in the kernel and in host unit tests. Like any C code
 * built with -ffreestanding, the compiler may emit calls to memset/memcpy for
 * struct initialisation and copies (clang does here): the kernel provides them.
 * Sections: SDM Vol.3D Appendix A (capability MSRs), Vol.3C 26.2.1.1 and 26.3.1.1
 * (VM-entry checks that tie controls together and the guest CR0/CR4 rules).
 */
#ifndef VMX_CAPS_H
#define VMX_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmx/vmx_defs.h"

/* Raw MSR values as read by the caller. MSRs that do not exist on the CPU must
 * be passed as 0 (reading them raises #GP):
 *   true_*       exist only if IA32_VMX_BASIC bit 55 is 1 (A.1)
 *   procbased2   exists only if the primary controls allow bit 31 to be 1 (A.3.3)
 *   ept_vpid_cap exists only if secondary bit 1 (EPT) or 5 (VPID) may be 1 (A.10)
 *   vmfunc       exists only if secondary bit 13 (VM functions) may be 1 (A.11)
 *   every VMX MSR exists only if CPUID.1:ECX.VMX = 1 */
struct vmx_msrs {
    uint64_t basic;             /* IA32_VMX_BASIC 0x480 */
    uint64_t pinbased;          /* IA32_VMX_PINBASED_CTLS 0x481 */
    uint64_t procbased;         /* IA32_VMX_PROCBASED_CTLS 0x482 */
    uint64_t exit;              /* IA32_VMX_EXIT_CTLS 0x483 */
    uint64_t entry;             /* IA32_VMX_ENTRY_CTLS 0x484 */
    uint64_t misc;              /* IA32_VMX_MISC 0x485 */
    uint64_t cr0_fixed0;        /* 0x486 */
    uint64_t cr0_fixed1;        /* 0x487 */
    uint64_t cr4_fixed0;        /* 0x488 */
    uint64_t cr4_fixed1;        /* 0x489 */
    uint64_t procbased2;        /* IA32_VMX_PROCBASED_CTLS2 0x48B */
    uint64_t ept_vpid_cap;      /* IA32_VMX_EPT_VPID_CAP 0x48C */
    uint64_t true_pinbased;     /* 0x48D */
    uint64_t true_procbased;    /* 0x48E */
    uint64_t true_exit;         /* 0x48F */
    uint64_t true_entry;        /* 0x490 */
    uint64_t vmfunc;            /* IA32_VMX_VMFUNC 0x491 */
    uint64_t feature_control;   /* IA32_FEATURE_CONTROL 0x3A */
    uint32_t cpuid1_ecx;        /* CPUID leaf 1, ECX */
};

/* One control field's capability (A.3-A.5): bits 31:0 of the MSR are the
 * allowed-0 settings (a 1 there means the control must be 1), bits 63:32 the
 * allowed-1 settings (a 1 there means the control may be 1). */
struct vmx_ctl_caps {
    uint32_t msr_index;         /* the MSR the values came from (TRUE_ or legacy) */
    uint64_t msr_value;
    uint32_t must_be_1;         /* allowed-0 settings, plus default1 without TRUE MSRs */
    uint32_t may_be_1;          /* allowed-1 settings */
};

static inline bool vmx_ctl_can_be_0(const struct vmx_ctl_caps *c, unsigned bit)
{
    return bit < 32 && !((c->must_be_1 >> bit) & 1u);
}

static inline bool vmx_ctl_can_be_1(const struct vmx_ctl_caps *c, unsigned bit)
{
    return bit < 32 && ((c->may_be_1 >> bit) & 1u);
}

/* IA32_VMX_EPT_VPID_CAP decoded (A.10) */
struct vmx_ept_vpid_caps {
    bool execute_only;                  /* bit 0 */
    bool walk_length_4;                 /* bit 6 */
    bool walk_length_5;                 /* bit 7 */
    bool memtype_uc;                    /* bit 8: EPTP may use UC */
    bool memtype_wb;                    /* bit 14: EPTP may use WB */
    bool pages_2m;                      /* bit 16 */
    bool pages_1g;                      /* bit 17 */
    bool invept;                        /* bit 20 */
    bool accessed_dirty;                /* bit 21 */
    bool advanced_exit_info;            /* bit 22 */
    bool supervisor_shadow_stack;       /* bit 23 */
    bool invept_single_context;         /* bit 25 */
    bool invept_all_context;            /* bit 26 */
    bool invvpid;                       /* bit 32 */
    bool invvpid_individual_address;    /* bit 40 */
    bool invvpid_single_context;        /* bit 41 */
    bool invvpid_all_context;           /* bit 42 */
    bool invvpid_single_context_globals;/* bit 43 */
};

/* IA32_VMX_MISC decoded (A.6) */
struct vmx_misc_caps {
    unsigned preemption_timer_rate;     /* timer ticks every 2^rate TSC cycles */
    bool store_efer_lma;                /* bit 5 */
    bool activity_hlt;                  /* bit 6 */
    bool activity_shutdown;             /* bit 7 */
    bool activity_wait_for_sipi;        /* bit 8 */
    bool pt_in_vmx;                     /* bit 14 */
    bool smbase_rdmsr;                  /* bit 15 */
    unsigned cr3_target_count;          /* bits 24:16 */
    unsigned max_msr_list;              /* 512 * (bits 27:25 + 1) entries */
    bool vmwrite_any_field;             /* bit 29 */
    bool zero_length_injection;         /* bit 30 */
    uint32_t mseg_revision;             /* bits 63:32 */
};

enum vmx_verdict {
    VMX_VERDICT_OK = 0,
    VMX_VERDICT_NO_VMX,                 /* CPUID.1:ECX.VMX = 0 (SDM 23.6) */
    VMX_VERDICT_DISABLED_BY_FIRMWARE,   /* locked without VMX outside SMX (SDM 23.7) */
};

/* The features vmxlab uses. A feature is present only if every control it
 * needs may be 1, including the controls that 26.2.1.1 makes it depend on. */
enum vmx_feature {
    VMX_FEAT_EPT = 0,                   /* PROC2.1 + 4-level walk + WB EPTP */
    VMX_FEAT_UNRESTRICTED_GUEST,        /* PROC2.7, requires EPT */
    VMX_FEAT_VIRTUALIZE_APIC_ACCESSES,  /* PROC2.0 */
    VMX_FEAT_APIC_REGISTER_VIRTUALIZATION, /* PROC2.8, requires TPR shadow */
    VMX_FEAT_VIRTUAL_INTERRUPT_DELIVERY,/* PROC2.9, requires TPR shadow and external-interrupt exiting */
    VMX_FEAT_TPR_SHADOW,                /* PROC.21 */
    VMX_FEAT_COUNT
};

struct vmx_caps {
    enum vmx_verdict verdict;
    bool feature_control_locked;        /* IA32_FEATURE_CONTROL bit 0 */
    bool vmx_outside_smx;               /* IA32_FEATURE_CONTROL bit 2 */
    bool feature_control_needs_write;   /* unlocked: set bits 0 and 2 before VMXON (23.7) */

    /* IA32_VMX_BASIC (A.1) */
    uint32_t revision_id;
    uint32_t vmcs_region_size;          /* bytes for the VMXON region and a VMCS */
    unsigned vmcs_memory_type;          /* 0 = UC, 6 = WB */
    bool phys_addr_32bit;               /* bit 48: regions limited to 4 GiB */
    bool dual_monitor;                  /* bit 49 */
    bool ins_outs_info;                 /* bit 54 */
    bool true_controls;                 /* bit 55: the TRUE_ MSRs exist and are used */
    bool no_error_code_check;           /* bit 56 */

    struct vmx_ctl_caps ctl[VMX_CTL_COUNT];
    struct vmx_ept_vpid_caps ept;
    struct vmx_misc_caps misc;
    uint64_t ept_vpid_cap_raw;
    uint64_t misc_raw;
    uint64_t feature_control_raw;
    uint64_t cr0_fixed0, cr0_fixed1;    /* A.7 */
    uint64_t cr4_fixed0, cr4_fixed1;    /* A.8 */
    uint64_t vmfunc;                    /* A.11: allowed VM functions */
    bool has[VMX_FEAT_COUNT];
};

/* Decode everything. Never fails: a CPU without VMX gives verdict NO_VMX and
 * no capabilities; a firmware lock gives DISABLED_BY_FIRMWARE with the MSRs
 * still decoded (they are readable; VMXON is what would fail). */
void vmx_caps_decode(const struct vmx_msrs *msrs, struct vmx_caps *caps);

/* "VMX usable", "VMX not supported by this CPU", "VMX disabled by firmware (...)" */
const char *vmx_verdict_text(enum vmx_verdict verdict);

/* "EPT", "unrestricted guest", "APIC-register virtualization", ... */
const char *vmx_feature_name(enum vmx_feature feature);

/* The MSR value that governs a control field: the TRUE_ MSR when IA32_VMX_BASIC
 * bit 55 is 1, else the legacy one (A.2); PROC2 has no TRUE_ variant and reads
 * as 0 when the primary controls cannot activate it (A.3.3). */
uint64_t vmx_ctl_cap_msr(const struct vmx_msrs *msrs, enum vmx_ctl ctl, uint32_t *msr_index);

/* SDM A.3.1-A.5: result = (wanted | allowed-0) & allowed-1. `missing` receives the
 * wanted bits the CPU cannot set (wanted & ~allowed-1). Returns true when nothing
 * wanted is missing. Bits forced to 1 by allowed-0 are added silently. */
bool vmx_adjust_controls(uint64_t cap_msr, uint32_t wanted, uint32_t *result, uint32_t *missing);

/* Same through decoded caps; without TRUE MSRs the default1 class is forced to 1 (A.2). */
bool vmx_caps_adjust(const struct vmx_caps *caps, enum vmx_ctl ctl, uint32_t wanted,
                     uint32_t *result, uint32_t *missing);

/* CR0/CR4 fixed bits (A.7, A.8): a bit set in FIXED0 must be 1, a bit clear in
 * FIXED1 must be 0. Returns value with both rules applied. */
/* SDM Vol.3C 23.7 "Enabling and Entering VMX Operation": what IA32_FEATURE_CONTROL, as the
 * firmware left it, means for VMXON outside SMX. Locked with bit 2 (VMX outside SMX) set: use
 * it. Locked without it: VMXON would raise #GP and the MSR cannot change until reset. Unlocked
 * (some firmware leaves it so; every Bochs model comes locked): set bit 2 and the lock bit,
 * keeping the other bits, *write gets the value to write (a locked MSR raises #GP on WRMSR). */
enum vmx_fc_action { VMX_FC_USE, VMX_FC_SET_AND_LOCK, VMX_FC_LOCKED_OFF };
enum vmx_fc_action vmx_feature_control_action(uint64_t fc, uint64_t *write);

uint64_t vmx_cr_apply_fixed(uint64_t value, uint64_t fixed0, uint64_t fixed1);

/* True when value obeys the fixed bits; *bad (optional) gets the offending bits. */
bool vmx_cr_check(uint64_t value, uint64_t fixed0, uint64_t fixed1, uint64_t *bad);

/* Bits of CR0 a guest must have set. With "unrestricted guest", PE and PG are
 * exempt (SDM 26.3.1.1), which is what lets a real-mode guest run. */
uint64_t vmx_guest_cr0_fixed0(const struct vmx_caps *caps, bool unrestricted_guest);

/* Guest CR0/CR4 as checked at VM entry (26.3.1.1), including "PG=1 needs PE=1"
 * under unrestricted guest. *bad (optional) gets the offending bits. */
bool vmx_guest_cr0_check(const struct vmx_caps *caps, uint64_t cr0, bool unrestricted_guest,
                         uint64_t *bad);
bool vmx_guest_cr4_check(const struct vmx_caps *caps, uint64_t cr4, uint64_t *bad);

/* Bits the guest cannot choose freely (must-be-1 or must-be-0): put them in the
 * CR0/CR4 guest/host mask and show the guest's own view in the read shadow. */
uint64_t vmx_cr_host_owned_bits(uint64_t fixed0, uint64_t fixed1);

/* ---- text report (vmx_caps_report.c) ---- */

typedef void (*vmx_line_fn)(void *ctx, const char *text);

/* Render the capability report, one call of line() per text line (no newline).
 * Lines are at most VMX_REPORT_LINE_MAX - 1 characters. */
#define VMX_REPORT_LINE_MAX 128
void vmx_caps_report(const struct vmx_caps *caps, vmx_line_fn line, void *ctx);

/* The report's number formatter, exposed for reuse: writes a NUL-terminated
 * string into buf (capacity cap >= 1) and returns its length (truncated to fit). */
size_t vmx_fmt_dec(char *buf, size_t cap, uint64_t value);
size_t vmx_fmt_hex(char *buf, size_t cap, uint64_t value, unsigned min_digits); /* "0x..." */

#endif /* VMX_CAPS_H */
