/*
 * vmx_defs.h - Intel VMX architectural constants, named once, with the SDM's names.
 *
 * Section numbers are those of the Intel SDM Vol.3C editions in which the VMCS is
 * Chapter 24 (VM entries 26, VM exits 27, EPT 28, APIC virtualization 29, VMX
 * instruction reference 30); editions from 2023 on shift these chapters by one.
 * Appendix A (capability MSRs), B (field encodings) and C (exit reasons) did not move.
 *
 * Only constants here: no code, no types beyond the control-field enum at the end.
 */
#ifndef VMX_DEFS_H
#define VMX_DEFS_H

#include <stdint.h>

/* ------------------------------------------------------------------------- */
/* MSRs (SDM Vol.4 Table 2-2; VMX capability MSRs: SDM Vol.3D Appendix A)     */
/* ------------------------------------------------------------------------- */
#define IA32_APIC_BASE                  0x0000001Bu
#define IA32_FEATURE_CONTROL            0x0000003Au
#define IA32_MTRRCAP                    0x000000FEu
#define IA32_SYSENTER_CS                0x00000174u
#define IA32_SYSENTER_ESP               0x00000175u
#define IA32_SYSENTER_EIP               0x00000176u
#define IA32_DEBUGCTL                   0x000001D9u
#define IA32_MTRR_PHYSBASE0             0x00000200u   /* PHYSBASEn = 0x200 + 2n */
#define IA32_MTRR_PHYSMASK0             0x00000201u   /* PHYSMASKn = 0x201 + 2n */
#define IA32_MTRR_FIX64K_00000          0x00000250u
#define IA32_MTRR_FIX16K_80000          0x00000258u
#define IA32_MTRR_FIX16K_A0000          0x00000259u
#define IA32_MTRR_FIX4K_C0000           0x00000268u
#define IA32_MTRR_FIX4K_C8000           0x00000269u
#define IA32_MTRR_FIX4K_D0000           0x0000026Au
#define IA32_MTRR_FIX4K_D8000           0x0000026Bu
#define IA32_MTRR_FIX4K_E0000           0x0000026Cu
#define IA32_MTRR_FIX4K_E8000           0x0000026Du
#define IA32_MTRR_FIX4K_F0000           0x0000026Eu
#define IA32_MTRR_FIX4K_F8000           0x0000026Fu
#define IA32_PAT                        0x00000277u
#define IA32_MTRR_DEF_TYPE              0x000002FFu
#define IA32_PERF_GLOBAL_CTRL           0x0000038Fu
#define IA32_VMX_BASIC                  0x00000480u
#define IA32_VMX_PINBASED_CTLS          0x00000481u
#define IA32_VMX_PROCBASED_CTLS         0x00000482u
#define IA32_VMX_EXIT_CTLS              0x00000483u
#define IA32_VMX_ENTRY_CTLS             0x00000484u
#define IA32_VMX_MISC                   0x00000485u
#define IA32_VMX_CR0_FIXED0             0x00000486u
#define IA32_VMX_CR0_FIXED1             0x00000487u
#define IA32_VMX_CR4_FIXED0             0x00000488u
#define IA32_VMX_CR4_FIXED1             0x00000489u
#define IA32_VMX_VMCS_ENUM              0x0000048Au
#define IA32_VMX_PROCBASED_CTLS2        0x0000048Bu
#define IA32_VMX_EPT_VPID_CAP           0x0000048Cu
#define IA32_VMX_TRUE_PINBASED_CTLS     0x0000048Du
#define IA32_VMX_TRUE_PROCBASED_CTLS    0x0000048Eu
#define IA32_VMX_TRUE_EXIT_CTLS         0x0000048Fu
#define IA32_VMX_TRUE_ENTRY_CTLS        0x00000490u
#define IA32_VMX_VMFUNC                 0x00000491u
#define IA32_EFER                       0xC0000080u
#define IA32_FS_BASE                    0xC0000100u
#define IA32_GS_BASE                    0xC0000101u
#define IA32_KERNEL_GS_BASE             0xC0000102u

