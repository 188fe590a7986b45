; crcheck: MOV to CR0/CR4 raises #GP(0) where bare metal does (SDM Vol.3A 2.5, 9.8.5; Vol.2
; MOV-Control Registers, "Protected Mode Exceptions" and "64-Bit Mode Exceptions"), and
; clearing CR0.PG flushes the TLB (SDM Vol.3A 4.10.4.1). A write that changes a bit the
; hypervisor owns (CR0.PG, CR4.VMXE under vmxlab) exits instead of executing, so the
; hypervisor must apply these rules itself; the others the CPU checks. vmxlab once took every
; such write: the guest stopped with status 4 or ran on in a state bare metal refuses.
; Expectations come from bare Bochs (tests/boot/defects.cmake).
;
; PAE paging: the PDPTEs load when PG is set (with EPT a hypervisor that takes the write must
; load them into the VMCS, SDM 26.3.2.4); a present PDPTE with a reserved bit is #GP (4.4.1).
; Real mode: PG without PE, NW without CD, PG with EFER.LME and no PAE, CR4.VMXE (allowed only
; when CPUID shows VMX), reserved CR4 bits, PCIDE outside IA-32e mode. Protected mode with
; paging: a PDE changed without INVLPG, PG cleared and set again, the new mapping must be read.
; IA-32e mode: clearing PG in 64-bit code, clearing CR4.PAE; back out through compatibility mode.
%include "guest.inc"
%include "faults.inc"

%define PD32    0x10000             ; page tables and the 64-bit IDT, in guest memory
%define PML4    0x11000
%define PDPT    0x12000
%define PD64    0x13000
%define IDT64   0x14000
%define PDPT32  0x15000             ; PAE paging: the PDPT (4 entries) and one page directory
%define PDPAE   0x16000
%define IDT32   0x17000
%define MARK_A  0x400000            ; physical 4 MiB: what linear 4 MiB maps first
%define MARK_B  0x800000            ; physical 8 MiB: what it maps after the PDE changes
%define IA32_EFER 0xC0000080

main:
    call fault_install
    mov eax, cr0
    mov [cr0_rm], eax
    mov eax, cr4
    mov [cr4_rm], eax

    mov eax, [cr0_rm]
    and eax, ~1
    or eax, 1 << 31
    try mov cr0, eax
    check_fault FAULT_GP, "MOV CR0 PG=1 with PE=0: #GP"

    mov eax, [cr0_rm]
    and eax, ~(1 << 30)
    or eax, 1 << 29
    try mov cr0, eax
    check_fault FAULT_GP, "MOV CR0 NW=1 with CD=0: #GP"

    mov eax, [cr0_rm]
    and eax, ~(1 << 30)
    or eax, (1 << 29) | (1 << 31) | 1
    try mov cr0, eax
    check_fault FAULT_GP, "MOV CR0 NW=1 with CD=0, PE=1 and PG=1: #GP"

    mov ecx, IA32_EFER              ; EFER.LME=1 with CR4.PAE=0, then PG=1
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, [cr0_rm]
    or eax, (1 << 31) | 1
    try mov cr0, eax
    check_fault FAULT_GP, "MOV CR0 PE=1 PG=1 with EFER.LME=1 and CR4.PAE=0: #GP"
    mov ecx, IA32_EFER
    rdmsr
    and eax, ~(1 << 8)
    wrmsr

    mov eax, 1                      ; CR4.VMXE: allowed exactly when CPUID shows VMX
    xor ecx, ecx
    cpuid
    mov bl, FAULT_GP
    bt ecx, 5
    jnc .vmxe
    mov bl, FAULT_NONE
