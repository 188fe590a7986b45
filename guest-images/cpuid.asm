; cpuid: what CPUID tells a guest of vmxlab. CPUID.1:ECX bit 31 (hypervisor present) must be
; set and bit 5 (VMX) clear; leaf 0x40000000 must carry the signature "vmxlab"
; (EBX = "vmxl", ECX = "ab\0\0").
%include "guest.inc"

main:
    mov eax, 1
    xor ecx, ecx
    cpuid
    mov [leaf1_ecx], ecx
    print_com1_nonl "cpuid: leaf 1 ecx="
    mov eax, ecx
    call com1_hex32
    call com1_crlf
    test dword [leaf1_ecx], 1 << 31
    jz .no_hv
    pass "CPUID.1:ECX[31] hypervisor present is set"
    jmp .vmx
.no_hv:
    fail "CPUID.1:ECX[31] hypervisor present is clear"
.vmx:
    test dword [leaf1_ecx], 1 << 5
    jnz .has_vmx
    pass "CPUID.1:ECX[5] VMX is clear"
    jmp .sig
.has_vmx:
    fail "CPUID.1:ECX[5] VMX is set"

.sig:
    mov eax, 0x40000000
    xor ecx, ecx
    cpuid
    mov [sig_eax], eax
    mov [sig + 0], ebx
    mov [sig + 4], ecx
    mov [sig + 8], edx
    print_com1_nonl "cpuid: leaf 0x40000000 eax="
    mov eax, [sig_eax]
    call com1_hex32
    print_com1_nonl " ebx="
    mov eax, [sig + 0]
    call com1_hex32
    print_com1_nonl " ecx="
    mov eax, [sig + 4]
    call com1_hex32
    print_com1_nonl " edx="
    mov eax, [sig + 8]
    call com1_hex32
    print_com1_nonl " signature '"
    mov si, sig
    call com1_puts              ; sig_end's NUL ends it if EDX:ECX leave no NUL
    print_com1 "'"
    cmp dword [sig + 0], 'vmxl'
    jne .bad_sig
    cmp dword [sig + 4], 'ab'
    jne .bad_sig
    pass "CPUID.40000000h signature is vmxlab"
    jmp .max
.bad_sig:
    fail "CPUID.40000000h signature is not vmxlab"
.max:
    cmp dword [sig_eax], 0x40000000
    jae .max_ok
    fail "CPUID.40000000h EAX (highest hypervisor leaf) below 0x40000000"
    jmp .done
.max_ok:
    pass "CPUID.40000000h EAX is a hypervisor leaf"
.done:
    finish

leaf1_ecx: dd 0
sig_eax:   dd 0
sig:       times 12 db 0
sig_end:   db 0
