; paging: the local APIC through the guest's own page tables (issue 9, defect 12). Three
; phases, each from real mode and back: 32-bit paging (SDM Vol.3A 4.3: 4 KiB pages, a 4 MiB
; PSE page, a read-only and a not-present alias, an instruction that straddles two pages that
; are not contiguous in physical memory), PAE paging (4.4: a 2 MiB page and a 4 KiB one; the
; PDPTEs come from CR3), 4-level paging (4.5: the Linux fixmap address 0xffffffffff5fd000,
; RIP-relative and REX-register operands, a 1 GiB page). The APIC page (0xFEE00000) is never at its own
; linear address. Each access's result is stored, and checked back in real mode; the page
; faults (not present; write to read-only with CR0.WP) are caught in the guest, which checks
; the error code and CR2 (SDM 4.7). Under vmxlab's decode path every access is an APIC-access
; exit that vmxlab must fetch, decode and translate through these tables; on bare Bochs
; (boottest.py --bare) the same accesses reach the real APIC: the reference.
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"

%define PG   0x80000000
%define WP   0x00010000
%define PSE  0x10
%define PAE  0x20
%define EFER 0xC0000080

; page tables, all in conventional memory (identity-mapped by every phase)
%define PD32   0x20000          ; 32-bit: page directory
%define PT32A  0x21000          ;   identity 0-4 MiB
%define PT32B  0x22000          ;   linear 4-8 MiB: the aliases
%define PDPT   0x23000          ; PAE: the PDPT (32-byte aligned)
%define PDP0   0x24000          ;   PD for linear 0-1 GiB
%define PDP1   0x25000          ;   PD for linear 1-2 GiB
%define PTP    0x26000          ;   PT for linear 0x40200000
%define PML4   0x28000          ; 4-level
%define PDPTL  0x29000          ;   PDPT for linear 0-512 GiB
%define PDL    0x2A000          ;   PD for linear 0-1 GiB
%define PTL    0x2B000          ;   PT for linear 0x200000 (the RIP-relative alias)
%define PDPTH  0x2C000          ;   PDPT for the top 512 GiB
%define PDH    0x2D000          ;   PD for the top 1 GiB
%define PTH    0x2E000          ;   PT for 0xffffffffff400000
%define PAGE_A 0x30000          ; the straddling instruction's first page
%define PAGE_B 0x32000          ;   and its second (not the next physical page)

; linear aliases of the APIC page
%define AL32    0x00401000      ; 32-bit, 4 KiB page, writable
%define AL32NP  0x00402000      ;   not present
%define AL32RO  0x00403000      ;   read-only
%define AL32BIG 0xC0200000      ;   inside a 4 MiB page 0xC0000000 -> 0xFEC00000
%define STRADDLE 0x00405FFC     ;   4 bytes before the end of the page at 0x405000
%define HC_LINEAR (0x00408000 + ((hc_text - $$ + GUEST_LOAD) & 0xFFF)) ; hc_text, seen at 0x408xxx
%define ALPAE   0x40201000      ; PAE, 4 KiB page
%define ALPAE2M 0x3EE00000      ;   inside a 2 MiB page -> 0xFEE00000
%define FIXMAP  0xFFFFFFFFFF5FD000 ; 4-level: Linux's APIC fixmap slot
%define AL64    0x00200000      ;   reached RIP-relative
%define AL64G   0x7EE00000      ;   inside a 1 GiB page 0x40000000 -> 0xC0000000
; a RIP-relative operand at linear address X: NASM wants a label-relative expression
%define RIPREL(x) (guest_start - GUEST_LOAD + (x))

main:
    call big_real
    apic_rd APIC_VERSION
    mov [ver_rm], eax
    apic_rd APIC_TPR
    mov [tpr_rm], eax
    cli
    lgdt [gdtr]

    ; ---- 32-bit paging ----
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp 0x08:phase32
bits 32
phase32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov esp, GUEST_LOAD
    mov edi, PD32               ; clear PD32, PT32A, PT32B
    mov ecx, 3 * 1024
    xor eax, eax
    rep stosd
    mov dword [PD32 + 0 * 4], PT32A | 3
    mov dword [PD32 + 1 * 4], PT32B | 3
    mov dword [PD32 + 0x300 * 4], 0xFEC00000 | 0x83   ; PS: 4 MiB page (CR4.PSE)
    mov edi, PT32A
    mov eax, 3
    mov ecx, 1024
