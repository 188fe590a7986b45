; msrhide: the MSRs vmxlab intercepts and refuses, and the log line that says which and why.
; VMX is hidden from the guest (CPUID.1:ECX[5] = 0), so IA32_FEATURE_CONTROL (which exists only
; with VMX or SMX, SDM Vol.4 Table 2-2) and the VMX capability MSRs (0x480-0x491, SDM Vol.3D
; A.1) raise #GP as on a CPU without VMX; an MSR outside the MSR bitmap's two ranges (SDM
; 24.6.9: AMD's 0xC0011000 here) raises #GP as an Intel CPU would. vmxlab's log line used to say
; "VMX is hidden" for every intercepted MSR; each now names the MSR, the access and the #GP.
%include "guest.inc"
%include "faults.inc"

main:
    call fault_install
    mov ecx, 0x3A
    try rdmsr
    check_fault FAULT_GP, "RDMSR IA32_FEATURE_CONTROL: #GP"
    mov ecx, 0x480
    try rdmsr
    check_fault FAULT_GP, "RDMSR IA32_VMX_BASIC: #GP"
    mov ecx, 0x48B
    xor eax, eax
    xor edx, edx
    try wrmsr
    check_fault FAULT_GP, "WRMSR IA32_VMX_PROCBASED_CTLS2: #GP"
    mov ecx, 0xC0011000
    try rdmsr
    check_fault FAULT_GP, "RDMSR 0xC0011000 (an AMD MSR): #GP"
    finish
