; vmxinsn: VMX instructions in the guest raise #UD, caught by the guest's own handler.
; The guest sees no VMX (CPUID.1:ECX.VMX = 0).
;  1. real mode, IVT vector 6: the CPU itself raises #UD for them (CR0.PE = 0 comes first in
;     SDM Vol.2's VMXON pseudocode), no VM exit.
;  2. 16-bit protected mode, IDT vector 6: now they cause VM exits (SDM 25.1.2) and vmxlab
;     injects #UD; EXIT_COUNT shows the exits.
; The handler records the faulting IP and resumes after the instruction.
%include "guest.inc"

%macro expect_ud 2              ; name, instruction (DS = flat, base 0)
    mov word [ud_resume], %%after
    mov word [ud_count], 0
    mov word [ud_ip], 0
%%insn:
    %2
%%after:
    cmp word [ud_count], 1
    jne %%bad
    cmp word [ud_ip], %%insn
    jne %%bad
    pass %1, " raised #UD at its own address, handled by the guest's own handler"
    jmp %%done
%%bad:
    fail %1, " did not raise exactly one #UD at its address"
%%done:
%endmacro

main:
    cli
    mov eax, [6 * 4]
    mov [old_ud], eax
    set_ivt 6, ud_handler
    sti
    print_com1 "vmxinsn: #UD handler installed at IVT vector 6"

    expect_ud "VMXON", {vmxon [vmxon_region]}
    expect_ud "VMCLEAR", {vmclear [vmxon_region]}
    expect_ud "VMPTRLD", {vmptrld [vmxon_region]}
    expect_ud "VMPTRST", {vmptrst [vmxon_region]}
    expect_ud "VMREAD", {vmread eax, ebx}
    expect_ud "VMWRITE", {vmwrite eax, ebx}
    expect_ud "VMLAUNCH", {vmlaunch}
    expect_ud "VMRESUME", {vmresume}
    expect_ud "VMXOFF", {vmxoff}
    expect_ud "INVEPT", {invept eax, [vmxon_region]}
    expect_ud "INVVPID", {invvpid eax, [vmxon_region]}

    cli
    mov eax, [old_ud]
    mov [6 * 4], eax
    sti

    ; ---- 16-bit protected mode: the same instructions now exit to vmxlab ----
    print_com1 "vmxinsn: 16-bit protected mode, #UD handler in the IDT"
    cli
    lgdt [gdt_ptr]
    lidt [idt_ptr]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp SEL_CODE16:.pm
.pm:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    expect_ud "protected mode VMXON", {vmxon [vmxon_region]}
    expect_ud "protected mode VMCLEAR", {vmclear [vmxon_region]}
    expect_ud "protected mode VMPTRLD", {vmptrld [vmxon_region]}
    expect_ud "protected mode VMREAD", {vmread eax, ebx}
    expect_ud "protected mode VMLAUNCH", {vmlaunch}
    expect_ud "protected mode VMXOFF", {vmxoff}
    mov eax, HC_EXIT_COUNT
    mov ebx, 27                 ; VMXON
    vmcall
    mov [vmxon_exits], ebx
    ; back to real mode: PE off, a far jump reloads CS, then real-mode selectors
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    jmp 0:.rm
.rm:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    lidt [ivt_ptr]
    sti
    print_com1_nonl "vmxinsn: VMXON exits counted by vmxlab: "
    mov eax, [vmxon_exits]
    call com1_hex32
    call com1_crlf
    cmp dword [vmxon_exits], 1
    jne .no_exit
    pass "protected mode VMXON exited to vmxlab once"
    jmp .done
.no_exit:
    fail "protected mode VMXON did not exit to vmxlab exactly once"
.done:
    finish

; #UD: the CPU pushed FLAGS, CS, IP of the faulting instruction (real mode, or the 16-bit gate);
; DS is 0 or the flat data selector (a code segment is not writable in protected mode)
ud_handler:
    push bp
    mov bp, sp
    push ax
    inc word [ud_count]
    mov ax, [bp + 2]
    mov [ud_ip], ax
    mov ax, [ud_resume]
    mov [bp + 2], ax
    pop ax
    pop bp
    iret

SEL_CODE16 equ 0x08
SEL_DATA   equ 0x10
align 8
gdt:
    dq 0
    dq 0x00009A000000FFFF       ; 0x08: 16-bit code, base 0, limit 64 KiB
    dq 0x008F92000000FFFF       ; 0x10: data, base 0, limit 4 GiB
gdt_end:
gdt_ptr: dw gdt_end - gdt - 1
         dd gdt
idt:                            ; vectors 0-6; only #UD is expected
    times 6 dq 0
    dw ud_handler, SEL_CODE16   ; 6: 16-bit interrupt gate, DPL 0
    db 0, 0x86
    dw 0
idt_end:
idt_ptr: dw idt_end - idt - 1
         dd idt
ivt_ptr: dw 0x3FF
         dd 0
vmxon_exits: dd 0
old_ud:    dd 0
ud_count:  dw 0
ud_ip:     dw 0
ud_resume: dw 0
align 8
vmxon_region: dq 0x1000