.vmxe:
    mov [vmxe_expect], bl
    mov eax, [cr4_rm]
    or eax, 1 << 13
    try mov cr4, eax
    mov al, [vmxe_expect]
    mov si, vmxe_text
    call fault_report
    mov eax, [cr4_rm]
    mov cr4, eax

    mov eax, [cr4_rm]
    or eax, 1 << 31
    try mov cr4, eax
    check_fault FAULT_GP, "MOV CR4 reserved bit 31: #GP"
    mov eax, [cr4_rm]
    or eax, (1 << 31) | (1 << 13)
    try mov cr4, eax
    check_fault FAULT_GP, "MOV CR4 reserved bit 31 with VMXE=1: #GP"
    mov eax, [cr4_rm]
    or eax, 1 << 17
    try mov cr4, eax
    check_fault FAULT_GP, "MOV CR4 PCIDE=1 outside IA-32e mode: #GP"

    ; ---- protected mode, paging, IA-32e mode; back to real mode ----
    cli
    o32 lgdt [gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp 0x08:pm32

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, GUEST_LOAD
    mov dword [MARK_A], 0xAAAA0001
    mov dword [MARK_B], 0xBBBB0002
    mov edi, PD32                   ; zero PD32, PML4, PDPT, PD64, IDT64
    xor eax, eax
    mov ecx, 5 * 1024
    rep stosd
    mov dword [PD32], 0x00000083    ; 4 MiB pages (PS, RW, P): 0-4 MiB identity
    mov dword [PD32 + 4], MARK_A | 0x83
    mov eax, cr4
    or eax, 1 << 4                  ; PSE
    mov cr4, eax
    mov eax, PD32
    mov cr3, eax
    mov eax, cr0
    or eax, 1 << 31
    mov cr0, eax                    ; paging on
    mov eax, [0x400000]             ; the TLB now maps linear 4 MiB to MARK_A
    mov [tlb_first], eax
    mov dword [PD32 + 4], MARK_B | 0x83 ; no INVLPG
    mov eax, cr0
    and eax, ~(1 << 31)
    mov cr0, eax                    ; paging off: flushes the TLB (SDM 4.10.4.1)
    or eax, 1 << 31
    mov cr0, eax                    ; and on again
    mov eax, [0x400000]
    mov [tlb_second], eax
    mov eax, cr0
    and eax, ~(1 << 31)
    mov cr0, eax

    mov edi, PDPT32                 ; PAE paging: zero the PDPT, the PD and the 32-bit IDT
    xor eax, eax
    mov ecx, 3 * 1024
    rep stosd
    mov dword [PDPT32], PDPAE | 1   ; PDPTE 0: present (bits 2:1 are reserved in a PDPTE)
    mov dword [PDPAE], 0x83         ; 0-2 MiB identity, a 2 MiB page
    mov word [IDT32 + 13 * 8], gp32 ; #GP: a 32-bit interrupt gate
    mov word [IDT32 + 13 * 8 + 2], 0x08
    mov word [IDT32 + 13 * 8 + 4], 0x8E00
    lidt [idt32r]
    mov eax, cr4
    or eax, 1 << 5                  ; PAE
    mov cr4, eax
    mov eax, PDPT32
    mov cr3, eax
    mov byte [pae_vector], FAULT_NONE
    mov eax, cr0
    or eax, 1 << 31
    mov cr0, eax                    ; PAE paging on: the next fetch goes through PDPTE 0
    mov eax, [GUEST_LOAD]
    mov [pae_read], eax
    mov eax, cr0
    and eax, ~(1 << 31)
    mov cr0, eax
    mov dword [PDPT32 + 8], PDPAE | 3   ; PDPTE 1: present with bit 1 (reserved) set
    mov eax, cr0
    or eax, 1 << 31
    mov byte [pae_vector], FAULT_NONE
    mov cr0, eax                    ; #GP (3 bytes: gp32 skips them)
    mov al, [pae_vector]
    mov [pae_bad], al
    mov eax, cr0                    ; paging off, if the bad PDPTE was taken after all
    and eax, ~(1 << 31)
    mov cr0, eax
    mov eax, cr4
    and eax, ~(1 << 5)
    mov cr4, eax

    mov dword [PML4], PDPT | 3      ; 4-level paging: 0-2 MiB identity (a 2 MiB page)
    mov dword [PDPT], PD64 | 3
    mov dword [PD64], 0x83
    mov word [IDT64 + 13 * 16], gp64    ; #GP: a 64-bit interrupt gate (SDM 6.14.1)
    mov word [IDT64 + 13 * 16 + 2], 0x28
    mov word [IDT64 + 13 * 16 + 4], 0x8E00
    mov eax, cr4
    or eax, 1 << 5                  ; PAE
    mov cr4, eax
    mov eax, PML4
    mov cr3, eax
    mov ecx, IA32_EFER
    rdmsr
    or eax, 1 << 8                  ; LME
    wrmsr
    mov eax, cr0
    or eax, 1 << 31
    mov cr0, eax                    ; IA-32e mode (compatibility mode: CS is 32-bit)
    lidt [idt64r]
    jmp 0x28:lm64

bits 64
lm64:
    mov byte [lm_vector], FAULT_NONE
    mov rax, cr0
    btr rax, 31
    mov cr0, rax                    ; 3 bytes: gp64 skips them
    mov al, [lm_vector]
    mov [lm_pg], al
    mov byte [lm_vector], FAULT_NONE
    mov rax, cr4
    btr rax, 5
    mov cr4, rax
    mov al, [lm_vector]
    mov [lm_pae], al
    jmp far dword [rel compat_ptr]  ; to compatibility mode (m16:32)

gp64:                               ; #GP in 64-bit mode: error code, then RIP
    mov byte [lm_vector], FAULT_GP
    add qword [rsp + 8], 3
    add rsp, 8
    iretq

bits 32
gp32:                               ; #GP in protected mode: error code, then EIP
    mov byte [pae_vector], FAULT_GP
    add dword [esp + 4], 3
    add esp, 4
    iretd

compat:
    mov eax, cr0
    and eax, ~(1 << 31)
    mov cr0, eax                    ; allowed in compatibility mode: leaves IA-32e mode
    mov ecx, IA32_EFER
    rdmsr
    and eax, ~(1 << 8)
    wrmsr
    mov eax, cr4
    and eax, ~((1 << 5) | (1 << 4))
    mov cr4, eax
    lidt [ivtr]
    jmp 0x18:pm16

bits 16
pm16:
    mov ax, 0x20
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov eax, cr0
    and al, ~1
    mov cr0, eax
    jmp 0:real_again
real_again:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov sp, GUEST_LOAD
    sti
    pass "back in real mode from IA-32e mode through compatibility mode"

    cmp dword [tlb_first], 0xAAAA0001
    jne .tlb_bad
    cmp dword [tlb_second], 0xBBBB0002
    jne .tlb_bad
    pass "clearing CR0.PG flushed the TLB (the changed PDE is used)"
    jmp .lm
.tlb_bad:
    fail "clearing CR0.PG did not flush the TLB (a stale translation is used)"
.lm:
    mov eax, [pae_read]
    cmp eax, [GUEST_LOAD]
    jne .pae_bad
    pass "PAE paging on through MOV CR0: the PDPTEs were loaded"
    jmp .pae_rsvd
.pae_bad:
    fail "PAE paging on through MOV CR0: the PDPTEs were not loaded"
.pae_rsvd:
    mov al, [pae_bad]
    mov [fault_vector], al
    check_fault FAULT_GP, "MOV CR0 PG=1 with PAE and a reserved bit in a present PDPTE: #GP"
    mov al, [lm_pg]
    mov [fault_vector], al
    check_fault FAULT_GP, "MOV CR0 clearing PG in 64-bit mode: #GP"
    mov al, [lm_pae]
    mov [fault_vector], al
    check_fault FAULT_GP, "MOV CR4 clearing PAE in IA-32e mode: #GP"
    finish

vmxe_text: db "MOV CR4 VMXE=1: no fault exactly when CPUID.1:ECX[5] shows VMX (else #GP)", 0
cr0_rm: dd 0
cr4_rm: dd 0
vmxe_expect: db 0
tlb_first: dd 0
tlb_second: dd 0
lm_vector: db 0
lm_pg: db 0
lm_pae: db 0
pae_vector: db 0
pae_bad: db 0
pae_read: dd 0
compat_ptr: dd compat
            dw 0x08
align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF           ; 0x08 code, 32-bit, 4 GiB
    dq 0x00CF92000000FFFF           ; 0x10 data, 4 GiB
    dq 0x00009A000000FFFF           ; 0x18 code, 16-bit, 64 KiB
    dq 0x000092000000FFFF           ; 0x20 data, 64 KiB
    dq 0x00AF9A000000FFFF           ; 0x28 code, 64-bit (L=1)
gdt_end:
gdtr: dw gdt_end - gdt - 1
      dd gdt
idt64r: dw 256 * 16 - 1
        dd IDT64
idt32r: dw 256 * 8 - 1
        dd IDT32
ivtr: dw 0x3FF
      dd 0
