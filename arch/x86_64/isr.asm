; Exception entry stubs: make every vector look alike (an error code slot, the vector number),
; save the general registers as struct trap_frame (idt.h) and call the installed handler.
bits 64
section .text

extern trap_entry_c

%macro ISR_NOERR 1
isr%1:
    push 0
    push %1
    jmp isr_common
%endmacro
%macro ISR_ERR 1
isr%1:
    push %1
    jmp isr_common
%endmacro

; Vectors with an error code: 8, 10-14, 17, 21, 29, 30 (SDM Vol.3 Table 6-1).
%assign v 0
%rep 32
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
ISR_ERR v
%else
ISR_NOERR v
%endif
%assign v v+1
%endrep

; NMI (vector 2) is not an error in vmxlab's host: it is the kick one CPU sends another to make
; it look at its requests (kernel/smp.c, vmx/vcpu_reset.c). The handler only returns, except
; where returning would sleep through the kick or miss it (cpu_local.h):
;   - if it interrupted cpu_idle_halt's HLT, it returns past the HLT;
;   - if it interrupted the restartable window [nmi_restart_start, nmi_restart_end) (the last
;     check for requests before a VM entry, vmx/entry.asm), it returns to nmi_restart_start,
;     so the check runs again: a request left just after the check is not entered past.
; Its IRET also ends the CPU's blocking of NMIs (SDM Vol.3A 6.7.1 "Handling Multiple NMIs").
; It runs on the IST1 stack (idt.c).
global cpu_idle_halt
global nmi_restart_start
global nmi_restart_end
nmi_entry:
    push rax
    mov rax, [rsp + 8]                  ; the interrupted RIP
    push rcx
    lea rcx, [rel idle_hlt]
    cmp rax, rcx
    jne .window
    inc qword [rsp + 16]                ; HLT is one byte: resume after it
    jmp .out
.window:
    cmp rax, [rel nmi_restart_start]
    jb .out
    cmp rax, [rel nmi_restart_end]
    jae .out
    mov rax, [rel nmi_restart_start]
    mov [rsp + 16], rax
.out:
    pop rcx
    pop rax
    iretq

cpu_idle_halt:
idle_hlt:
    hlt
    ret

section .data
nmi_restart_start: dq 0
nmi_restart_end: dq 0
section .text

isr_common:
    push r15
    push r14
    push r13
    push r12
    push r11
    push r10
    push r9
    push r8
    push rbp
    push rdi
    push rsi
    push rdx
    push rcx
    push rbx
    push rax
    mov rdi, rsp
    cld
    call trap_entry_c                   ; does not return
.hang:
    cli
    hlt
    jmp .hang

section .rodata
global isr_table
isr_table:
%assign v 0
%rep 32
%if v == 2
    dq nmi_entry
%else
    dq isr %+ v
%endif
%assign v v+1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