/* IA32_FEATURE_CONTROL bits (SDM Vol.3C 23.7: enabling and entering VMX operation) */
#define IA32_FEATURE_CONTROL_LOCK               (1ull << 0)
#define IA32_FEATURE_CONTROL_VMX_INSIDE_SMX     (1ull << 1)
#define IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX    (1ull << 2)

/* CPUID.1:ECX.VMX[bit 5] (SDM Vol.3C 23.6: discovering support for VMX) */
#define CPUID_1_ECX_VMX                 (1u << 5)

/* IA32_EFER bits (SDM Vol.3A 2.2.1) */
#define EFER_SCE                        (1ull << 0)
#define EFER_LME                        (1ull << 8)
#define EFER_LMA                        (1ull << 10)
#define EFER_NXE                        (1ull << 11)

/* IA32_APIC_BASE bits (SDM Vol.3A 10.4.4) */
#define APIC_BASE_BSP                   (1ull << 8)
#define APIC_BASE_EXTD                  (1ull << 10)
#define APIC_BASE_ENABLE                (1ull << 11)
#define APIC_BASE_ADDR_MASK             0x000FFFFFFFFFF000ull
#define APIC_DEFAULT_PHYS_BASE          0xFEE00000ull

/* CR0 / CR4 bits used by the VMX fixed-bit rules (SDM Vol.3A 2.5) */
#define CR0_PE                          (1ull << 0)
#define CR0_MP                          (1ull << 1)
#define CR0_EM                          (1ull << 2)
#define CR0_TS                          (1ull << 3)
#define CR0_ET                          (1ull << 4)
#define CR0_NE                          (1ull << 5)
#define CR0_WP                          (1ull << 16)
#define CR0_AM                          (1ull << 18)
#define CR0_NW                          (1ull << 29)
#define CR0_CD                          (1ull << 30)
#define CR0_PG                          (1ull << 31)
#define CR4_VME                         (1ull << 0)
#define CR4_PVI                         (1ull << 1)
#define CR4_TSD                         (1ull << 2)
#define CR4_DE                          (1ull << 3)
#define CR4_PSE                         (1ull << 4)
#define CR4_PAE                         (1ull << 5)
#define CR4_MCE                         (1ull << 6)
#define CR4_PGE                         (1ull << 7)
#define CR4_PCE                         (1ull << 8)
#define CR4_OSFXSR                      (1ull << 9)
#define CR4_OSXMMEXCPT                  (1ull << 10)
#define CR4_UMIP                        (1ull << 11)
#define CR4_LA57                        (1ull << 12)
#define CR4_VMXE                        (1ull << 13)
#define CR4_SMXE                        (1ull << 14)
#define CR4_FSGSBASE                    (1ull << 16)
#define CR4_PCIDE                       (1ull << 17)
#define CR4_OSXSAVE                     (1ull << 18)
#define CR4_SMEP                        (1ull << 20)
#define CR4_SMAP                        (1ull << 21)
#define CR4_PKE                         (1ull << 22)
#define CR4_CET                         (1ull << 23)

/* ------------------------------------------------------------------------- */
/* IA32_VMX_BASIC (SDM Vol.3D A.1)                                            */
/* ------------------------------------------------------------------------- */
#define VMX_BASIC_REVISION_MASK         0x7FFFFFFFull         /* bits 30:0 */
#define VMX_BASIC_REGION_SIZE_SHIFT     32                    /* bits 44:32 */
#define VMX_BASIC_REGION_SIZE_MASK      0x1FFFull
#define VMX_BASIC_PHYS_ADDR_32BIT       (1ull << 48)
#define VMX_BASIC_DUAL_MONITOR          (1ull << 49)
#define VMX_BASIC_MEMORY_TYPE_SHIFT     50                    /* bits 53:50 */
#define VMX_BASIC_MEMORY_TYPE_MASK      0xFull
#define VMX_BASIC_INS_OUTS_INFO         (1ull << 54)
#define VMX_BASIC_TRUE_CTLS             (1ull << 55)
#define VMX_BASIC_NO_ERRCODE_CHECK      (1ull << 56)  /* entry may deliver HW exception w/o error-code checks */