.identity:
    stosd
    add eax, 0x1000
    loop .identity
    mov dword [PT32B + 1 * 4], APIC_BASE | 3          ; AL32
    mov dword [PT32B + 3 * 4], APIC_BASE | 1          ; AL32RO: read-only
    mov dword [PT32B + 5 * 4], PAGE_A | 3             ; the straddle's two pages
    mov dword [PT32B + 6 * 4], PAGE_B | 3
    mov dword [PT32B + 8 * 4], ((hc_text - $$ + GUEST_LOAD) & ~0xFFF) | 3 ; HC_LINEAR's page
    ; mov dword [AL32 + APIC_TPR], 0x50 ; ret   split 4 + 7 bytes across PAGE_A's end and PAGE_B
    mov dword [PAGE_A + 0xFFC], 0x108005C7
    mov dword [PAGE_B], 0x00500040
    mov dword [PAGE_B + 4], 0xC30000
    mov eax, PD32
    mov cr3, eax
    mov eax, cr4
    or eax, PSE
    mov cr4, eax
    mov eax, cr0
    or eax, PG | WP
    mov cr0, eax

    mov eax, [AL32 + APIC_VERSION]          ; 4 KiB alias
    mov [r32_ver], eax
    mov eax, [AL32BIG + APIC_VERSION]       ; 4 MiB page
    mov [r32_ver4m], eax
    mov dword [AL32 + APIC_TPR], 0x20       ; C7 05: write through one alias...
    mov eax, [AL32BIG + APIC_TPR]           ; ...read through another
    mov [r32_tpr1], eax
    mov ebx, AL32BIG
    mov ecx, 0x30
    mov [ebx + APIC_TPR], ecx               ; register-indirect
    mov eax, [AL32RO + APIC_TPR]            ; reading the read-only alias is fine
    mov [r32_tpr2], eax
    call STRADDLE                           ; the instruction that crosses pages
    mov eax, [AL32 + APIC_TPR]
    mov [r32_tpr3], eax
    ; the faults, and hypercall PRINT with a buffer the guest's page tables place
    call idt32_install
    mov eax, HC_PRINT
    mov ebx, HC_LINEAR
    mov ecx, hc_text_len
    vmcall                                  ; bare Bochs: #UD, ud_handler32 skips it
    mov [hc_eax], eax
    xor eax, eax
    mov cr2, eax
    mov dword [pf_resume], .after_np
    mov eax, [AL32NP + APIC_TPR]            ; not present: #PF, error 0, CR2 = the address
.after_np:
    mov eax, [pf_err]
    mov [pf1_err], eax
    mov eax, [pf_cr2]
    mov [pf1_cr2], eax
    mov dword [pf_resume], .after_ro
    mov dword [AL32RO + APIC_TPR], 0x40     ; read-only with CR0.WP: #PF, error P|W = 3
.after_ro:
    mov eax, [pf_err]
    mov [pf2_err], eax
    mov eax, [pf_cr2]
    mov [pf2_cr2], eax
    mov eax, [AL32 + APIC_TPR]              ; the faulting write did not happen
    mov [r32_tpr4], eax
    mov dword [AL32 + APIC_TPR], 0
    ; a stale translation: AL32 made not present without INVLPG. SDM 4.10.4.4: the CPU may go
    ; on using the TLB's old translation, or walk the tables and fault; both are right, and the
    ; checks accept either. Bare Bochs uses the old translation; under vmxlab Bochs walks again
    ; after the VM exit of the APIC read above and faults itself. Had it used the old one, the
    ; APIC-access exit's walk would find the entry not present, and vmxlab would raise the
    ; same #PF (error 0, CR2 = the address).
    mov eax, [pf_count]
    mov [pf_count2], eax
    mov eax, [AL32 + APIC_ID]               ; the translation is in the TLB now
    mov dword [PT32B + 1 * 4], 0
    xor eax, eax
    mov cr2, eax
    mov dword [pf_err], 0xFFFFFFFF
    mov dword [pf_cr2], 0
    mov dword [pf_resume], .after_stale
    mov eax, [AL32 + APIC_VERSION]
    mov [r_stale], eax
