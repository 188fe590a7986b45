; The world switch: VM entry and VM exit (SDM Vol.3C 26 "VM Entries", 27 "VM Exits").
;
; void vmx_loop(struct vcpu *v)   (never returns)
;   The vCPU's run loop, on the calling CPU's stack. It keeps v in the slot at the top of
;   that stack and writes its address once into the VMCS's HOST_RSP: every VM exit then
;   arrives at vmx_exit_stub with RSP pointing at v (SDM 27.5.3 "Loading Host Segment and
;   Descriptor-Table Registers": RSP is loaded from the host-state area). No global "current
;   vCPU": each CPU that runs a vCPU has its own stack, its own VMCS and so its own slot.
;
;   exit:   vmx_exit_stub stores the 15 guest GPRs into v->gpr (RSP and RIP are in the VMCS),
;           calls vmx_exit_handle(v) (vmx/exit.c: dispatch, then the event for the next entry)
;   entry:  loads the 15 GPRs from v->gpr, VMRESUME (VMLAUNCH the first time)
;
;   There is no C frame to return through: the loop is exit -> handle -> entry. A VMLAUNCH or
;   VMRESUME that fails (SDM 30.2 "Conventions": VMfailInvalid sets CF, VMfailValid ZF) falls
;   through to vmx_entry_failed(v, how, vmresume) (exit.c), which reports it and stops.
;
; struct vcpu layout used here (vmx/vcpu.h, checked by static asserts in vmx/setup.c):
%define V_GPR        0          ; uint64_t gpr[16], x86 register numbering
%define V_LAUNCHED   128
%define V_WAIT_SIPI  129        ; bool wait_for_sipi
                                ; 130-131: uint8_t entry_zero[2], always 0
%define V_REQUESTS   132        ; uint32_t requests (other CPUs set bits)
%define VMCS_HOST_RSP 0x6C14

bits 64
section .text

global vmx_loop
global vmx_exit_stub
global vmx_entry_window
global vmx_entry_window_end
extern vmx_exit_handle
extern vmx_entry_requests
extern vmx_entry_failed

; the guest's GPRs from v (in RDI; RDI itself last): used before VMLAUNCH and VMRESUME
%macro load_guest_gprs 0
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
%endmacro

vmx_loop:
    and rsp, -16                        ; the slot is 16-byte aligned, so the stub's call is too (SysV ABI)
    sub rsp, 16
    mov [rsp], rdi                      ; [HOST_RSP] = v
    mov rax, VMCS_HOST_RSP
    vmwrite rax, rsp                    ; once: the loop never leaves this frame
    jbe host_rsp_failed
    jmp enter_guest

vmx_exit_stub:                          ; RSP = HOST_RSP, [RSP] = v
    push rdi
    mov rdi, [rsp + 8]
    mov [rdi + V_GPR + 0*8], rax
    mov [rdi + V_GPR + 1*8], rcx
    mov [rdi + V_GPR + 2*8], rdx
    mov [rdi + V_GPR + 3*8], rbx
    mov [rdi + V_GPR + 5*8], rbp
    mov [rdi + V_GPR + 6*8], rsi
    mov [rdi + V_GPR + 8*8], r8
    mov [rdi + V_GPR + 9*8], r9
    mov [rdi + V_GPR + 10*8], r10
    mov [rdi + V_GPR + 11*8], r11
    mov [rdi + V_GPR + 12*8], r12
    mov [rdi + V_GPR + 13*8], r13
    mov [rdi + V_GPR + 14*8], r14
    mov [rdi + V_GPR + 15*8], r15
    pop qword [rdi + V_GPR + 7*8]       ; the guest's RDI; RSP = HOST_RSP again
    mov byte [rdi + V_LAUNCHED], 1      ; an exit: the VMLAUNCH, if it was one, succeeded
    xor ebp, ebp                        ; the outermost host frame (a backtrace ends here)
    call vmx_exit_handle                ; returns only to enter the guest again
enter_guest:
; The last look at the vCPU's requests (another CPU's IPI, INIT, SIPI) and at wait-for-SIPI,
; then the entry. A request left after the look comes with an NMI kick; an NMI that lands in
; this window sends the CPU back to its start (arch/x86_64/isr.asm: nmi_restart_start), so
; the entry never goes past a request. An NMI after VMRESUME/VMLAUNCH began is a VM exit.
; Nothing in the window has an effect that running it again would repeat.
vmx_entry_window:
    mov rdi, [rsp]                      ; v
    ; one compare for the common case: bytes 128-135 of v are launched (1: VMRESUME),
    ; wait_for_sipi, two bytes that stay 0, and requests; an aligned 8-byte load is atomic
    ; (SDM Vol.3A 8.1.1), so a request another CPU sets is seen here or after (then its NMI
    ; restarts the window)
    cmp qword [rdi + V_LAUNCHED], 1
    jne entry_other
    load_guest_gprs
    vmresume
    mov edx, 1                          ; only reached when VMRESUME failed (MOV keeps the flags)
    jmp entry_failed
entry_other:                            ; requests, wait-for-SIPI, or the first entry
    mov eax, [rdi + V_REQUESTS]
    or al, [rdi + V_WAIT_SIPI]
    jnz take_requests
    load_guest_gprs                     ; the first entry on this VMCS (SDM 24.1: launch state "clear")
    vmlaunch
vmx_entry_window_end:
    mov edx, 0                          ; only reached when VMLAUNCH failed
    jmp entry_failed
take_requests:
    call vmx_entry_requests             ; vcpu_reset.c: take them (an idle vCPU waits there)
    jmp vmx_entry_window
host_rsp_failed:
    mov edx, 2                          ; the VMWRITE of HOST_RSP failed
entry_failed:                           ; EDX: which instruction; the flags: how it failed
    pushfq
    pop rax
    mov rdi, [rsp]                      ; v (RDI may hold the guest's)
    mov esi, 2                          ; ZF: VMfailValid
    test eax, 1                         ; CF: VMfailInvalid
    jz entry_failed_report
    mov esi, 1
entry_failed_report:
    call vmx_entry_failed               ; vmx_entry_failed(v, 1 invalid / 2 valid, which): does not return
    ud2

section .note.GNU-stack noalloc noexec nowrite progbits