/* IA32_VMX_MISC (SDM Vol.3D A.6) */
#define VMX_MISC_PREEMPTION_RATE_MASK   0x1Full               /* bits 4:0 */
#define VMX_MISC_STORE_EFER_LMA         (1ull << 5)
#define VMX_MISC_ACTIVITY_HLT           (1ull << 6)
#define VMX_MISC_ACTIVITY_SHUTDOWN      (1ull << 7)
#define VMX_MISC_ACTIVITY_WAIT_SIPI     (1ull << 8)
#define VMX_MISC_PT_IN_VMX              (1ull << 14)
#define VMX_MISC_SMBASE_RDMSR           (1ull << 15)
#define VMX_MISC_CR3_TARGETS_SHIFT      16                    /* bits 24:16 */
#define VMX_MISC_CR3_TARGETS_MASK       0x1FFull
#define VMX_MISC_MAX_MSR_LIST_SHIFT     25                    /* bits 27:25: 512 * (N + 1) */
#define VMX_MISC_MAX_MSR_LIST_MASK      0x7ull
#define VMX_MISC_SMM_MONITOR_CTL_B2     (1ull << 28)
#define VMX_MISC_VMWRITE_ANY_FIELD      (1ull << 29)
#define VMX_MISC_ZERO_LEN_INJECTION     (1ull << 30)
#define VMX_MISC_MSEG_REVISION_SHIFT    32

/* IA32_VMX_EPT_VPID_CAP (SDM Vol.3D A.10) */
#define VMX_EPT_EXECUTE_ONLY            (1ull << 0)
#define VMX_EPT_PAGE_WALK_4             (1ull << 6)
#define VMX_EPT_PAGE_WALK_5             (1ull << 7)
#define VMX_EPT_MEMTYPE_UC              (1ull << 8)
#define VMX_EPT_MEMTYPE_WB              (1ull << 14)
#define VMX_EPT_PAGE_2M                 (1ull << 16)
#define VMX_EPT_PAGE_1G                 (1ull << 17)
#define VMX_EPT_INVEPT                  (1ull << 20)
#define VMX_EPT_ACCESSED_DIRTY          (1ull << 21)
#define VMX_EPT_ADVANCED_EXIT_INFO      (1ull << 22)
#define VMX_EPT_SUPERVISOR_SHADOW_STACK (1ull << 23)
#define VMX_EPT_INVEPT_SINGLE_CONTEXT   (1ull << 25)
#define VMX_EPT_INVEPT_ALL_CONTEXT      (1ull << 26)
#define VMX_VPID_INVVPID                (1ull << 32)
#define VMX_VPID_INVVPID_ADDRESS        (1ull << 40)
#define VMX_VPID_INVVPID_SINGLE_CONTEXT (1ull << 41)
#define VMX_VPID_INVVPID_ALL_CONTEXT    (1ull << 42)
#define VMX_VPID_INVVPID_SINGLE_GLOBALS (1ull << 43)

/* INVEPT / INVVPID types (SDM Vol.3C 30.3: INVEPT, INVVPID) */
#define INVEPT_TYPE_SINGLE_CONTEXT      1u
#define INVEPT_TYPE_ALL_CONTEXT         2u
#define INVVPID_TYPE_INDIVIDUAL_ADDRESS 0u
#define INVVPID_TYPE_SINGLE_CONTEXT     1u
#define INVVPID_TYPE_ALL_CONTEXT        2u
#define INVVPID_TYPE_SINGLE_GLOBALS     3u

/* VMCS field encodings (SDM Vol.3D Appendix B) */
#include "vmx/vmcs_fields.h"

/* ------------------------------------------------------------------------- */
/* Pin-based VM-execution controls (SDM Vol.3C 24.6.1, Table 24-5)            */
/* ------------------------------------------------------------------------- */
#define PIN_EXTERNAL_INTERRUPT_EXITING          (1u << 0)
#define PIN_NMI_EXITING                         (1u << 3)
#define PIN_VIRTUAL_NMIS                        (1u << 5)
#define PIN_ACTIVATE_PREEMPTION_TIMER           (1u << 6)
#define PIN_PROCESS_POSTED_INTERRUPTS           (1u << 7)

