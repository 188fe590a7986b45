/*
 * vmx_names.c - tables of SDM names. Every table is indexed by the
 * architectural number with designated initializers, so a missing line leaves
 * a hole (reported as unknown) instead of shifting every later entry.
 */
#include "vmx/vmx_names.h"

struct exit_reason_info {
    const char *name;
    const char *section;
};

/* Names: SDM Vol.3D Appendix C, Table C-1. Sections: where Vol.3C describes the
 * cause (25.1 instructions, 25.2 other causes) and the exit qualification (27.2.1). */
static const struct exit_reason_info exit_reasons[EXIT_REASON_COUNT] = {
    [EXIT_REASON_EXCEPTION_NMI]       = { "Exception or non-maskable interrupt (NMI)",
                                          "25.2 (other causes of VM exits), 27.2.2 (interruption information)" },
    [EXIT_REASON_EXTERNAL_INTERRUPT]  = { "External interrupt",
                                          "25.2 (other causes of VM exits), 27.2.2 (interruption information)" },
    [EXIT_REASON_TRIPLE_FAULT]        = { "Triple fault", "25.2 (other causes of VM exits)" },
    [EXIT_REASON_INIT_SIGNAL]         = { "INIT signal", "25.2 (other causes of VM exits)" },
    [EXIT_REASON_SIPI]                = { "Start-up IPI (SIPI)",
                                          "25.2 (other causes of VM exits), 27.2.1 (qualification = SIPI vector)" },
    [EXIT_REASON_IO_SMI]              = { "I/O system-management interrupt (SMI)",
                                          "34.15.2 (SMM VM exits)" },
    [EXIT_REASON_OTHER_SMI]           = { "Other SMI", "34.15.2 (SMM VM exits)" },
    [EXIT_REASON_INTERRUPT_WINDOW]    = { "Interrupt window", "26.6.5 (interrupt-window exiting)" },
    [EXIT_REASON_NMI_WINDOW]          = { "NMI window", "26.6.6 (NMI-window exiting)" },
    [EXIT_REASON_TASK_SWITCH]         = { "Task switch",
                                          "25.4.2 (treatment of task switches), 27.2.1 (exit qualification)" },
    [EXIT_REASON_CPUID]               = { "CPUID", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_GETSEC]              = { "GETSEC", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_HLT]                 = { "HLT", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_INVD]                = { "INVD", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_INVLPG]              = { "INVLPG", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_RDPMC]               = { "RDPMC", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_RDTSC]               = { "RDTSC", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_RSM]                 = { "RSM", "25.1.3 (instructions that cause VM exits conditionally), 34.15.4" },
    [EXIT_REASON_VMCALL]              = { "VMCALL", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_VMCLEAR]             = { "VMCLEAR", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_VMLAUNCH]            = { "VMLAUNCH", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_VMPTRLD]             = { "VMPTRLD", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_VMPTRST]             = { "VMPTRST", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_VMREAD]              = { "VMREAD", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_VMRESUME]            = { "VMRESUME", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_VMWRITE]             = { "VMWRITE", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_VMXOFF]              = { "VMXOFF", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_VMXON]               = { "VMXON", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_CR_ACCESS]           = { "Control-register accesses",
                                          "25.1.3 (conditional exits), 27.2.1 (qualification for control-register accesses)" },
    [EXIT_REASON_DR_ACCESS]           = { "MOV DR",
                                          "25.1.3 (conditional exits), 27.2.1 (qualification for MOV DR)" },
    [EXIT_REASON_IO_INSTRUCTION]      = { "I/O instruction",
                                          "25.1.3 (conditional exits), 27.2.1 (qualification for I/O instructions)" },
    [EXIT_REASON_RDMSR]               = { "RDMSR", "25.1.3 (conditional exits), 24.6.9 (MSR bitmaps)" },
    [EXIT_REASON_WRMSR]               = { "WRMSR", "25.1.3 (conditional exits), 24.6.9 (MSR bitmaps)" },
    [EXIT_REASON_INVALID_GUEST_STATE] = { "VM-entry failure due to invalid guest state",
                                          "26.3.1 (checks on the guest state area), 26.7 (VM-entry failures)" },
    [EXIT_REASON_MSR_LOADING]         = { "VM-entry failure due to MSR loading",
                                          "26.4 (loading MSRs), 26.7 (VM-entry failures)" },
    [EXIT_REASON_MWAIT]               = { "MWAIT", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_MONITOR_TRAP_FLAG]   = { "Monitor trap flag", "25.5.2 (monitor trap flag)" },
    [EXIT_REASON_MONITOR]             = { "MONITOR", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_PAUSE]               = { "PAUSE", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_MACHINE_CHECK]       = { "VM-entry failure due to machine-check event",
                                          "26.8 (machine-check events during VM entry)" },
    [EXIT_REASON_TPR_BELOW_THRESHOLD] = { "TPR below threshold", "29.1.2 (TPR virtualization)" },
    [EXIT_REASON_APIC_ACCESS]         = { "APIC access",
                                          "29.4 (virtualizing memory-mapped APIC accesses), 27.2.1 (qualification for APIC-access VM exits)" },
    [EXIT_REASON_VIRTUALIZED_EOI]     = { "Virtualized EOI", "29.1.4 (EOI virtualization)" },
    [EXIT_REASON_GDTR_IDTR_ACCESS]    = { "Access to GDTR or IDTR",
                                          "25.1.3 (descriptor-table exiting), 27.2.4 (instruction information)" },
    [EXIT_REASON_LDTR_TR_ACCESS]      = { "Access to LDTR or TR",
                                          "25.1.3 (descriptor-table exiting), 27.2.4 (instruction information)" },
    [EXIT_REASON_EPT_VIOLATION]       = { "EPT violation",
                                          "28.2.3.2 (EPT violations), 27.2.1 (qualification for EPT violations)" },
    [EXIT_REASON_EPT_MISCONFIG]       = { "EPT misconfiguration", "28.2.3.1 (EPT misconfigurations)" },
    [EXIT_REASON_INVEPT]              = { "INVEPT", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_RDTSCP]              = { "RDTSCP", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_PREEMPTION_TIMER]    = { "VMX-preemption timer expired", "25.5.1 (VMX-preemption timer)" },
    [EXIT_REASON_INVVPID]             = { "INVVPID", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_WBINVD]              = { "WBINVD or WBNOINVD", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_XSETBV]              = { "XSETBV", "25.1.2 (instructions that cause VM exits unconditionally)" },
    [EXIT_REASON_APIC_WRITE]          = { "APIC write", "29.4.3.3 (APIC-write VM exits)" },
    [EXIT_REASON_RDRAND]              = { "RDRAND", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_INVPCID]             = { "INVPCID", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_VMFUNC]              = { "VMFUNC", "25.5.5 (VM functions)" },
    [EXIT_REASON_ENCLS]               = { "ENCLS", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_RDSEED]              = { "RDSEED", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_PML_FULL]            = { "Page-modification log full", "28.2.5 (page-modification logging)" },
    [EXIT_REASON_XSAVES]              = { "XSAVES", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_XRSTORS]             = { "XRSTORS", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_PCONFIG]             = { "PCONFIG", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_SPP_EVENT]           = { "SPP-related event", "28.2.3 (EPT-induced VM exits, sub-page permissions)" },
    [EXIT_REASON_UMWAIT]              = { "UMWAIT", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_TPAUSE]              = { "TPAUSE", "25.1.3 (instructions that cause VM exits conditionally)" },
    [EXIT_REASON_LOADIWKEY]           = { "LOADIWKEY", "25.1.3 (instructions that cause VM exits conditionally)" },
    /* 35, 38 and 42 are not used by the architecture: left empty on purpose. */
};

