; holes: guest-physical addresses with no RAM and no device behind them (issue 9: the EPT
; policy for holes). With PAE paging (SDM Vol.3A 4.4) linear 0x200000 maps GPA 4 GiB and linear
; 0x400000 maps GPA 9 GiB, above the 128 MiB of RAM. A PC's bus answers a read there with all
; ones and drops a write; bare Bochs does the same (the .bare run). Checked: reads (dword and
; byte), a write then a read, a write to a page never read, an ALU read-modify-write (CF of
; 0xFFFFFFFF + 5), XCHG (loads all ones), REP STOSD (pointer and count advance). Then, back in
; real mode (after a 4-level phase: a REX.W store and an XCHG with R9 at GPA 4 GiB), the guest
; reads 0x07F00000: RAM on bare Bochs with 128 MiB, but vmxlab's own
; memory under vmxlab, which must stop the guest with its diagnosis before its "RESULT: PASS".
%include "guest.inc"
%include "checks.inc"

%define PG   0x80000000
%define PAE  0x20
%define PDPT 0x23000
%define PD0  0x24000
%define HOLE_A 0x00200000       ; -> GPA 0x100000000
%define HOLE_B 0x00400000       ; -> GPA 0x240000000
%define PML4 0x28000
%define PDPTL 0x29000
%define PDL  0x2A000
%define EFER 0xC0000080
%define VMXLAB_MEM 0x07F00000   ; vmxlab's page pool under vmxlab with 128 MiB (the log's "page pool")

main:
    cli
    lgdt [gdtr]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp 0x08:pm32
bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov esp, GUEST_LOAD
    mov edi, PDPT
    mov ecx, 2 * 1024
    xor eax, eax
    rep stosd
    mov dword [PDPT], PD0 | 1
    mov dword [PD0 + 0 * 8], 0x83                     ; identity 0-2 MiB
    mov dword [PD0 + 1 * 8], 0x83                     ; HOLE_A: 2 MiB page at 4 GiB
    mov dword [PD0 + 1 * 8 + 4], 0x1
    mov dword [PD0 + 2 * 8], 0x40000083               ; HOLE_B: 2 MiB page at 9 GiB
    mov dword [PD0 + 2 * 8 + 4], 0x2
    mov eax, cr4
    or eax, PAE
    mov cr4, eax
    mov eax, PDPT
    mov cr3, eax
    mov eax, cr0
    or eax, PG
    mov cr0, eax

    mov eax, [HOLE_A]                       ; a read
    mov [r_read], eax
    movzx eax, byte [HOLE_A + 5]            ; a byte read
    mov [r_byte], eax
    mov dword [HOLE_A + 0x10], 0x12345678   ; a write, then read it back
    mov eax, [HOLE_A + 0x10]
    mov [r_back], eax
    mov dword [HOLE_B + 0x20], 1            ; a write to a page never read
    mov eax, [HOLE_B + 0x20]
    mov [r_back_b], eax
    clc
    add dword [HOLE_A + 0x20], 5            ; 0xFFFFFFFF + 5: CF=1
    setc al
    movzx eax, al
    mov [r_carry], eax
    mov ebx, 0x55
    xchg [HOLE_A + 0x30], ebx               ; EBX gets all ones
    mov [r_xchg], ebx
    cld
    mov edi, HOLE_A + 0x100
    mov ecx, 4
    mov eax, 0xAAAAAAAA
    rep stosd
    mov [r_ecx], ecx
    mov [r_edi], edi
    mov eax, [HOLE_A + 0x104]
    mov [r_stos], eax

    mov eax, cr0
    and eax, ~PG
    mov cr0, eax

    ; ---- 4-level paging: linear 4 GiB is GPA 4 GiB (a 1 GiB page), 64-bit accesses ----
    mov edi, PML4
    mov ecx, 3 * 1024
    xor eax, eax
    rep stosd
    mov dword [PML4], PDPTL | 3
    mov dword [PDPTL + 0 * 8], PDL | 3
    mov dword [PDL + 0 * 8], 0x83                     ; identity 0-2 MiB
    mov dword [PDPTL + 4 * 8], 0x83                   ; linear 4 GiB -> GPA 4 GiB, 1 GiB page
    mov dword [PDPTL + 4 * 8 + 4], 0x1
    mov eax, PML4
    mov cr3, eax
    mov ecx, EFER
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, PG
    mov cr0, eax
    jmp 0x18:long64
bits 64
long64:
    mov rax, 0x100000000
    mov rbx, 0x1122334455667788
    mov [rax + 0x40], rbx                   ; REX.W store to a mapped hole page: dropped
    mov rcx, [rax + 0x40]                   ; native read of the page of ones
    mov [rel r_q], rcx
    mov r9, 0x55
    mov rdx, rax
    xchg [rdx + 0x3008], r9                 ; REX.WR, a page never touched: R9 = all ones
    mov [rel r_x], r9
    jmp dword far [rel .back]
.back:
    dd .compat
    dw 0x08
bits 32
.compat:
    mov eax, cr0
    and eax, ~PG
    mov cr0, eax
    mov ecx, EFER
    rdmsr
    and eax, ~(1 << 8)
    wrmsr
    mov eax, cr4
    and eax, ~PAE
    mov cr4, eax
    jmp 0x20:.pm16
bits 16
.pm16:
    mov ax, 0x28
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    jmp 0:.real
.real:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, GUEST_LOAD
    sti

    mov eax, [r_read]
    check_eax 0xFFFFFFFF, "hole read"
    mov eax, [r_byte]
    check_eax 0xFF, "hole byte read"
    mov eax, [r_back]
    check_eax 0xFFFFFFFF, "hole after a write"
    mov eax, [r_back_b]
    check_eax 0xFFFFFFFF, "second hole after a write"
    mov eax, [r_carry]
    check_eax 1, "CF of add [hole], 5"
    mov eax, [r_xchg]
    check_eax 0xFFFFFFFF, "xchg [hole], ebx: ebx"
    mov eax, [r_ecx]
    check_eax 0, "rep stosd to a hole: ecx"
    mov eax, [r_edi]
    check_eax HOLE_A + 0x110, "rep stosd to a hole: edi"
    mov eax, [r_stos]
    check_eax 0xFFFFFFFF, "hole after rep stosd"
    mov eax, [r_q]
    check_eax 0xFFFFFFFF, "64-bit: qword read after a qword write, low"
    mov eax, [r_q + 4]
    check_eax 0xFFFFFFFF, "64-bit: qword read after a qword write, high"
    mov eax, [r_x + 4]
    check_eax 0xFFFFFFFF, "64-bit: xchg [hole], r9: r9 high"
    cmp word [guest_failures], 0
    jne .verdict
    print_com1 "holes: reading 0x07f00000 next"
    call big_real
    mov eax, [dword VMXLAB_MEM]             ; under vmxlab: its memory, the guest stops here
    print_com1 "holes: read 0x07f00000 and went on"
.verdict:
    finish

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF       ; 0x08 code32 flat
    dq 0x00CF92000000FFFF       ; 0x10 data32 flat
    dq 0x00AF9A000000FFFF       ; 0x18 code64
    dq 0x00009A000000FFFF       ; 0x20 code16, base 0, 64 KiB
    dq 0x000092000000FFFF       ; 0x28 data16
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt

align 4
r_read: dd 0
r_byte: dd 0
r_back: dd 0
r_back_b: dd 0
r_carry: dd 0
r_xchg: dd 0
r_ecx: dd 0xFFFF
r_edi: dd 0
r_stos: dd 0
align 8
r_q: dq 0
r_x: dq 0