/* Primary processor-based VM-execution controls (24.6.2, Table 24-6) */
#define CPU_BASED_INTERRUPT_WINDOW_EXITING      (1u << 2)
#define CPU_BASED_USE_TSC_OFFSETTING            (1u << 3)
#define CPU_BASED_HLT_EXITING                   (1u << 7)
#define CPU_BASED_INVLPG_EXITING                (1u << 9)
#define CPU_BASED_MWAIT_EXITING                 (1u << 10)
#define CPU_BASED_RDPMC_EXITING                 (1u << 11)
#define CPU_BASED_RDTSC_EXITING                 (1u << 12)
#define CPU_BASED_CR3_LOAD_EXITING              (1u << 15)
#define CPU_BASED_CR3_STORE_EXITING             (1u << 16)
#define CPU_BASED_ACTIVATE_TERTIARY_CONTROLS    (1u << 17)
#define CPU_BASED_CR8_LOAD_EXITING              (1u << 19)
#define CPU_BASED_CR8_STORE_EXITING             (1u << 20)
#define CPU_BASED_USE_TPR_SHADOW                (1u << 21)
#define CPU_BASED_NMI_WINDOW_EXITING            (1u << 22)
#define CPU_BASED_MOV_DR_EXITING                (1u << 23)
#define CPU_BASED_UNCONDITIONAL_IO_EXITING      (1u << 24)
#define CPU_BASED_USE_IO_BITMAPS                (1u << 25)
#define CPU_BASED_MONITOR_TRAP_FLAG             (1u << 27)
#define CPU_BASED_USE_MSR_BITMAPS               (1u << 28)
#define CPU_BASED_MONITOR_EXITING               (1u << 29)
#define CPU_BASED_PAUSE_EXITING                 (1u << 30)
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS   (1u << 31)

/* Secondary processor-based VM-execution controls (24.6.2, Table 24-7) */
#define SECONDARY_VIRTUALIZE_APIC_ACCESSES      (1u << 0)
#define SECONDARY_ENABLE_EPT                    (1u << 1)
#define SECONDARY_DESCRIPTOR_TABLE_EXITING      (1u << 2)
#define SECONDARY_ENABLE_RDTSCP                 (1u << 3)
#define SECONDARY_VIRTUALIZE_X2APIC_MODE        (1u << 4)
#define SECONDARY_ENABLE_VPID                   (1u << 5)
#define SECONDARY_WBINVD_EXITING                (1u << 6)
#define SECONDARY_UNRESTRICTED_GUEST            (1u << 7)
#define SECONDARY_APIC_REGISTER_VIRTUALIZATION  (1u << 8)
#define SECONDARY_VIRTUAL_INTERRUPT_DELIVERY    (1u << 9)
#define SECONDARY_PAUSE_LOOP_EXITING            (1u << 10)
#define SECONDARY_RDRAND_EXITING                (1u << 11)
#define SECONDARY_ENABLE_INVPCID                (1u << 12)
#define SECONDARY_ENABLE_VM_FUNCTIONS           (1u << 13)
#define SECONDARY_VMCS_SHADOWING                (1u << 14)
#define SECONDARY_ENABLE_ENCLS_EXITING          (1u << 15)
#define SECONDARY_RDSEED_EXITING                (1u << 16)
#define SECONDARY_ENABLE_PML                    (1u << 17)
#define SECONDARY_EPT_VIOLATION_VE              (1u << 18)
#define SECONDARY_CONCEAL_VMX_FROM_PT           (1u << 19)
#define SECONDARY_ENABLE_XSAVES_XRSTORS         (1u << 20)
#define SECONDARY_MODE_BASED_EPT_EXECUTE        (1u << 22)
#define SECONDARY_SUBPAGE_WRITE_PERMISSIONS     (1u << 23)
#define SECONDARY_PT_USES_GUEST_PHYSICAL        (1u << 24)
#define SECONDARY_USE_TSC_SCALING               (1u << 25)
#define SECONDARY_ENABLE_USER_WAIT_PAUSE        (1u << 26)
#define SECONDARY_ENABLE_PCONFIG                (1u << 27)
#define SECONDARY_ENABLE_ENCLV_EXITING          (1u << 28)

