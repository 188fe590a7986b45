; vmxlab entry: GRUB (multiboot2) -> 32-bit protected mode -> long mode -> higher half.
;
; GRUB loads the image wherever the relocatable tag lets it: with preference "highest" it
; lands at the top of usable RAM below 4 GiB, out of the way of the guest's OS, which
; expects RAM from 1 MiB up (multiboot2 spec, section 3.1.14 "relocatable header tag").
; This file is therefore position independent until paging is on: every address is
; computed from the load base that GRUB reports in the "load base address" info tag (21).
;
; The 64-bit kernel is linked at KERNEL_VMA + link address; the boot page tables below map
; that window onto wherever GRUB put the image, and identity-map the first 4 GiB so the
; kernel reaches physical memory (guest RAM, MMIO, the multiboot2 info) directly.

%define MB2_MAGIC         0xE85250D6
%define MB2_ARCH_I386     0
%define MB2_BOOT_MAGIC    0x36D76289    ; EAX at entry
%define MB2_TAG_LOAD_BASE 21

%define LINK_BASE         0x200000      ; lowest p_paddr in the ELF (linker.ld)
%define KERNEL_VMA        0xFFFFFFFF80000000
%define HIGH_PAGES        8             ; 2 MiB pages mapped for the image: 16 MiB

%define PTE_P   1
%define PTE_W   2
%define PTE_PS  0x80

bits 32
section .boot progbits alloc exec write align=4096

; ---- multiboot2 header (multiboot2 spec 3.1) -------------------------------------------
align 8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
align 8
    dw 10, 0                ; relocatable tag, required
    dd 24
    dd 0x01000000           ; min_addr: never below 16 MiB
    dd 0xFFFFFFFF           ; max_addr: below 4 GiB
    dd 0x00200000           ; align: 2 MiB, so one large page maps the image start
    dd 2                    ; preference: highest address
align 8
    dw 0, 0                 ; end tag
    dd 8
mb2_header_end:

; ---- 32-bit entry ------------------------------------------------------------------------
; In:  EAX = multiboot2 magic, EBX = physical address of the info structure.
; No stack is valid yet (multiboot2 3.3: "ESP ... the OS image must create its own stack").
global _start32
_start32:
    cli
    cld
    mov edi, eax                        ; keep magic and info pointer in EDI/ESI
    mov esi, ebx
    rdtsc                               ; GRUB's hand-off time (the boot cost in docs/performance.md):
    mov ebx, eax                        ; EDX:EBX until EBP locates boot_tsc
    mov ebp, LINK_BASE                  ; not relocated: the loader honoured the link address
    cmp edi, MB2_BOOT_MAGIC
    jne .find_done                      ; kmain reports the bad magic
    lea ecx, [esi + 8]                  ; first tag
.find_tag:
    mov eax, [ecx]
    test eax, eax
    jz .find_done
    cmp eax, MB2_TAG_LOAD_BASE
    je .found
    mov eax, [ecx + 4]
    add eax, 7
    and eax, ~7
    add ecx, eax
    jmp .find_tag
.found:
    mov ebp, [ecx + 8]                  ; EBP = physical load base of mb2_header
.find_done:
%define PHYS(sym) (ebp + (sym) - mb2_header)
    mov [PHYS(boot_tsc)], ebx
    mov [PHYS(boot_tsc) + 4], edx
    lea esp, [PHYS(boot_stack_top)]

    ; A 32-bit-only CPU cannot enter IA-32e mode: say so and stop with status 3 rather than
    ; fault on EFER (SDM Vol.3 9.8.5; CPUID.80000001H:EDX.LM[29], Vol.2A CPUID)
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb no_long_mode
    mov eax, 0x80000001
    cpuid
    bt edx, 29
    jnc no_long_mode

    ; PML4[0] -> identity PDPT, PML4[511] -> high PDPT
    lea eax, [PHYS(pdpt_low)]
    or eax, PTE_P | PTE_W
    mov [PHYS(pml4)], eax
    lea eax, [PHYS(pdpt_high)]
    or eax, PTE_P | PTE_W
    mov [PHYS(pml4) + 511 * 8], eax

    ; identity PDPT[0..3] -> four page directories of 2 MiB pages: 0..4 GiB
    xor ecx, ecx
