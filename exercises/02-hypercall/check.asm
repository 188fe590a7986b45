; Exercise 02's check (docs/exercises/02-hypercall.md): hypercall 4 VCPU_INFO returns EAX = 0,
; EBX = the vCPU's number, ECX = the INIT resets it has taken, EDX = its VM exits so far
; (this VMCALL included, so at least 1).
%include "guest.inc"
%include "checks.inc"

%ifndef HC_VCPU_INFO                ; the solution names it in guest.inc; the check needs only the number
%define HC_VCPU_INFO 4
%endif

main:
    mov eax, HC_VCPU_INFO
    mov ebx, 0xdeadbeef
    mov ecx, 0xdeadbeef
    mov edx, 0
    vmcall
    mov [r_ebx], ebx
    mov [r_ecx], ecx
    mov [r_edx], edx
    check_eax 0, "VMCALL 4 VCPU_INFO: EAX (0 = ok)"
    mov eax, [r_ebx]
    check_eax 0, "VMCALL 4 VCPU_INFO: EBX (vCPU number)"
    mov eax, [r_ecx]
    check_eax 0, "VMCALL 4 VCPU_INFO: ECX (INIT resets)"
    mov eax, [r_edx]
    test eax, eax
    jz .none
    pass "VMCALL 4 VCPU_INFO: EDX counts this vCPU's exits"
    finish
.none:
    fail "VMCALL 4 VCPU_INFO: EDX is 0, it should count this vCPU's exits"
    finish

r_ebx: dd 0
r_ecx: dd 0
r_edx: dd 0
