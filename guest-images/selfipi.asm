; selfipi: fixed self-IPIs taken by real-mode IVT handlers, an IPI sent with IF=0 taken at STI,
; an NMI to the own APIC ID, and a fixed IPI to a software-disabled APIC (dropped).
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"

%define SPIN 0x4000

; wait_for counter, value : spin until the word counter reaches value (or give up)
%macro wait_for 2
    mov ecx, SPIN
%%spin:
    cmp word [%1], %2
    jae %%done
    loop %%spin, ecx
%%done:
%endmacro

main:
    cli
    set_ivt 0x40, isr40
    set_ivt 0x41, isr41
    set_ivt 0x42, isr42
    set_ivt 2, nmi
    sti
    call big_real
    apic_wr APIC_SVR, 0x1FF
    apic_wr APIC_ICR_HIGH, 0
    ; 1. the self shorthand, interrupts on
    apic_wr APIC_ICR_LOW, 0x00040040
    wait_for hits40, 1
    movzx eax, word [hits40]
    check_eax 1, "vector 0x40 (self shorthand) taken"
    apic_rd APIC_ISR + 0x20         ; the handler's EOI took it out of service
    check_eax 0, "ISR[2] after EOI"
    ; 2. to the own APIC ID with IF=0: pending until STI
    cli
    apic_wr APIC_ICR_LOW, 0x00000041
    nop
    nop
    movzx eax, word [hits41]
    check_eax 0, "vector 0x41 held while IF=0"
    sti
    wait_for hits41, 1
    movzx eax, word [hits41]
    check_eax 1, "vector 0x41 taken after STI"
    ; 3. NMI to the own APIC ID
    apic_wr APIC_ICR_LOW, 0x00000400
    wait_for nmis, 1
    movzx eax, word [nmis]
    check_eax 1, "NMI taken"
    ; 4. software-disabled APIC: a fixed IPI is not accepted
    apic_wr APIC_SVR, 0xFF
    apic_wr APIC_ICR_LOW, 0x00000042
    wait_for hits42, 1
    movzx eax, word [hits42]
    check_eax 0, "vector 0x42 to a disabled APIC"
    finish

isr40:
    inc word [hits40]
    mov dword [dword APIC_BASE + APIC_EOI], 0
    iret
isr41:
    inc word [hits41]
    mov dword [dword APIC_BASE + APIC_EOI], 0
    iret
isr42:
    inc word [hits42]
    mov dword [dword APIC_BASE + APIC_EOI], 0
    iret
nmi:
    inc word [nmis]
    iret

hits40: dw 0
hits41: dw 0
hits42: dw 0
nmis: dw 0
