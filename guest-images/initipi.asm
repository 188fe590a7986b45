; initipi: a self-IPI still pending when the guest sends INIT is gone after the INIT (issue 9,
; defect 8; SDM Vol.3A 10.4.7.3: INIT resets the local APIC, IRR and ISR included).
; First run: enable the APIC, hook vector 0x50, with IF=0 send a fixed IPI to self (pending),
; then INIT to self. vmxlab restarts the vCPU at the entry point, memory kept (init=entry):
; the second run enables the APIC again, checks IRR, sets IF=1 and waits: the handler must
; never run.
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"
%include "irq.inc"

%define VECTOR 0x50
%define RUN    0x600        ; survives the INIT (memory is kept)
%define HITS   0x604

main:
    call big_real
    cli
    set_ivt VECTOR, handler
    apic_wr APIC_SVR, 0x1FF
    cmp dword [RUN], 0x494E4954                 ; 'INIT'
    je .second
    mov dword [RUN], 0x494E4954
    mov dword [HITS], 0
    apic_wr APIC_ICR_LOW, 0x00040000 | VECTOR   ; fixed, self shorthand: pending, IF=0
    apic_rd APIC_IRR + 0x20                     ; vectors 0x40-0x5F
    and eax, 1 << (VECTOR - 0x40)
    check_eax 1 << (VECTOR - 0x40), "IRR bit of vector 0x50 before INIT"
    print_com1 "initipi: INIT to self"
    apic_wr APIC_ICR_HIGH, 0
    apic_wr APIC_ICR_LOW, 0x00004500            ; INIT, destination APIC ID 0 (itself)
    fail "INIT did not restart the vCPU"
    finish
.second:
    print_com1 "initipi: after INIT"
    apic_rd APIC_IRR + 0x20
    and eax, 1 << (VECTOR - 0x40)
    check_eax 0, "IRR bit of vector 0x50 after INIT"
    sti
    mov ecx, 500000
    call wait_tsc
    cli
    mov eax, [HITS]
    check_eax 0, "deliveries of the IPI sent before INIT"
    finish

handler:
    inc dword [HITS]
    mov dword [dword APIC_BASE + APIC_EOI], 0
    iret
