; VM entry and VM exit (SDM Vol.3 26 "VM Entries", 27 "VM Exits").
;
; int vmx_enter(struct vcpu *v)
;   Loads the guest's general registers from v (RSP and RIP come from the VMCS), then
;   VMLAUNCH (first time) or VMRESUME. On a VM exit the CPU continues at vmx_exit_stub with
;   the host RSP written below, the stub stores the guest registers into v and returns 0
;   from vmx_enter as if the call had just finished. A failed VMLAUNCH/VMRESUME falls
;   through and returns 1 (VMfailInvalid) or 2 (VMfailValid: read the VM-instruction error).
;
; struct vcpu layout used here (vmx/vcpu.h, checked by static asserts in vmx/setup.c):
%define V_GPR        0          ; uint64_t gpr[16], x86 register numbering
%define V_HOST_RSP   128
%define V_LAUNCHED   136
%define VMCS_HOST_RSP 0x6C14

bits 64
section .text

global vmx_enter
global vmx_exit_stub

vmx_enter:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    push rdi                            ; [rsp] = v, found again by the exit stub
    cmp rsp, [rdi + V_HOST_RSP]         ; HOST_RSP changes only if the caller's stack does
    je .rsp_ok
    mov [rdi + V_HOST_RSP], rsp
    mov rax, VMCS_HOST_RSP
    vmwrite rax, rsp
.rsp_ok:
    cmp byte [rdi + V_LAUNCHED], 0      ; flags survive the MOVs below
    mov rax, [rdi + V_GPR + 0*8]
    mov rcx, [rdi + V_GPR + 1*8]
    mov rdx, [rdi + V_GPR + 2*8]
    mov rbx, [rdi + V_GPR + 3*8]
    mov rbp, [rdi + V_GPR + 5*8]
    mov rsi, [rdi + V_GPR + 6*8]
    mov r8,  [rdi + V_GPR + 8*8]
    mov r9,  [rdi + V_GPR + 9*8]
    mov r10, [rdi + V_GPR + 10*8]
    mov r11, [rdi + V_GPR + 11*8]
    mov r12, [rdi + V_GPR + 12*8]
    mov r13, [rdi + V_GPR + 13*8]
    mov r14, [rdi + V_GPR + 14*8]
    mov r15, [rdi + V_GPR + 15*8]
    mov rdi, [rdi + V_GPR + 7*8]
    jne .resume
    vmlaunch
    jmp .failed
.resume:
    vmresume
.failed:                                ; only reached when the instruction failed
    pushfq
    pop rax
    pop rdi
    mov ecx, 2                          ; ZF: VMfailValid
    test eax, 1                         ; CF: VMfailInvalid
    jz .valid
    mov ecx, 1
.valid:
    mov eax, ecx
    jmp vmx_return

vmx_exit_stub:
    push rax                            ; guest RAX; [rsp + 8] = v
    mov rax, [rsp + 8]
    mov [rax + V_GPR + 1*8], rcx
    mov [rax + V_GPR + 2*8], rdx
    mov [rax + V_GPR + 3*8], rbx
    mov [rax + V_GPR + 5*8], rbp
    mov [rax + V_GPR + 6*8], rsi
    mov [rax + V_GPR + 7*8], rdi
    mov [rax + V_GPR + 8*8], r8
    mov [rax + V_GPR + 9*8], r9
    mov [rax + V_GPR + 10*8], r10
    mov [rax + V_GPR + 11*8], r11
    mov [rax + V_GPR + 12*8], r12
    mov [rax + V_GPR + 13*8], r13
    mov [rax + V_GPR + 14*8], r14
    mov [rax + V_GPR + 15*8], r15
    pop qword [rax + V_GPR + 0*8]
    mov byte [rax + V_LAUNCHED], 1
    add rsp, 8                          ; drop v
    xor eax, eax
vmx_return:
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

section .note.GNU-stack noalloc noexec nowrite progbits