/* VM-exit controls (24.7.1) */
#define EXIT_SAVE_DEBUG_CONTROLS                (1u << 2)
#define EXIT_HOST_ADDRESS_SPACE_SIZE            (1u << 9)
#define EXIT_LOAD_IA32_PERF_GLOBAL_CTRL         (1u << 12)
#define EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT      (1u << 15)
#define EXIT_SAVE_IA32_PAT                      (1u << 18)
#define EXIT_LOAD_IA32_PAT                      (1u << 19)
#define EXIT_SAVE_IA32_EFER                     (1u << 20)
#define EXIT_LOAD_IA32_EFER                     (1u << 21)
#define EXIT_SAVE_PREEMPTION_TIMER              (1u << 22)
#define EXIT_CLEAR_IA32_BNDCFGS                 (1u << 23)
#define EXIT_CONCEAL_VMX_FROM_PT                (1u << 24)
#define EXIT_CLEAR_IA32_RTIT_CTL                (1u << 25)
#define EXIT_LOAD_CET_STATE                     (1u << 28)

/* VM-entry controls (24.8.1) */
#define ENTRY_LOAD_DEBUG_CONTROLS               (1u << 2)
#define ENTRY_IA32E_MODE_GUEST                  (1u << 9)
#define ENTRY_ENTRY_TO_SMM                      (1u << 10)
#define ENTRY_DEACTIVATE_DUAL_MONITOR           (1u << 11)
#define ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL        (1u << 13)
#define ENTRY_LOAD_IA32_PAT                     (1u << 14)
#define ENTRY_LOAD_IA32_EFER                    (1u << 15)
#define ENTRY_LOAD_IA32_BNDCFGS                 (1u << 16)
#define ENTRY_CONCEAL_VMX_FROM_PT               (1u << 17)
#define ENTRY_LOAD_IA32_RTIT_CTL                (1u << 18)
#define ENTRY_LOAD_CET_STATE                    (1u << 20)

/* The "default1" class: reserved bits that read as 1 in the legacy capability
 * MSRs; the TRUE_ MSRs say which of them may be 0 (SDM Vol.3D A.2). */
#define PIN_BASED_DEFAULT1      0x00000016u   /* bits 1, 2, 4 */
#define CPU_BASED_DEFAULT1      0x0401E172u   /* bits 1, 4-6, 8, 13-16, 26 */
#define SECONDARY_DEFAULT1      0x00000000u   /* no default1 bits (A.3.3) */
#define EXIT_DEFAULT1           0x00036DFFu   /* bits 0-8, 10, 11, 13, 14, 16, 17 */
#define ENTRY_DEFAULT1          0x000011FFu   /* bits 0-8, 12 */

