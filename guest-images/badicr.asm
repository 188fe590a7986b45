; badicr: ICR values that must not reset the vCPU - INIT and SIPI with the self and
; all-including-self shorthands (invalid, SDM Table 10-3), INIT level de-assert (ignored),
; a SIPI to a vCPU that does not wait for one (ignored), an absent destination (dropped), an
; illegal vector (refused, ESR "send illegal vector").
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"

main:
    inc word [runs]
    cmp word [runs], 1
    je .first
    print_com1 "badicr: FAIL: the vCPU was reset"
    power_off 1
.first:
    call big_real
    apic_wr APIC_SVR, 0x1FF
    apic_wr APIC_ICR_HIGH, 0
    print_com1 "badicr: INIT, self shorthand"
    apic_wr APIC_ICR_LOW, 0x00044500
    print_com1 "badicr: SIPI, self shorthand"
    apic_wr APIC_ICR_LOW, 0x00044608
    print_com1 "badicr: INIT, all-including-self shorthand"
    apic_wr APIC_ICR_LOW, 0x00084500
    print_com1 "badicr: INIT level de-assert"
    apic_wr APIC_ICR_LOW, 0x00008500
    print_com1 "badicr: SIPI to APIC ID 0, not waiting for SIPI"
    apic_wr APIC_ICR_LOW, 0x00004608
    print_com1 "badicr: INIT to APIC ID 5, absent"
    apic_wr APIC_ICR_HIGH, 0x05000000
    apic_wr APIC_ICR_LOW, 0x00004500
    apic_wr APIC_ICR_HIGH, 0
    print_com1 "badicr: fixed IPI with the illegal vector 0x0f"
    apic_wr APIC_ESR, 0
    apic_wr APIC_ICR_LOW, 0x0000000F
    apic_wr APIC_ESR, 0
    apic_rd APIC_ESR
    check_eax 0x20, "ESR: send illegal vector"
    apic_rd APIC_ICR_LOW
    and eax, 1 << 12
    check_eax 0, "ICR delivery status idle"
    movzx eax, word [runs]
    check_eax 1, "runs (no reset)"
    finish

runs: dw 0
