/*
 * vmcs_fields.h - VMCS field encodings (SDM Vol.3D Appendix B), split out of vmx_defs.h to keep
 * each header readable; vmx_defs.h includes it, so every VMX constant is still one include away.
 */
#ifndef VMX_VMCS_FIELDS_H
#define VMX_VMCS_FIELDS_H

/* ------------------------------------------------------------------------- */
/* VMCS field encodings (SDM Vol.3D Appendix B; layout in 24.11.2):           */
/*   bit 0 access (1 = high half of a 64-bit field), bits 9:1 index,          */
/*   bits 11:10 type (0 control, 1 exit info, 2 guest, 3 host),               */
/*   bits 14:13 width (0 16-bit, 1 64-bit, 2 32-bit, 3 natural).              */
/* ------------------------------------------------------------------------- */
#define VMCS_ENC_ACCESS_HIGH            0x0001u
#define VMCS_ENC_TYPE(enc)              (((enc) >> 10) & 3u)
#define VMCS_ENC_WIDTH(enc)             (((enc) >> 13) & 3u)
#define VMCS_ENC_TYPE_CONTROL           0u
#define VMCS_ENC_TYPE_EXIT_INFO         1u
#define VMCS_ENC_TYPE_GUEST             2u
#define VMCS_ENC_TYPE_HOST              3u
#define VMCS_ENC_WIDTH_16               0u
#define VMCS_ENC_WIDTH_64               1u
#define VMCS_ENC_WIDTH_32               2u
#define VMCS_ENC_WIDTH_NATURAL          3u

/* 16-bit control fields (B.1.1) */
#define VMCS_VPID                               0x0000u
#define VMCS_POSTED_INTR_NOTIFICATION_VECTOR    0x0002u
#define VMCS_EPTP_INDEX                         0x0004u
/* 16-bit guest-state fields (B.1.2) */
#define VMCS_GUEST_ES_SELECTOR                  0x0800u
#define VMCS_GUEST_CS_SELECTOR                  0x0802u
#define VMCS_GUEST_SS_SELECTOR                  0x0804u
#define VMCS_GUEST_DS_SELECTOR                  0x0806u
#define VMCS_GUEST_FS_SELECTOR                  0x0808u
#define VMCS_GUEST_GS_SELECTOR                  0x080Au
#define VMCS_GUEST_LDTR_SELECTOR                0x080Cu
#define VMCS_GUEST_TR_SELECTOR                  0x080Eu
#define VMCS_GUEST_INTERRUPT_STATUS             0x0810u   /* RVI 7:0, SVI 15:8 */
#define VMCS_GUEST_PML_INDEX                    0x0812u
/* 16-bit host-state fields (B.1.3) */
#define VMCS_HOST_ES_SELECTOR                   0x0C00u
#define VMCS_HOST_CS_SELECTOR                   0x0C02u
#define VMCS_HOST_SS_SELECTOR                   0x0C04u
#define VMCS_HOST_DS_SELECTOR                   0x0C06u
#define VMCS_HOST_FS_SELECTOR                   0x0C08u
#define VMCS_HOST_GS_SELECTOR                   0x0C0Au
#define VMCS_HOST_TR_SELECTOR                   0x0C0Cu