/* ------------------------------------------------------------------------- */
/* Basic exit reasons (SDM Vol.3D Appendix C, Table C-1)                      */
/* ------------------------------------------------------------------------- */
#define EXIT_REASON_EXCEPTION_NMI               0
#define EXIT_REASON_EXTERNAL_INTERRUPT          1
#define EXIT_REASON_TRIPLE_FAULT                2
#define EXIT_REASON_INIT_SIGNAL                 3
#define EXIT_REASON_SIPI                        4
#define EXIT_REASON_IO_SMI                      5
#define EXIT_REASON_OTHER_SMI                   6
#define EXIT_REASON_INTERRUPT_WINDOW            7
#define EXIT_REASON_NMI_WINDOW                  8
#define EXIT_REASON_TASK_SWITCH                 9
#define EXIT_REASON_CPUID                       10
#define EXIT_REASON_GETSEC                      11
#define EXIT_REASON_HLT                         12
#define EXIT_REASON_INVD                        13
#define EXIT_REASON_INVLPG                      14
#define EXIT_REASON_RDPMC                       15
#define EXIT_REASON_RDTSC                       16
#define EXIT_REASON_RSM                         17
#define EXIT_REASON_VMCALL                      18
#define EXIT_REASON_VMCLEAR                     19
#define EXIT_REASON_VMLAUNCH                    20
#define EXIT_REASON_VMPTRLD                     21
#define EXIT_REASON_VMPTRST                     22
#define EXIT_REASON_VMREAD                      23
#define EXIT_REASON_VMRESUME                    24
#define EXIT_REASON_VMWRITE                     25
#define EXIT_REASON_VMXOFF                      26
#define EXIT_REASON_VMXON                       27
#define EXIT_REASON_CR_ACCESS                   28
#define EXIT_REASON_DR_ACCESS                   29
#define EXIT_REASON_IO_INSTRUCTION              30
#define EXIT_REASON_RDMSR                       31
#define EXIT_REASON_WRMSR                       32
#define EXIT_REASON_INVALID_GUEST_STATE         33
#define EXIT_REASON_MSR_LOADING                 34
/* 35 is not used */
#define EXIT_REASON_MWAIT                       36
#define EXIT_REASON_MONITOR_TRAP_FLAG           37
/* 38 is not used */
#define EXIT_REASON_MONITOR                     39
#define EXIT_REASON_PAUSE                       40
#define EXIT_REASON_MACHINE_CHECK               41
/* 42 is not used */
#define EXIT_REASON_TPR_BELOW_THRESHOLD         43
#define EXIT_REASON_APIC_ACCESS                 44
#define EXIT_REASON_VIRTUALIZED_EOI             45
#define EXIT_REASON_GDTR_IDTR_ACCESS            46
#define EXIT_REASON_LDTR_TR_ACCESS              47
#define EXIT_REASON_EPT_VIOLATION               48
#define EXIT_REASON_EPT_MISCONFIG               49
#define EXIT_REASON_INVEPT                      50
#define EXIT_REASON_RDTSCP                      51
#define EXIT_REASON_PREEMPTION_TIMER            52
#define EXIT_REASON_INVVPID                     53
#define EXIT_REASON_WBINVD                      54
#define EXIT_REASON_XSETBV                      55
#define EXIT_REASON_APIC_WRITE                  56
#define EXIT_REASON_RDRAND                      57
#define EXIT_REASON_INVPCID                     58
#define EXIT_REASON_VMFUNC                      59
#define EXIT_REASON_ENCLS                       60
#define EXIT_REASON_RDSEED                      61
#define EXIT_REASON_PML_FULL                    62
#define EXIT_REASON_XSAVES                      63
#define EXIT_REASON_XRSTORS                     64
#define EXIT_REASON_PCONFIG                     65
#define EXIT_REASON_SPP_EVENT                   66
#define EXIT_REASON_UMWAIT                      67
#define EXIT_REASON_TPAUSE                      68
#define EXIT_REASON_LOADIWKEY                   69
#define EXIT_REASON_COUNT                       70     /* reasons 0..69 are named */

/* Exit-reason field (24.9.1) */
#define EXIT_REASON_BASIC_MASK                  0xFFFFu
#define EXIT_REASON_ENCLAVE_MODE                (1u << 27)
#define EXIT_REASON_PENDING_MTF                 (1u << 28)
#define EXIT_REASON_FROM_VMX_ROOT               (1u << 29)
#define EXIT_REASON_ENTRY_FAILURE               (1u << 31)

/* ------------------------------------------------------------------------- */
/* Interruption information: VM-entry (24.8.3), VM-exit        */
/* (24.9.2) and IDT-vectoring (24.9.3)            */
/* ------------------------------------------------------------------------- */
#define INTR_INFO_VECTOR_MASK                   0x000000FFu
#define INTR_INFO_TYPE_SHIFT                    8
#define INTR_INFO_TYPE_MASK                     0x00000700u
#define INTR_INFO_DELIVER_ERROR_CODE            (1u << 11)
#define INTR_INFO_NMI_UNBLOCKING_IRET           (1u << 12)     /* exit info only */
#define INTR_INFO_VALID                         (1u << 31)
#define INTR_TYPE_EXTERNAL_INTERRUPT            (0u << 8)
#define INTR_TYPE_NMI                           (2u << 8)
#define INTR_TYPE_HARDWARE_EXCEPTION            (3u << 8)
#define INTR_TYPE_SOFTWARE_INTERRUPT            (4u << 8)
#define INTR_TYPE_PRIV_SOFTWARE_EXCEPTION       (5u << 8)
#define INTR_TYPE_SOFTWARE_EXCEPTION            (6u << 8)
#define INTR_TYPE_OTHER_EVENT                   (7u << 8)

