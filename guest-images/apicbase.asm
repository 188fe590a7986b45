; apicbase: tries to get around the APIC-access page - move the APIC, disable it globally,
; switch it to x2APIC mode, touch an x2APIC MSR - and checks each is refused with #GP while
; the APIC stays where it was.
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"

%define IA32_APIC_BASE 0x1B

main:
    set_ivt 13, gp_handler
    mov ecx, IA32_APIC_BASE
    rdmsr
    check_eax 0xFEE00900, "IA32_APIC_BASE (base, enabled, BSP)"
    mov eax, edx
    check_eax 0, "IA32_APIC_BASE high"
    mov ecx, IA32_APIC_BASE
    xor edx, edx
    mov eax, 0xFED00900             ; move the APIC
    expect_gp wrmsr
    movzx eax, word [gp_count]
    check_eax 1, "#GP moving the APIC"
    mov ecx, IA32_APIC_BASE
    mov eax, 0xFEE00D00             ; EXTD: x2APIC mode
    expect_gp wrmsr
    movzx eax, word [gp_count]
    check_eax 2, "#GP enabling x2APIC"
    mov ecx, IA32_APIC_BASE
    mov eax, 0xFEE00100             ; global disable
    expect_gp wrmsr
    movzx eax, word [gp_count]
    check_eax 3, "#GP disabling the APIC"
    mov ecx, IA32_APIC_BASE
    mov eax, 0xFEE00900             ; the value it has: fine
    expect_gp wrmsr
    movzx eax, word [gp_count]
    check_eax 3, "no #GP rewriting the same value"
    mov ecx, 0x802                  ; the x2APIC ID register as an MSR
    expect_gp rdmsr
    movzx eax, word [gp_count]
    check_eax 4, "#GP reading x2APIC MSR 0x802"
    mov eax, 1
    cpuid
    mov eax, ecx
    and eax, 1 << 21
    check_eax 0, "CPUID.1:ECX.x2APIC"
    mov ecx, IA32_APIC_BASE
    rdmsr
    check_eax 0xFEE00900, "IA32_APIC_BASE afterwards"
    call big_real
    apic_rd APIC_VERSION
    check_eax 0x00050014, "the APIC still at 0xFEE00000"
    finish