/* 64-bit control fields (B.2.1); add VMCS_ENC_ACCESS_HIGH for the high half */
#define VMCS_IO_BITMAP_A                        0x2000u
#define VMCS_IO_BITMAP_B                        0x2002u
#define VMCS_MSR_BITMAP                         0x2004u
#define VMCS_EXIT_MSR_STORE_ADDR                0x2006u
#define VMCS_EXIT_MSR_LOAD_ADDR                 0x2008u
#define VMCS_ENTRY_MSR_LOAD_ADDR                0x200Au
#define VMCS_EXECUTIVE_VMCS_POINTER             0x200Cu
#define VMCS_PML_ADDRESS                        0x200Eu
#define VMCS_TSC_OFFSET                         0x2010u
#define VMCS_VIRTUAL_APIC_ADDRESS               0x2012u
#define VMCS_APIC_ACCESS_ADDRESS                0x2014u
#define VMCS_POSTED_INTR_DESC_ADDR              0x2016u
#define VMCS_VM_FUNCTION_CONTROLS               0x2018u
#define VMCS_EPT_POINTER                        0x201Au
#define VMCS_EOI_EXIT_BITMAP0                   0x201Cu
#define VMCS_EOI_EXIT_BITMAP1                   0x201Eu
#define VMCS_EOI_EXIT_BITMAP2                   0x2020u
#define VMCS_EOI_EXIT_BITMAP3                   0x2022u
#define VMCS_EPTP_LIST_ADDRESS                  0x2024u
#define VMCS_VMREAD_BITMAP                      0x2026u
#define VMCS_VMWRITE_BITMAP                     0x2028u
#define VMCS_VE_INFO_ADDRESS                    0x202Au
#define VMCS_XSS_EXITING_BITMAP                 0x202Cu
#define VMCS_ENCLS_EXITING_BITMAP               0x202Eu
#define VMCS_TSC_MULTIPLIER                     0x2032u
/* 64-bit read-only data field (B.2.2) */
#define VMCS_GUEST_PHYSICAL_ADDRESS             0x2400u
/* 64-bit guest-state fields (B.2.3) */
#define VMCS_VMCS_LINK_POINTER                  0x2800u
#define VMCS_GUEST_IA32_DEBUGCTL                0x2802u
#define VMCS_GUEST_IA32_PAT                     0x2804u
#define VMCS_GUEST_IA32_EFER                    0x2806u
#define VMCS_GUEST_IA32_PERF_GLOBAL_CTRL        0x2808u
#define VMCS_GUEST_PDPTE0                       0x280Au
#define VMCS_GUEST_PDPTE1                       0x280Cu
#define VMCS_GUEST_PDPTE2                       0x280Eu
#define VMCS_GUEST_PDPTE3                       0x2810u
#define VMCS_GUEST_IA32_BNDCFGS                 0x2812u
/* 64-bit host-state fields (B.2.4) */
#define VMCS_HOST_IA32_PAT                      0x2C00u
#define VMCS_HOST_IA32_EFER                     0x2C02u
#define VMCS_HOST_IA32_PERF_GLOBAL_CTRL         0x2C04u

/* 32-bit control fields (B.3.1) */
#define VMCS_CTRL_PIN_BASED                     0x4000u
#define VMCS_CTRL_PROC_BASED                    0x4002u
#define VMCS_EXCEPTION_BITMAP                   0x4004u
#define VMCS_PAGE_FAULT_ERROR_CODE_MASK         0x4006u
#define VMCS_PAGE_FAULT_ERROR_CODE_MATCH        0x4008u
#define VMCS_CR3_TARGET_COUNT                   0x400Au
#define VMCS_CTRL_EXIT                          0x400Cu
#define VMCS_EXIT_MSR_STORE_COUNT               0x400Eu
#define VMCS_EXIT_MSR_LOAD_COUNT                0x4010u
#define VMCS_CTRL_ENTRY                         0x4012u
#define VMCS_ENTRY_MSR_LOAD_COUNT               0x4014u
#define VMCS_ENTRY_INTERRUPTION_INFO            0x4016u
#define VMCS_ENTRY_EXCEPTION_ERROR_CODE         0x4018u
#define VMCS_ENTRY_INSTRUCTION_LENGTH           0x401Au
#define VMCS_TPR_THRESHOLD                      0x401Cu
#define VMCS_CTRL_PROC_BASED2                   0x401Eu
#define VMCS_PLE_GAP                            0x4020u
#define VMCS_PLE_WINDOW                         0x4022u
/* 32-bit read-only data fields (B.3.2) */
#define VMCS_VM_INSTRUCTION_ERROR               0x4400u
#define VMCS_EXIT_REASON                        0x4402u
#define VMCS_EXIT_INTERRUPTION_INFO             0x4404u
#define VMCS_EXIT_INTERRUPTION_ERROR_CODE       0x4406u
#define VMCS_IDT_VECTORING_INFO                 0x4408u
#define VMCS_IDT_VECTORING_ERROR_CODE           0x440Au
#define VMCS_EXIT_INSTRUCTION_LENGTH            0x440Cu
#define VMCS_EXIT_INSTRUCTION_INFO              0x440Eu
/* 32-bit guest-state fields (B.3.3) */
#define VMCS_GUEST_ES_LIMIT                     0x4800u
#define VMCS_GUEST_CS_LIMIT                     0x4802u
#define VMCS_GUEST_SS_LIMIT                     0x4804u
#define VMCS_GUEST_DS_LIMIT                     0x4806u
#define VMCS_GUEST_FS_LIMIT                     0x4808u
#define VMCS_GUEST_GS_LIMIT                     0x480Au
#define VMCS_GUEST_LDTR_LIMIT                   0x480Cu
#define VMCS_GUEST_TR_LIMIT                     0x480Eu
#define VMCS_GUEST_GDTR_LIMIT                   0x4810u
#define VMCS_GUEST_IDTR_LIMIT                   0x4812u
#define VMCS_GUEST_ES_ACCESS_RIGHTS             0x4814u
#define VMCS_GUEST_CS_ACCESS_RIGHTS             0x4816u
#define VMCS_GUEST_SS_ACCESS_RIGHTS             0x4818u
#define VMCS_GUEST_DS_ACCESS_RIGHTS             0x481Au
#define VMCS_GUEST_FS_ACCESS_RIGHTS             0x481Cu
#define VMCS_GUEST_GS_ACCESS_RIGHTS             0x481Eu
#define VMCS_GUEST_LDTR_ACCESS_RIGHTS           0x4820u
#define VMCS_GUEST_TR_ACCESS_RIGHTS             0x4822u
#define VMCS_GUEST_INTERRUPTIBILITY_STATE       0x4824u
#define VMCS_GUEST_ACTIVITY_STATE               0x4826u
#define VMCS_GUEST_SMBASE                       0x4828u
#define VMCS_GUEST_IA32_SYSENTER_CS             0x482Au
#define VMCS_PREEMPTION_TIMER_VALUE             0x482Eu
/* 32-bit host-state field (B.3.4) */
#define VMCS_HOST_IA32_SYSENTER_CS              0x4C00u

