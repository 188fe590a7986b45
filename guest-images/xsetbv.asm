; xsetbv: XSETBV's rules (SDM Vol.2 XSETBV "Operation" and "Protected Mode Exceptions"). XSETBV
; always exits in VMX non-root operation (SDM Vol.3C 25.1.2), after the CPU's own #UD checks
; (CR4.OSXSAVE = 0, SDM 25.1.1); the hypervisor must then apply the #GP(0) rules itself:
; ECX names no XCR, XCR0 bit 0 (x87) clear, a bit CPUID.(0DH,0):EDX:EAX does not support, AVX
; (bit 2) without SSE (bit 1), the AVX-512 bits 7:5 not all equal or set without AVX, MPX's
; bits 3 and 4 unequal. vmxlab once refused every XSETBV (it tested its own CR4.OSXSAVE).
; Expectations come from bare Bochs (tests/boot/defects.cmake).
%include "guest.inc"
%include "faults.inc"

; set_xcr0 EDX:EAX value, ECX : XSETBV through try (EDX, EAX, ECX loaded first)
%macro xsetbv_try 3
    mov edx, %1
    mov eax, %2
    mov ecx, %3
    try xsetbv
%endmacro

; xcr0_is value, "text" : XGETBV(0) reads value
%macro xcr0_is 2+
    xor ecx, ecx
    xgetbv
    cmp eax, %1
    jne %%bad
    test edx, edx
    jne %%bad
    pass %2
    jmp %%done
%%bad:
    fail %2
%%done:
%endmacro

main:
    call fault_install
    mov eax, 1
    xor ecx, ecx
    cpuid
    bt ecx, 26
    jc .has_xsave
    fail "CPUID.1:ECX[26] XSAVE not shown: nothing to test"
    finish
.has_xsave:
    mov eax, 0xD
    xor ecx, ecx
    cpuid
    mov [supported], eax
    mov [supported + 4], edx
    print_com1_nonl "xsetbv: CPUID.(0DH,0) supported XCR0 bits edx:eax="
    mov eax, [supported + 4]
    call com1_hex32
    mov al, ':'
    call com1_putc
    mov eax, [supported]
    call com1_hex32
    call com1_crlf

    xsetbv_try 0, 1, 0
    check_fault FAULT_UD, "XSETBV with CR4.OSXSAVE=0: #UD"

    mov eax, cr4
    or eax, 1 << 18
    mov cr4, eax

    xsetbv_try 0, 1, 0
    check_fault FAULT_NONE, "XSETBV XCR0=1 (x87): no fault"
    xcr0_is 1, "XGETBV reads XCR0=1"
    xsetbv_try 0, 3, 0
    check_fault FAULT_NONE, "XSETBV XCR0=3 (x87 SSE): no fault"
    xcr0_is 3, "XGETBV reads XCR0=3"
    test byte [supported], 4
    jz .no_avx
    xsetbv_try 0, 7, 0
    check_fault FAULT_NONE, "XSETBV XCR0=7 (x87 SSE AVX): no fault"
    xcr0_is 7, "XGETBV reads XCR0=7"
    xsetbv_try 0, 3, 0
    xsetbv_try 0, 5, 0
    check_fault FAULT_GP, "XSETBV XCR0=5 (AVX without SSE): #GP"
    xcr0_is 3, "XCR0 unchanged after the #GP"
.no_avx:
    xsetbv_try 0, 0, 0
    check_fault FAULT_GP, "XSETBV XCR0=0 (x87 bit clear): #GP"
    xsetbv_try 0, 2, 0
    check_fault FAULT_GP, "XSETBV XCR0=2 (x87 bit clear): #GP"
    xsetbv_try 0, 1, 1
    check_fault FAULT_GP, "XSETBV ECX=1 (no such XCR): #GP"
    xsetbv_try 1, 3, 0
    check_fault FAULT_GP, "XSETBV XCR0 bit 32 (unsupported): #GP"
    xsetbv_try 0, 0x103, 0
    check_fault FAULT_GP, "XSETBV XCR0 bit 8 (a supervisor state, never in XCR0): #GP"
    xcr0_is 3, "XCR0 unchanged after the #GPs"

    mov eax, [supported]
    and eax, 0xE0
    cmp eax, 0xE0
    jne .no_avx512
    xsetbv_try 0, 0x27, 0
    check_fault FAULT_GP, "XSETBV XCR0=27h (AVX-512 opmask without ZMM state): #GP"
    xsetbv_try 0, 0xE3, 0
    check_fault FAULT_GP, "XSETBV XCR0=E3h (AVX-512 without AVX): #GP"
    xsetbv_try 0, 0xE7, 0
    check_fault FAULT_NONE, "XSETBV XCR0=E7h (x87 SSE AVX AVX-512): no fault"
    xcr0_is 0xE7, "XGETBV reads XCR0=E7h"
.no_avx512:
    mov eax, [supported]
    and eax, 0x18
    cmp eax, 0x18
    jne .no_mpx
    xsetbv_try 0, 0x0B, 0
    check_fault FAULT_GP, "XSETBV XCR0=0Bh (MPX BNDREGS without BNDCSR): #GP"
.no_mpx:
    mov edx, [supported + 4]
    mov eax, [supported]
    xor ecx, ecx
    try xsetbv
    check_fault FAULT_NONE, "XSETBV XCR0=every supported bit: no fault"
    xor ecx, ecx
    xgetbv
    cmp eax, [supported]
    jne .bad_all
    pass "XGETBV reads every supported bit"
    jmp .restore
.bad_all:
    fail "XGETBV does not read every supported bit"
.restore:
    xsetbv_try 0, 1, 0
    finish

supported: dq 0
