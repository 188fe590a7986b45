; ioapic: interrupts routed through the I/O APIC keep flowing (issue 9, defect 5).
; The guest enables its local APIC, masks the 8259s and routes the PIT (ISA IRQ 0, I/O APIC
; pin 2 on this machine, as the MADT's interrupt source override says) to vector 0x40, edge,
; fixed, physical destination APIC ID 0. Its handler counts and writes the local APIC's EOI.
; On bare metal every PIT period brings one interrupt; a hypervisor that lets the guest's EOI
; reach only a virtual APIC leaves the first in service in the physical APIC for ever (SDM
; Vol.3A 10.8.4: a lower or equal class is not delivered while one is in service): 1 interrupt.
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"
%include "irq.inc"

%define VECTOR   0x40
%define PIN      2
%define WAIT     2000000        ; TSC ticks: about 170 PIT periods at 1 kHz in Bochs (ips 10M)

main:
    call big_real
    cli
    set_ivt VECTOR, handler
    pic_mask 0xFF
    apic_wr APIC_SVR, 0x1FF                     ; software-enable, spurious vector 0xFF
    mov ax, PIT_HZ / 1000
    call pit_rate
    ioapic_wr 0x10 + 2 * PIN + 1, 0x00000000    ; destination APIC ID 0
    ioapic_wr 0x10 + 2 * PIN, VECTOR            ; fixed, physical, edge, active high, unmasked
    sti
    mov ecx, WAIT
    call wait_tsc
    cli
    ioapic_wr 0x10 + 2 * PIN, 0x10000 | VECTOR  ; masked again
    print_com1_nonl "ioapic: interrupts counted 0x"
    mov eax, [count]
    call com1_hex32
    call com1_crlf
    cmp dword [count], 20
    jb .few
    pass "I/O APIC interrupts keep flowing (20 or more)"
    jmp .done
.few:
    fail "I/O APIC interrupts stopped (fewer than 20)"
.done:
    xor ax, ax
    call pit_rate                               ; the BIOS's rate again
    finish

handler:
    inc dword [cs:count]
    mov dword [dword APIC_BASE + APIC_EOI], 0
    iret

align 4
count: dd 0
