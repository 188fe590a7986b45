; vmcall: every hypercall of vmxlab's ABI (guest.inc), then an unknown one.
;   0 VERSION    -> EAX = 0, EBX = version, ECX = 'vmxl'
;   1 PRINT      -> vmxlab logs the string as "I guest: ..."; EAX = 0 (a too-long one: EAX = -2)
;   3 EXIT_COUNT -> the CPUID exit count goes up by exactly 3 across three CPUIDs
;  99 (unknown)  -> EAX = 0xFFFFFFFF and the guest goes on
;   2 POWER_OFF  -> last: status 0 when everything above passed
%include "guest.inc"

%define EXIT_REASON_CPUID  10
%define EXIT_REASON_VMCALL 18

main:
    ; ---- 0: version ----
    mov eax, HC_VERSION
    mov ebx, 0x12345678
    xor ecx, ecx
    vmcall
    mov [r_eax], eax
    mov [r_ebx], ebx
    mov [r_ecx], ecx
    print_com1_nonl "vmcall: VERSION eax="
    mov eax, [r_eax]
    call com1_hex32
    print_com1_nonl " ebx="
    mov eax, [r_ebx]
    call com1_hex32
    print_com1_nonl " ecx="
    mov eax, [r_ecx]
    call com1_hex32
    call com1_crlf
    cmp dword [r_eax], 0
    jne .ver_bad
    cmp dword [r_ecx], 'vmxl'
    jne .ver_bad
    cmp dword [r_ebx], 0x12345678
    je .ver_bad
    pass "VMCALL 0 VERSION returns 0, a version and 'vmxl'"
    jmp .print
.ver_bad:
    fail "VMCALL 0 VERSION"

    ; ---- 1: print ----
.print:
    mov eax, HC_PRINT
    mov ebx, hello_msg          ; DS = 0: the offset is the linear address
    mov ecx, hello_len
    vmcall
    test eax, eax
    jnz .print_bad
    pass "VMCALL 1 PRINT returns 0"
    jmp .print_long
.print_bad:
    fail "VMCALL 1 PRINT"
.print_long:
    mov eax, HC_PRINT           ; longer than vmxlab's 256-byte limit: -2, nothing printed
    mov ebx, hello_msg
    mov ecx, 100000
    vmcall
    cmp eax, 0xFFFFFFFE
    jne .print_long_bad
    pass "VMCALL 1 PRINT of 100000 bytes returns -2 (bad argument)"
    jmp .count
.print_long_bad:
    fail "VMCALL 1 PRINT of 100000 bytes"

    ; ---- 3: exit count, around three CPUIDs ----
.count:
    mov eax, HC_EXIT_COUNT
    mov ebx, EXIT_REASON_CPUID
    vmcall
    mov [cpuid_before], ebx
    mov [total_before], ecx
    mov cx, 3
.three:
    push cx
    xor eax, eax
    xor ecx, ecx
    cpuid
    pop cx
    loop .three
    mov eax, HC_EXIT_COUNT
    mov ebx, EXIT_REASON_CPUID
    vmcall
    mov [r_eax], eax
    mov [cpuid_after], ebx
    mov [total_after], ecx
    print_com1_nonl "vmcall: EXIT_COUNT CPUID before="
    mov eax, [cpuid_before]
    call com1_hex32
    print_com1_nonl " after="
    mov eax, [cpuid_after]
    call com1_hex32
    print_com1_nonl " total before="
    mov eax, [total_before]
    call com1_hex32
    print_com1_nonl " after="
    mov eax, [total_after]
    call com1_hex32
    call com1_crlf
    cmp dword [r_eax], 0
    jne .count_bad
    mov eax, [cpuid_after]
    sub eax, [cpuid_before]
    cmp eax, 3
    jne .count_bad
    mov eax, [total_after]      ; 3 CPUIDs and the second EXIT_COUNT VMCALL itself, at least
    sub eax, [total_before]
    cmp eax, 4
    jb .count_bad
    pass "VMCALL 3 EXIT_COUNT counts 3 CPUID exits for 3 CPUIDs"
    jmp .vmcalls
.count_bad:
    fail "VMCALL 3 EXIT_COUNT"
.vmcalls:
    mov eax, HC_EXIT_COUNT      ; VMCALL exits so far: at least the 6 above
    mov ebx, EXIT_REASON_VMCALL
    vmcall
    cmp ebx, 6
    jb .vmcalls_bad
    pass "VMCALL 3 EXIT_COUNT counts the VMCALLs"
    jmp .unknown
.vmcalls_bad:
    fail "VMCALL 3 EXIT_COUNT of VMCALL exits"

    ; ---- an unknown function ----
.unknown:
    mov eax, 99
    vmcall
    cmp eax, 0xFFFFFFFF
    jne .unknown_bad
    pass "VMCALL 99 (unknown) returns 0xFFFFFFFF and the guest goes on"
    jmp .done
.unknown_bad:
    fail "VMCALL 99 (unknown)"

    ; ---- 2: power off (finish) ----
.done:
    finish

hello_msg: db "hello from the vmcall guest via VMCALL 1 PRINT"
hello_len equ $ - hello_msg
r_eax: dd 0
r_ebx: dd 0
r_ecx: dd 0
cpuid_before: dd 0
cpuid_after:  dd 0
total_before: dd 0
total_after:  dd 0
