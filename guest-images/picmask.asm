; picmask: an 8259 interrupt that arrives while the guest has IF=0 stays the 8259's (issue 9,
; defect 6). With IF=0 the CPU does not acknowledge it: the 8259's IRR shows it, its ISR does
; not, and masking the IRQ then keeps it from ever being delivered (8259A datasheet: IRR, ISR,
; IMR; SDM Vol.3A 6.8.1 "Masking Maskable Hardware Interrupts"). A hypervisor that takes
; every external interrupt on a VM exit and holds it shows an ISR bit and delivers it anyway.
; The guest leaves its local APIC as it found it.
%include "guest.inc"
%include "checks.inc"
%include "irq.inc"

main:
    cli
    mov eax, [8 * 4]
    mov [old_int8], eax
    set_ivt 8, int8_count
    ; wait (IF=0) until IRQ 0 is requested: OCW3 "read IRR"
    mov ecx, 400
.poll:
    mov al, 0x0A
    out 0x20, al
    in al, 0x20
    test al, 1
    jnz .requested
    push ecx
    mov ecx, 20000
    call wait_tsc
    pop ecx
    loop .poll
    fail "IRQ 0 never showed in the 8259's IRR while IF=0"
    jmp .isr
.requested:
    pass "IRQ 0 requested in the 8259's IRR while IF=0"
.isr:
    mov al, 0x0B                                ; OCW3: read ISR
    out 0x20, al
    in al, 0x20
    movzx eax, al
    and eax, 1
    check_eax 0, "8259 ISR bit 0 while IF=0"
    in al, 0x21
    mov [imr], al
    or al, 1                                    ; mask IRQ 0
    out 0x21, al
    sti
    mov ecx, 1000000
    call wait_tsc
    cli
    mov eax, [count]
    check_eax 0, "IRQ 0 deliveries after masking it"
    mov al, [imr]
    out 0x21, al
    mov eax, [old_int8]
    mov [8 * 4], eax
    mov al, 0x0A
    out 0x20, al
    sti
    finish

int8_count:
    inc dword [cs:count]
    jmp far [cs:old_int8]

align 4
old_int8: dd 0
count: dd 0
imr: db 0