/* Guest interruptibility state (24.4.2, Table 24-3) */
#define GUEST_INTR_STATE_STI                    (1u << 0)
#define GUEST_INTR_STATE_MOV_SS                 (1u << 1)
#define GUEST_INTR_STATE_SMI                    (1u << 2)
#define GUEST_INTR_STATE_NMI                    (1u << 3)
#define GUEST_INTR_STATE_ENCLAVE                (1u << 4)

/* Guest activity states (24.4.2) */
#define GUEST_ACTIVITY_ACTIVE                   0u
#define GUEST_ACTIVITY_HLT                      1u
#define GUEST_ACTIVITY_SHUTDOWN                 2u
#define GUEST_ACTIVITY_WAIT_SIPI                3u

/* ------------------------------------------------------------------------- */
/* EPT (SDM Vol.3C 28.2.2, Tables 28-1..28-6; EPTP 24.6.11, Table 24-8)       */
/* ------------------------------------------------------------------------- */
#define EPT_READ                                (1ull << 0)
#define EPT_WRITE                               (1ull << 1)
#define EPT_EXECUTE                             (1ull << 2)
#define EPT_RWX                                 (EPT_READ | EPT_WRITE | EPT_EXECUTE)
#define EPT_MEMTYPE_SHIFT                       3           /* leaf bits 5:3 */
#define EPT_MEMTYPE_MASK                        (7ull << 3)
#define EPT_IGNORE_PAT                          (1ull << 6)  /* leaf only */
#define EPT_LARGE_PAGE                          (1ull << 7)  /* PDPTE: 1 GiB, PDE: 2 MiB */
#define EPT_ACCESSED                            (1ull << 8)
#define EPT_DIRTY                               (1ull << 9)  /* leaf only */
#define EPT_USER_EXECUTE                        (1ull << 10) /* mode-based execute control */
#define EPT_SUPPRESS_VE                         (1ull << 63)
#define EPT_ADDR_MASK                           0x000FFFFFFFFFF000ull

/* Memory types (SDM Vol.3A 11.3, Table 11-2; EPT: 28.2.6) */
#define EPT_MT_UC                               0u
#define EPT_MT_WC                               1u
#define EPT_MT_WT                               4u
#define EPT_MT_WP                               5u
#define EPT_MT_WB                               6u

/* EPTP (24.6.11, Table 24-8) */
#define EPTP_MEMTYPE_UC                         0ull
#define EPTP_MEMTYPE_WB                         6ull
#define EPTP_WALK_LENGTH_SHIFT                  3            /* bits 5:3 = levels - 1 */
#define EPTP_WALK_LENGTH_4                      (3ull << 3)
#define EPTP_ENABLE_AD                          (1ull << 6)
#define EPTP_ENABLE_SSS                         (1ull << 7)

/* ------------------------------------------------------------------------- */
/* The five control fields whose capabilities come from a pair of MSRs        */
/* (SDM Vol.3D A.3-A.5). Order follows SDM 24.6-24.8.                         */
/* ------------------------------------------------------------------------- */
enum vmx_ctl {
    VMX_CTL_PIN = 0,        /* pin-based VM-execution controls */
    VMX_CTL_PROC,           /* primary processor-based VM-execution controls */
    VMX_CTL_PROC2,          /* secondary processor-based VM-execution controls */
    VMX_CTL_EXIT,           /* VM-exit controls */
    VMX_CTL_ENTRY,          /* VM-entry controls */
    VMX_CTL_COUNT
};

#endif /* VMX_DEFS_H */
