; selfinit: the seed's scenario. On its first run the guest sends an INIT IPI to itself - one
; 32-bit MOV of 0x00004500 to the ICR at 0xFEE00300 in big real mode, destination APIC ID 0 -
; and expects never to come back. vmxlab traps the write and resets the vCPU, which restarts at
; 0000:7C00 with memory kept. The second run (a flag in memory tells) checks the state it finds
; against SDM Vol.3A Table 9-1 and ends on a verdict (guest.inc finish).
%define SAVE_ENTRY_STATE
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"

main:
    cmp byte [run], 0
    jne second_run
    mov byte [run], 1
    mov dword [canary], 0xC0FFEE42
    mov eax, cr0                    ; INIT keeps CD and NW: remember them
    mov [cr0_before], eax
    print_com1 "selfinit: first run: TPR 0x20, APIC enabled, then ICR 0x00004500 (INIT to APIC ID 0)"
    apic_wr APIC_TPR, 0x20          ; state for the second run to find reset
    apic_wr APIC_SVR, 0x1FF
    apic_wr APIC_ICR_HIGH, 0        ; destination: APIC ID 0, ourselves
    apic_wr APIC_ICR_LOW, 0x00004500
    print_com1 "selfinit: FAIL: still running after the INIT"
    power_off 1

second_run:
    print_com1 "selfinit: second run: the state after INIT, as SDM Table 9-1 says"
    mov eax, [entry_eax]
    check_eax 0, "EAX"
    mov eax, [entry_ebx]
    check_eax 0, "EBX"
    mov eax, [entry_ecx]
    check_eax 0, "ECX"
    mov eax, 1                      ; EDX = the processor signature, CPUID.1:EAX
    cpuid
    mov ebx, eax
    mov eax, [entry_edx]
    check_eax ebx, "EDX (signature)"
    mov eax, [entry_esi]
    check_eax 0, "ESI"
    mov eax, [entry_edi]
    check_eax 0, "EDI"
    mov eax, [entry_ebp]
    check_eax 0, "EBP"
    mov eax, [entry_esp]
    check_eax 0, "ESP"
    mov eax, [entry_eflags]
    check_eax 2, "EFLAGS"
    movzx eax, word [entry_cs]
    check_eax 0, "CS"
    movzx eax, word [entry_ds]
    check_eax 0, "DS"
    movzx eax, word [entry_es]
    check_eax 0, "ES"
    movzx eax, word [entry_ss]
    check_eax 0, "SS"
    movzx eax, word [entry_fs]
    check_eax 0, "FS"
    movzx eax, word [entry_gs]
    check_eax 0, "GS"
    mov ebx, [cr0_before]           ; ET set, CD and NW as before, the rest clear. (VM entry
    and ebx, 0x60000000             ; never loads CD/NW from the VMCS, SDM 26.3.2.1: under
    or ebx, 0x10                    ; vmxlab they are the host's, 1 and 1 in Bochs.)
    mov eax, cr0
    check_eax ebx, "CR0"
    xor eax, eax
    smsw ax
    check_eax 0x0010, "MSW"
    mov eax, cr4
    check_eax 0, "CR4"
    o32 sgdt [desc]
    movzx eax, word [desc]
    check_eax 0xFFFF, "GDTR limit"
    mov eax, [desc + 2]
    check_eax 0, "GDTR base"
    o32 sidt [desc]
    movzx eax, word [desc]
    check_eax 0xFFFF, "IDTR limit"
    mov eax, [desc + 2]
    check_eax 0, "IDTR base"
    ; segment limits are 64 KiB again (vmxlab started the guest with 4 GiB): an access past
    ; FFFFh raises #GP in real mode
    set_ivt 13, gp_handler
    expect_gp mov eax, [dword 0x10000]
    expect_gp mov eax, [es:dword 0x10000]
    expect_gp mov eax, [fs:dword 0x10000]
    expect_gp mov eax, [gs:dword 0x10000]
    movzx eax, word [gp_count]
    check_eax 4, "#GP past 64 KiB in DS ES FS GS"
    mov eax, [canary]               ; INIT leaves memory alone
    check_eax 0xC0FFEE42, "memory canary"
    call big_real                   ; the virtual APIC: reset, but for its ID
    apic_rd APIC_ID
    check_eax 0, "APIC ID"
    apic_rd APIC_TPR
    check_eax 0, "APIC TPR"
    apic_rd APIC_SVR
    check_eax 0xFF, "APIC SVR"
    apic_rd APIC_LVT_LINT0
    check_eax 0x00010000, "APIC LVT LINT0"
    finish

run: db 0
canary: dd 0
cr0_before: dd 0
desc: times 6 db 0
