; nmi2: an NMI that arrives inside the NMI handler waits for its IRET (issue 9, defect 4).
; The CPU blocks NMIs from the delivery of one to the next IRET and holds one that arrives
; meanwhile (SDM Vol.3A 6.7.1 "Handling Multiple NMIs"). The guest sends itself an NMI
; through its local APIC (ICR: delivery mode NMI, to its own APIC ID); the handler, on its
; first run, sends the second and waits a while: the second must not nest (depth stays 1, the
; count stays 1 until the IRET), and it must come after the IRET (count 2 in the end).
; The expectations are the bare-Bochs run's (defects.cmake).
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"

%define SPIN 0x4000

main:
    set_ivt 2, nmi_handler
    call big_real
    apic_wr APIC_SVR, 0x1FF
    apic_rd APIC_ID                 ; the ID in bits 31:24, where ICR high wants the destination
    mov [apic_id], eax
    apic_wr APIC_ICR_HIGH, [apic_id]
    apic_wr APIC_ICR_LOW, 0x00004400 ; NMI, assert, physical destination, no shorthand
    mov ecx, SPIN
.wait:
    cmp word [nmis], 2
    jae .done
    loop .wait, ecx
.done:
    movzx eax, word [nmis]
    check_eax 2, "nmi: NMIs taken in all"
    movzx eax, word [max_depth]
    check_eax 1, "nmi: deepest nesting of the NMI handler"
    movzx eax, word [nmis_at_iret]
    check_eax 1, "nmi: NMIs taken when the first handler reached its IRET"
    cmp word [guest_failures], 0
    jne .out
    pass "the second NMI waited for the first handler's IRET"
.out:
    finish

nmi_handler:
    push eax
    push ecx
    inc word [nmis]
    inc word [depth]
    mov ax, [depth]
    cmp ax, [max_depth]
    jbe .deep_ok
    mov [max_depth], ax
.deep_ok:
    cmp word [nmis], 1
    jne .leave
    apic_wr APIC_ICR_HIGH, [apic_id] ; the second NMI, from inside the handler
    apic_wr APIC_ICR_LOW, 0x00004400
    mov ecx, SPIN                   ; time for it to nest, if it would
.spin:
    loop .spin, ecx
    mov ax, [nmis]
    mov [nmis_at_iret], ax
.leave:
    dec word [depth]
    pop ecx
    pop eax
    iret

apic_id: dd 0
nmis: dw 0
depth: dw 0
max_depth: dw 0
nmis_at_iret: dw 0