.pdpt_loop:
    mov eax, ecx
    shl eax, 12
    lea eax, [PHYS(pd_low) + eax]
    or eax, PTE_P | PTE_W
    mov [PHYS(pdpt_low) + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jb .pdpt_loop

    xor ecx, ecx                        ; 2048 entries, entry i maps i * 2 MiB
.pd_loop:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_P | PTE_W | PTE_PS
    mov [PHYS(pd_low) + ecx * 8], eax
    mov eax, ecx
    shr eax, 11                         ; bits 32+ of the address
    mov [PHYS(pd_low) + ecx * 8 + 4], eax
    inc ecx
    cmp ecx, 2048
    jb .pd_loop

    ; high window: KERNEL_VMA + LINK_BASE + i * 2 MiB -> load base + i * 2 MiB
    ; (KERNEL_VMA is PML4 511, PDPT 510, PD 0; LINK_BASE is PD entry 1)
    lea eax, [PHYS(pd_high)]
    or eax, PTE_P | PTE_W
    mov [PHYS(pdpt_high) + 510 * 8], eax
    xor ecx, ecx
.high_loop:
    mov eax, ecx
    shl eax, 21
    add eax, ebp
    or eax, PTE_P | PTE_W | PTE_PS
    mov [PHYS(pd_high) + (LINK_BASE >> 21) * 8 + ecx * 8], eax
    inc ecx
    cmp ecx, HIGH_PAGES
    jb .high_loop

    ; CR4.PAE, CR3, EFER.LME, CR0.PG (SDM Vol.3 9.8.5 "Initializing IA-32e mode")
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    lea eax, [PHYS(pml4)]
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | 1
    mov cr0, eax

    lea eax, [PHYS(boot_gdt)]
    mov [PHYS(boot_gdtr) + 2], eax
    lgdt [PHYS(boot_gdtr)]
    push 0x08
    lea eax, [PHYS(long_entry)]
    push eax
    retf

; ---- no 64-bit mode: one log line and the status line on COM1, then power off --------------
; Long mode is not up, so none of the kernel's services exist: the UART as serial_init()
; sets it (115200 8N1), a line in the log's format ("[TSC] E boot: ...", docs/log-format.md),
; the status line kmain would print, and the power-off ports power_off() tries (QEMU's
; isa-debug-exit, Bochs's 0x8900), else halt.
%define COM1 0x3F8
no_long_mode:
    mov dx, COM1 + 1
    xor al, al
    out dx, al                          ; IER: no interrupts
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al                          ; LCR: DLAB
    mov dx, COM1
    mov al, 1
    out dx, al                          ; divisor 1: 115200
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al                          ; 8N1
    mov dx, COM1 + 2
    mov al, 0xC7
    out dx, al                          ; FIFO on, cleared
    mov al, '['
    call lm_putc
    rdtsc                               ; EDX:EAX in decimal, right-aligned in 12 columns
    mov ecx, 10
    lea edi, [PHYS(lm_digits_end)]
    xor ebx, ebx                        ; digits so far
.digit:
    mov esi, eax                        ; 64-bit division by 10: the high half, then the low
    mov eax, edx
    xor edx, edx
    div ecx
    xchg eax, esi                       ; ESI = high quotient, EAX = low half
    div ecx                             ; EDX = the digit
    add dl, '0'
    dec edi
    mov [edi], dl
    inc ebx
    mov edx, esi
    or esi, eax
    jnz .digit
.pad:
    cmp ebx, 12
    jae .digits
    mov al, ' '
    call lm_putc
    inc ebx
    jmp .pad
.digits:
    mov esi, edi
    call lm_puts
    lea esi, [PHYS(lm_text)]
    call lm_puts
    mov dx, COM1 + 5
.sent:
    in al, dx
    test al, 0x40                       ; LSR: transmitter empty, the last byte is on the wire
    jz .sent
    mov al, 3
    out 0xF4, al                        ; QEMU: isa-debug-exit, status 3
    lea esi, [PHYS(lm_shutdown)]
    mov dx, 0x8900                      ; Bochs: "Shutdown" ends the simulation
.shut:
    lodsb
    test al, al
    jz .halt
    out dx, al
    jmp .shut
.halt:
    cli
    hlt
    jmp .halt

lm_puts:                                ; ESI: a NUL-terminated string
    lodsb
    test al, al
    jz .done
    call lm_putc
    jmp lm_puts
.done:
    ret

lm_putc:                                ; AL: a byte, sent when the UART can take it
    push edx
    push eax
    mov dx, COM1 + 5
.thre:
    in al, dx
    test al, 0x20                       ; LSR: transmit holding register empty
    jz .thre
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    ret

lm_digits:      times 20 db 0
lm_digits_end:  db 0
lm_text:
    db "] E boot: this CPU has no 64-bit mode (CPUID.80000001H:EDX.LM = 0): vmxlab needs an "
    db "Intel 64 CPU with VMX", 13, 10
    db "vmxlab: halted status=3", 13, 10, 0
lm_shutdown:
    db "Shutdown", 0

bits 64
long_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rax, high_entry
    jmp rax

align 8
boot_gdt:
    dq 0
    dq 0x00AF9A000000FFFF               ; 0x08: 64-bit code
    dq 0x00CF92000000FFFF               ; 0x10: data
boot_gdtr:
    dw 3 * 8 - 1
    dd 0
align 8
boot_tsc:   dq 0                        ; TSC at _start32, for kmain

align 4096
pml4:      times 4096 db 0
pdpt_low:  times 4096 db 0
pdpt_high: times 4096 db 0
pd_high:   times 4096 db 0
pd_low:    times 4 * 4096 db 0
boot_stack: times 1024 db 0
boot_stack_top:

; ---- higher half ---------------------------------------------------------------------------
section .bss
align 16
kernel_stack: resb 16384
kernel_stack_top:

section .text
extern kmain
; Typed as a function with a size: backtraces name only STT_FUNC symbols (kernel/panic.c),
; and kmain's caller is this code.
global high_entry:function (high_entry.end - high_entry)
high_entry:
    mov rsp, kernel_stack_top
    mov edi, edi                        ; arg0: multiboot2 magic (upper halves are undefined
    mov esi, esi                        ; arg1: info physical address   after the mode switch)
    mov edx, ebp                        ; arg2: physical load base
    mov rcx, KERNEL_VMA + boot_tsc      ; arg3: TSC at GRUB's hand-off (through the high window)
    mov rcx, [rcx]
    xor ebp, ebp                        ; a zero frame pointer ends backtraces
    call kmain
.hang:
    cli
    hlt
    jmp .hang
.end:

section .note.GNU-stack noalloc noexec nowrite progbits