.after_stale:
    mov eax, [pf_err]
    mov [pf3_err], eax
    mov eax, [pf_cr2]
    mov [pf3_cr2], eax
    mov dword [PT32B + 1 * 4], APIC_BASE | 3
    invlpg [AL32]
    lidt [idtr_rm]
    mov eax, cr0
    and eax, ~PG
    mov cr0, eax
    mov eax, cr4
    and eax, ~PSE
    mov cr4, eax

    ; ---- PAE paging ----
    mov edi, PDPT
    mov ecx, 4 * 1024
    xor eax, eax
    rep stosd
    mov dword [PDPT + 0 * 8], PDP0 | 1                ; PDPTEs: P only (R/W, U/S reserved)
    mov dword [PDPT + 1 * 8], PDP1 | 1
    mov dword [PDP0 + 0 * 8], 0x83                    ; identity 0-2 MiB, a 2 MiB page
    mov dword [PDP0 + 0x1F7 * 8], APIC_BASE | 0x83    ; ALPAE2M: a 2 MiB page at 0xFEE00000
    mov dword [PDP1 + 1 * 8], PTP | 3
    mov dword [PTP + 1 * 8], APIC_BASE | 3            ; ALPAE
    mov eax, cr4
    or eax, PAE
    mov cr4, eax
    mov eax, PDPT
    mov cr3, eax
    mov eax, cr0
    or eax, PG
    mov cr0, eax
    mov eax, [ALPAE + APIC_VERSION]
    mov [rpae_ver], eax
    mov dword [ALPAE2M + APIC_TPR], 0x60
    mov eax, [ALPAE + APIC_TPR]
    mov [rpae_tpr], eax
    mov dword [ALPAE + APIC_TPR], 0
    mov eax, cr0
    and eax, ~PG
    mov cr0, eax

    ; ---- 4-level paging ----
    mov edi, PML4
    mov ecx, 7 * 1024
    xor eax, eax
    rep stosd
    mov dword [PML4 + 0 * 8], PDPTL | 3
    mov dword [PDPTL + 0 * 8], PDL | 3
    mov dword [PDL + 0 * 8], 0x83                     ; identity 0-2 MiB
    mov dword [PDL + 1 * 8], PTL | 3
    mov dword [PTL + 0 * 8], APIC_BASE | 3            ; AL64
    mov dword [PDPTL + 1 * 8], 0xC0000000 | 0x83      ; AL64G: a 1 GiB page
    mov dword [PML4 + 511 * 8], PDPTH | 3
    mov dword [PDPTH + 511 * 8], PDH | 3
    mov dword [PDH + 506 * 8], PTH | 3
    mov dword [PTH + 0x1FD * 8], APIC_BASE | 3        ; FIXMAP
    mov eax, PML4
    mov cr3, eax
    mov ecx, EFER
    rdmsr
    or eax, 1 << 8                                    ; LME
    wrmsr
    mov eax, cr0
    or eax, PG
    mov cr0, eax                                      ; IA-32e mode, compatibility mode
    jmp 0x18:phase64
bits 64
phase64:
    mov eax, [abs FIXMAP + APIC_VERSION]              ; 8B 04 25 disp32: Linux's readl
    mov [rel r64_ver], eax
    mov dword [abs FIXMAP + APIC_TPR], 0x70           ; C7 04 25 disp32 imm32
    mov eax, [rel RIPREL(AL64 + APIC_TPR)]            ; RIP-relative
    mov [rel r64_tpr1], eax
    mov r8, FIXMAP
    mov r9d, 0x80
    mov [r8 + APIC_TPR], r9d                          ; REX.RB register-indirect
    mov r10d, [abs AL64 + APIC_TPR]
    mov [rel r64_tpr2], r10d
    mov eax, [abs FIXMAP + APIC_PPR]                  ; PPR: an exit 44 on the apicv path too
    mov [rel r64_ppr], eax
    mov eax, [abs AL64G + APIC_TPR]                   ; through the 1 GiB page
    mov [rel r64_tpr3], eax
    mov dword [rel RIPREL(AL64 + APIC_TPR)], 0        ; RIP-relative write
    jmp dword far [rel back32]                       ; FF /5 m16:32 (no REX.W: m16:64)
back32:
    dd leave64
    dw 0x08
