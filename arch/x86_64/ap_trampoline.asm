; The application processors' way from the SIPI to vmxlab's C code (kernel/smp.c ap_main).
;
; A SIPI with vector VV starts a CPU in real mode at VV00:0000, physical VV000h (SDM Vol.3A
; 8.4.4.1 "Typical BSP Initialization Sequence", 10.6.1 "Startup IPI"). smp.c copies this
; blob, from ap_tramp_start to ap_tramp_end, to such a page below 1 MiB and fills in the
; parameter block at ap_tramp_data; the code is position independent: it takes the page's
; address from CS. It goes real -> protected (SDM 9.9.1 "Switching to Protected Mode") ->
; IA-32e mode (9.8.5 "Initializing IA-32e Mode") with the boot CPU's CR3 and EFER, then jumps
; to the higher half on the stack smp.c gave it. Interrupts stay off all the way.

bits 16
section .rodata
align 16
global ap_tramp_start, ap_tramp_end, ap_tramp_data

%define OFF(x) ((x) - ap_tramp_start)

ap_tramp_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    xor ebx, ebx
    mov bx, ax
    shl ebx, 4                              ; EBX = the page's physical address, kept to the end
    lea eax, [ebx + OFF(t_gdt)]             ; patch the absolute addresses in this copy
    mov [OFF(t_gdtr) + 2], eax
    lea eax, [ebx + OFF(pm32)]
    mov [OFF(t_jmp32)], eax
    lea eax, [ebx + OFF(lm64)]
    mov [OFF(t_jmp64)], eax
    o32 lgdt [OFF(t_gdtr)]
    mov eax, cr0
    or eax, 1                               ; CR0.PE
    mov cr0, eax
    o32 jmp far [OFF(t_jmp32)]              ; 0x08:pm32

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, 1 << 5                          ; CR4.PAE
    mov cr4, eax
    mov eax, [ebx + OFF(t_cr3)]             ; vmxlab's page tables (below 4 GiB: boot.asm)
    mov cr3, eax
    mov ecx, 0xC0000080                     ; IA32_EFER: LME (and the boot CPU's other bits)
    mov eax, [ebx + OFF(t_efer)]
    xor edx, edx
    wrmsr
    mov eax, 0x80000031                     ; CR0 = PG NE ET PE: IA-32e mode is active (EFER.LMA);
    mov cr0, eax                            ; CD and NW, which INIT leaves as they were, cleared
    jmp far [ebx + OFF(t_jmp64)]            ; 0x18:lm64, 64-bit code

bits 64
lm64:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov ebx, ebx                            ; upper halves are undefined after the switch
    mov rsp, [rbx + OFF(t_stack)]
    mov rdi, [rbx + OFF(t_arg)]             ; ap_main(struct smp_cpu *)
    mov rax, [rbx + OFF(t_entry)]
    xor ebp, ebp                            ; a zero frame pointer ends backtraces
    call rax
.hang:
    cli
    hlt
    jmp .hang

align 8
t_gdt:
    dq 0
    dq 0x00CF9A000000FFFF                   ; 0x08: 32-bit code, flat
    dq 0x00CF92000000FFFF                   ; 0x10: data, flat
    dq 0x00AF9A000000FFFF                   ; 0x18: 64-bit code
t_gdtr:
    dw 4 * 8 - 1
    dd 0
align 4
t_jmp32:
    dd 0
    dw 0x08
align 4
t_jmp64:
    dd 0
    dw 0x18
align 8
ap_tramp_data:                              ; struct ap_tramp_params (kernel/smp.c)
t_cr3:   dd 0
t_efer:  dd 0
t_entry: dq 0
t_stack: dq 0
t_arg:   dq 0
ap_tramp_end:

section .note.GNU-stack noalloc noexec nowrite progbits