static const struct exit_reason_info *exit_info(uint32_t exit_reason)
{
    uint32_t basic = exit_reason & EXIT_REASON_BASIC_MASK;   /* SDM 24.9.1 */
    if (basic >= EXIT_REASON_COUNT || exit_reasons[basic].name == NULL)
        return NULL;
    return &exit_reasons[basic];
}

bool vmx_exit_reason_known(uint32_t exit_reason)
{
    return exit_info(exit_reason) != NULL;
}

const char *vmx_exit_reason_name(uint32_t exit_reason)
{
    const struct exit_reason_info *i = exit_info(exit_reason);
    return i ? i->name : "unknown exit reason";
}

const char *vmx_exit_reason_section(uint32_t exit_reason)
{
    const struct exit_reason_info *i = exit_info(exit_reason);
    return i ? i->section : "";
}

/* SDM Vol.3C 30.4, Table 30-1: VM-instruction error numbers */
#define VM_INSTRUCTION_ERROR_COUNT 29
static const char *const instruction_errors[VM_INSTRUCTION_ERROR_COUNT] = {
    [1]  = "VMCALL executed in VMX root operation",
    [2]  = "VMCLEAR with invalid physical address",
    [3]  = "VMCLEAR with VMXON pointer",
    [4]  = "VMLAUNCH with non-clear VMCS",
    [5]  = "VMRESUME with non-launched VMCS",
    [6]  = "VMRESUME after VMXOFF (VMXOFF and VMXON between VMLAUNCH and VMRESUME)",
    [7]  = "VM entry with invalid control field(s)",
    [8]  = "VM entry with invalid host-state field(s)",
    [9]  = "VMPTRLD with invalid physical address",
    [10] = "VMPTRLD with VMXON pointer",
    [11] = "VMPTRLD with incorrect VMCS revision identifier",
    [12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
    [13] = "VMWRITE to read-only VMCS component",
    [15] = "VMXON executed in VMX root operation",
    [16] = "VM entry with invalid executive-VMCS pointer",
    [17] = "VM entry with non-launched executive VMCS",
    [18] = "VM entry with executive-VMCS pointer not VMXON pointer "
           "(when attempting to deactivate the dual-monitor treatment of SMIs and SMM)",
    [19] = "VMCALL with non-clear VMCS "
           "(when attempting to activate the dual-monitor treatment of SMIs and SMM)",
    [20] = "VMCALL with invalid VM-exit control fields",
    [22] = "VMCALL with incorrect MSEG revision identifier "
           "(when attempting to activate the dual-monitor treatment of SMIs and SMM)",
    [23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
    [24] = "VMCALL with invalid SMM-monitor features "
           "(when attempting to activate the dual-monitor treatment of SMIs and SMM)",
    [25] = "VM entry with invalid VM-execution control fields in executive VMCS "
           "(when attempting to return from SMM)",
    [26] = "VM entry with events blocked by MOV SS",
    [28] = "Invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_text(uint32_t error)
{
    if (error >= VM_INSTRUCTION_ERROR_COUNT || instruction_errors[error] == NULL)
        return "reserved VM-instruction error number";
    return instruction_errors[error];
}

/* Pin-based VM-execution controls: SDM Vol.3C 24.6.1, Table 24-5 */
static const char *const pin_names[32] = {
    [0] = "external-interrupt exiting",
    [3] = "NMI exiting",
    [5] = "virtual NMIs",
    [6] = "activate VMX-preemption timer",
    [7] = "process posted interrupts",
};

/* Primary processor-based VM-execution controls: 24.6.2, Table 24-6 */
static const char *const proc_names[32] = {
    [2]  = "interrupt-window exiting",
    [3]  = "use TSC offsetting",
    [7]  = "HLT exiting",
    [9]  = "INVLPG exiting",
    [10] = "MWAIT exiting",
    [11] = "RDPMC exiting",
    [12] = "RDTSC exiting",
    [15] = "CR3-load exiting",
    [16] = "CR3-store exiting",
    [17] = "activate tertiary controls",
    [19] = "CR8-load exiting",
    [20] = "CR8-store exiting",
    [21] = "use TPR shadow",
    [22] = "NMI-window exiting",
    [23] = "MOV-DR exiting",
    [24] = "unconditional I/O exiting",
    [25] = "use I/O bitmaps",
    [27] = "monitor trap flag",
    [28] = "use MSR bitmaps",
    [29] = "MONITOR exiting",
    [30] = "PAUSE exiting",
    [31] = "activate secondary controls",
};

/* Secondary processor-based VM-execution controls: 24.6.2, Table 24-7 */
static const char *const proc2_names[32] = {
    [0]  = "virtualize APIC accesses",
    [1]  = "enable EPT",
    [2]  = "descriptor-table exiting",
    [3]  = "enable RDTSCP",
    [4]  = "virtualize x2APIC mode",
    [5]  = "enable VPID",
    [6]  = "WBINVD exiting",
    [7]  = "unrestricted guest",
    [8]  = "APIC-register virtualization",
    [9]  = "virtual-interrupt delivery",
    [10] = "PAUSE-loop exiting",
    [11] = "RDRAND exiting",
    [12] = "enable INVPCID",
    [13] = "enable VM functions",
    [14] = "VMCS shadowing",
    [15] = "enable ENCLS exiting",
    [16] = "RDSEED exiting",
    [17] = "enable PML",
    [18] = "EPT-violation #VE",
    [19] = "conceal VMX from PT",
    [20] = "enable XSAVES/XRSTORS",
    [22] = "mode-based execute control for EPT",
    [23] = "sub-page write permissions for EPT",
    [24] = "Intel PT uses guest physical addresses",
    [25] = "use TSC scaling",
    [26] = "enable user wait and pause",
    [28] = "enable ENCLV exiting",
};

/* VM-exit controls: 24.7.1 */
static const char *const exit_names[32] = {
    [2]  = "save debug controls",
    [9]  = "host address-space size",
    [12] = "load IA32_PERF_GLOBAL_CTRL",
    [15] = "acknowledge interrupt on exit",
    [18] = "save IA32_PAT",
    [19] = "load IA32_PAT",
    [20] = "save IA32_EFER",
    [21] = "load IA32_EFER",
    [22] = "save VMX-preemption timer value",
    [23] = "clear IA32_BNDCFGS",
    [24] = "conceal VMX from PT",
    [25] = "clear IA32_RTIT_CTL",
    [28] = "load CET state",
};

/* VM-entry controls: 24.8.1 */
static const char *const entry_names[32] = {
    [2]  = "load debug controls",
    [9]  = "IA-32e mode guest",
    [10] = "entry to SMM",
    [11] = "deactivate dual-monitor treatment",
    [13] = "load IA32_PERF_GLOBAL_CTRL",
    [14] = "load IA32_PAT",
    [15] = "load IA32_EFER",
    [16] = "load IA32_BNDCFGS",
    [17] = "conceal VMX from PT",
    [18] = "load IA32_RTIT_CTL",
    [20] = "load CET state",
};

static const char *const *const control_tables[VMX_CTL_COUNT] = {
    [VMX_CTL_PIN]   = pin_names,
    [VMX_CTL_PROC]  = proc_names,
    [VMX_CTL_PROC2] = proc2_names,
    [VMX_CTL_EXIT]  = exit_names,
    [VMX_CTL_ENTRY] = entry_names,
};

static const char *const control_field_names[VMX_CTL_COUNT] = {
    [VMX_CTL_PIN]   = "pin-based VM-execution controls",
    [VMX_CTL_PROC]  = "primary processor-based VM-execution controls",
    [VMX_CTL_PROC2] = "secondary processor-based VM-execution controls",
    [VMX_CTL_EXIT]  = "VM-exit controls",
    [VMX_CTL_ENTRY] = "VM-entry controls",
};

const char *vmx_control_name(enum vmx_ctl ctl, unsigned bit)
{
    if ((unsigned)ctl >= VMX_CTL_COUNT || bit >= 32)
        return NULL;
    return control_tables[ctl][bit];
}

const char *vmx_control_field_name(enum vmx_ctl ctl)
{
    if ((unsigned)ctl >= VMX_CTL_COUNT)
        return "?";
    return control_field_names[ctl];
}

/* SDM Vol.4 Table 2-2 (IA32_FEATURE_CONTROL), Vol.3D Appendix A (the VMX capability MSRs) */
const char *vmx_msr_name(uint32_t msr)
{
    static const char *const vmx_msrs[] = {
        "IA32_VMX_BASIC", "IA32_VMX_PINBASED_CTLS", "IA32_VMX_PROCBASED_CTLS", "IA32_VMX_EXIT_CTLS",
        "IA32_VMX_ENTRY_CTLS", "IA32_VMX_MISC", "IA32_VMX_CR0_FIXED0", "IA32_VMX_CR0_FIXED1",
        "IA32_VMX_CR4_FIXED0", "IA32_VMX_CR4_FIXED1", "IA32_VMX_VMCS_ENUM", "IA32_VMX_PROCBASED_CTLS2",
        "IA32_VMX_EPT_VPID_CAP", "IA32_VMX_TRUE_PINBASED_CTLS", "IA32_VMX_TRUE_PROCBASED_CTLS",
        "IA32_VMX_TRUE_EXIT_CTLS", "IA32_VMX_TRUE_ENTRY_CTLS", "IA32_VMX_VMFUNC",
    };
    _Static_assert(sizeof(vmx_msrs) / sizeof(vmx_msrs[0]) == IA32_VMX_VMFUNC - IA32_VMX_BASIC + 1,
                   "one name per VMX capability MSR");
    if (msr == IA32_FEATURE_CONTROL)
        return "IA32_FEATURE_CONTROL";
    if (msr >= IA32_VMX_BASIC && msr <= IA32_VMX_VMFUNC)
        return vmx_msrs[msr - IA32_VMX_BASIC];
    return NULL;
}