bits 32
leave64:
    mov eax, cr0
    and eax, ~PG
    mov cr0, eax                                      ; leaves IA-32e mode
    mov ecx, EFER
    rdmsr
    and eax, ~(1 << 8)
    wrmsr
    mov eax, cr4
    and eax, ~PAE
    mov cr4, eax
    xor eax, eax
    mov cr3, eax

    ; ---- back to real mode ----
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

    mov ebx, [ver_rm]
    mov eax, [r32_ver]
    call same_as_rm
    check_eax 1, "32-bit 4 KiB alias: version as in real mode"
    mov eax, [r32_ver4m]
    call same_as_rm
    check_eax 1, "32-bit 4 MiB page: version as in real mode"
    mov eax, [r32_tpr1]
    check_eax 0x20, "32-bit TPR written through one alias, read through another"
    mov eax, [r32_tpr2]
    check_eax 0x30, "32-bit TPR by [ebx+0x80], read through the read-only alias"
    mov eax, [r32_tpr3]
    check_eax 0x50, "32-bit TPR by an instruction across two pages"
    mov eax, [pf1_err]
    check_eax 0, "#PF error code, not-present read"
    mov eax, [pf1_cr2]
    check_eax AL32NP + APIC_TPR, "CR2, not-present read"
    mov eax, [pf2_err]
    check_eax 3, "#PF error code, write to read-only"
    mov eax, [pf2_cr2]
    check_eax AL32RO + APIC_TPR, "CR2, write to read-only"
    mov eax, [r32_tpr4]
    check_eax 0x50, "TPR after the faulting write"
    mov eax, [rpae_ver]
    call same_as_rm
    check_eax 1, "PAE 4 KiB alias: version as in real mode"
    mov eax, [rpae_tpr]
    check_eax 0x60, "PAE TPR written through a 2 MiB page"
    mov eax, [r64_ver]
    call same_as_rm
    check_eax 1, "4-level fixmap: version as in real mode"
    mov eax, [r64_tpr1]
    check_eax 0x70, "4-level TPR by [abs fixmap], read RIP-relative"
    mov eax, [r64_tpr2]
    check_eax 0x80, "4-level TPR by [r8+0x80] (r9d), read into r10d"
    mov eax, [r64_tpr3]
    check_eax 0x80, "4-level TPR through a 1 GiB page"
    mov eax, [r64_ppr]
    check_eax 0x80, "4-level PPR with TPR 0x80, nothing in service"
    call big_real
    apic_rd APIC_TPR
    check_eax 0, "TPR back in real mode"
    mov eax, [pf_count2]
    check_eax 2, "page faults taken"
    cmp dword [pf3_err], 0xFFFFFFFF
    je .stale_used
    mov eax, [pf3_err]
    check_eax 0, "stale TLB entry: #PF error code"
    mov eax, [pf3_cr2]
    check_eax AL32 + APIC_VERSION, "stale TLB entry: CR2"
    jmp .stale_done
.stale_used:
    mov eax, [r_stale]
    call same_as_rm
    check_eax 1, "stale TLB entry used: version as in real mode"
.stale_done:
    cmp dword [ud_seen], 0
    jne .bare
    mov eax, [hc_eax]
    check_eax 0, "hypercall PRINT with a paged buffer"
.bare:
    finish

; same_as_rm: EAX = 1 if EAX equals EBX (the version read in real mode), else the value
same_as_rm:
    cmp eax, ebx
    jne .no
    mov eax, 1
.no:
    ret

bits 32
; idt32_install: an IDT whose vector 14 is pf_handler32 and 6 is ud_handler32
idt32_install:
    mov eax, ud_handler32
    mov [idt32 + 6 * 8], ax
    mov word [idt32 + 6 * 8 + 2], 0x08
    mov word [idt32 + 6 * 8 + 4], 0x8E00
    shr eax, 16
    mov [idt32 + 6 * 8 + 6], ax
    mov eax, pf_handler32
    mov [idt32 + 14 * 8], ax
    mov word [idt32 + 14 * 8 + 2], 0x08
    mov word [idt32 + 14 * 8 + 4], 0x8E00
    shr eax, 16
    mov [idt32 + 14 * 8 + 6], ax
    lidt [idtr32]
    ret

; ud_handler32: VMCALL outside VMX operation (bare Bochs): note it and skip its 3 bytes
ud_handler32:
    mov dword [ud_seen], 1
    add dword [esp], 3
    iretd

; pf_handler32: record the error code and CR2, resume at [pf_resume]
pf_handler32:
    pop dword [pf_err]
    push eax
    mov eax, cr2
    mov [pf_cr2], eax
    mov eax, [pf_resume]
    mov [esp + 4], eax
    inc dword [pf_count]
    pop eax
    iretd

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
idtr_rm:
    dw 0x3FF
    dd 0
idtr32:
    dw 15 * 8 - 1
    dd idt32
align 8
idt32: times 15 * 8 db 0

hc_text: db "paging: PRINT from a buffer at a linear address the guest's page tables map"
hc_text_len equ $ - hc_text
align 4
hc_eax: dd 0xFFFFFFFF
ud_seen: dd 0
ver_rm: dd 0
tpr_rm: dd 0
r32_ver: dd 0
r32_ver4m: dd 0
r32_tpr1: dd 0
r32_tpr2: dd 0
r32_tpr3: dd 0
r32_tpr4: dd 0
pf1_err: dd 0xFFFFFFFF
pf1_cr2: dd 0
pf2_err: dd 0xFFFFFFFF
pf2_cr2: dd 0
rpae_ver: dd 0
rpae_tpr: dd 0
r64_ver: dd 0
r64_tpr1: dd 0
r64_tpr2: dd 0
r64_tpr3: dd 0
r64_ppr: dd 0
pf_err: dd 0xFFFFFFFF
pf_cr2: dd 0
pf_resume: dd 0
pf_count: dd 0
pf_count2: dd 0
pf3_err: dd 0
pf3_cr2: dd 0
r_stale: dd 0
