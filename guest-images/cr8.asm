; cr8: MOV CR8 and the memory-mapped TPR are one register (issue 9, defect 10; SDM Vol.3A
; 10.8.6.1: CR8[3:0] = TPR[7:4]). The guest enters 64-bit mode (identity-mapped, 2 MiB pages),
; writes CR8 and reads the TPR at 0xFEE00080, writes the TPR and reads CR8, then leaves long
; mode for real mode again and reports. On the decode path a hypervisor without CR8 exiting
; lets MOV CR8 reach the physical TPR while the guest's MMIO TPR is the virtual one.
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"

%define PML4 0x10000        ; page tables: PML4, PDPT, PD (identity, first 1 GiB + the APIC's)
%define PDPT 0x11000
%define PD0  0x12000
%define PD3  0x13000        ; 3-4 GiB: the APIC page

main:
    call big_real
    cli
    apic_wr APIC_SVR, 0x1FF
    ; page tables
    mov edi, PML4
    mov ecx, 0x4000 / 4
    xor eax, eax
    a32 rep stosd
    mov dword [dword PML4], PDPT | 3
    mov dword [dword PDPT], PD0 | 3
    mov dword [dword PDPT + 3 * 8], PD3 | 3
    mov dword [dword PD0], 0x83                 ; 0-2 MiB, 2 MiB page, RW, present
    mov dword [dword PD3 + 0x1F7 * 8], 0xFEE00000 | 0x9B  ; the APIC's 2 MiB: PCD PWT
    ; long mode (SDM 9.8.5): PAE, CR3, EFER.LME, then CR0.PG with PE
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, PML4
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, 1 << 8
    wrmsr
    o32 lgdt [gdtr]
    mov eax, cr0
    or eax, 0x80000001
    mov cr0, eax
    jmp dword 0x08:long_mode

bits 64
long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rbx, APIC_BASE + APIC_TPR
    mov eax, 5
    mov cr8, rax
    mov eax, [rbx]
    mov [rel tpr_after_cr8], eax
    mov dword [rbx], 0x30
    mov rax, cr8
    mov [rel cr8_after_tpr], eax
    xor eax, eax
    mov cr8, rax
    ; back: compatibility mode, paging off (LMA clears), 16-bit protected, real mode
    push 0x18
    lea rax, [rel compat]
    push rax
    retfq
bits 32
compat:
    mov eax, cr0
    and eax, 0x7FFFFFFF
    mov cr0, eax
    mov ecx, 0xC0000080
    rdmsr
    and eax, ~(1 << 8)
    wrmsr
    jmp 0x20:pm16
bits 16
pm16:
    mov ax, 0x28
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr0
    and al, 0xFE
    mov cr0, eax
    jmp 0:real_again
real_again:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, GUEST_LOAD
    call big_real
    mov eax, [tpr_after_cr8]
    check_eax 0x50, "TPR after MOV CR8 5"
    mov eax, [cr8_after_tpr]
    check_eax 3, "CR8 after a TPR write of 0x30"
    finish

align 8
gdt:
    dq 0
    dq 0x00AF9A000000FFFF           ; 0x08: 64-bit code
    dq 0x00CF92000000FFFF           ; 0x10: data, 4 GiB
    dq 0x00CF9A000000FFFF           ; 0x18: 32-bit code
    dq 0x00009A000000FFFF           ; 0x20: 16-bit code, base 0, 64 KiB
    dq 0x008F92000000FFFF           ; 0x28: 16-bit data, 4 GiB (big real after the switch)
gdtr:
    dw $ - gdt - 1
    dd gdt
tpr_after_cr8: dd 0
cr8_after_tpr: dd 0
