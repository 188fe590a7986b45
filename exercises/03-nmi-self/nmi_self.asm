; Exercise 03 (docs/exercises/03-nmi-self.md): a guest that sends itself an NMI through its
; local APIC. The handler (vector 2 of the real-mode IVT) and the wait are written; what is
; missing is the IPI: write it where the TODO is. The check boots this file under vmxlab and
; wants "PASS: the NMI arrived" and status 0.
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"

main:
    set_ivt 2, nmi_handler
    call big_real                   ; 4 GiB segment limits: the APIC page is at 0xFEE00000
    apic_wr APIC_SVR, 0x1FF         ; software-enable the local APIC (SDM 10.9)

    ; TODO: send this CPU an NMI through the interrupt command register (SDM 10.6.1).

    mov ecx, 0x10000                ; wait a while for it
.wait:
    cmp word [nmis], 0
    jne .arrived
    loop .wait, ecx
    fail "no NMI arrived"
    finish
.arrived:
    pass "the NMI arrived"
    finish

nmi_handler:
    inc word [cs:nmis]
    iret

nmis: dw 0