/* Natural-width control fields (B.4.1) */
#define VMCS_CR0_GUEST_HOST_MASK                0x6000u
#define VMCS_CR4_GUEST_HOST_MASK                0x6002u
#define VMCS_CR0_READ_SHADOW                    0x6004u
#define VMCS_CR4_READ_SHADOW                    0x6006u
#define VMCS_CR3_TARGET_VALUE0                  0x6008u
#define VMCS_CR3_TARGET_VALUE1                  0x600Au
#define VMCS_CR3_TARGET_VALUE2                  0x600Cu
#define VMCS_CR3_TARGET_VALUE3                  0x600Eu
/* Natural-width read-only data fields (B.4.2) */
#define VMCS_EXIT_QUALIFICATION                 0x6400u
#define VMCS_IO_RCX                             0x6402u
#define VMCS_IO_RSI                             0x6404u
#define VMCS_IO_RDI                             0x6406u
#define VMCS_IO_RIP                             0x6408u
#define VMCS_GUEST_LINEAR_ADDRESS               0x640Au
/* Natural-width guest-state fields (B.4.3) */
#define VMCS_GUEST_CR0                          0x6800u
#define VMCS_GUEST_CR3                          0x6802u
#define VMCS_GUEST_CR4                          0x6804u
#define VMCS_GUEST_ES_BASE                      0x6806u
#define VMCS_GUEST_CS_BASE                      0x6808u
#define VMCS_GUEST_SS_BASE                      0x680Au
#define VMCS_GUEST_DS_BASE                      0x680Cu
#define VMCS_GUEST_FS_BASE                      0x680Eu
#define VMCS_GUEST_GS_BASE                      0x6810u
#define VMCS_GUEST_LDTR_BASE                    0x6812u
#define VMCS_GUEST_TR_BASE                      0x6814u
#define VMCS_GUEST_GDTR_BASE                    0x6816u
#define VMCS_GUEST_IDTR_BASE                    0x6818u
#define VMCS_GUEST_DR7                          0x681Au
#define VMCS_GUEST_RSP                          0x681Cu
#define VMCS_GUEST_RIP                          0x681Eu
#define VMCS_GUEST_RFLAGS                       0x6820u
#define VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS     0x6822u
#define VMCS_GUEST_IA32_SYSENTER_ESP            0x6824u
#define VMCS_GUEST_IA32_SYSENTER_EIP            0x6826u
/* Natural-width host-state fields (B.4.4) */
#define VMCS_HOST_CR0                           0x6C00u
#define VMCS_HOST_CR3                           0x6C02u
#define VMCS_HOST_CR4                           0x6C04u
#define VMCS_HOST_FS_BASE                       0x6C06u
#define VMCS_HOST_GS_BASE                       0x6C08u
#define VMCS_HOST_TR_BASE                       0x6C0Au
#define VMCS_HOST_GDTR_BASE                     0x6C0Cu
#define VMCS_HOST_IDTR_BASE                     0x6C0Eu
#define VMCS_HOST_IA32_SYSENTER_ESP             0x6C10u
#define VMCS_HOST_IA32_SYSENTER_EIP             0x6C12u
#define VMCS_HOST_RSP                           0x6C14u
#define VMCS_HOST_RIP                           0x6C16u

#endif /* VMX_VMCS_FIELDS_H */
