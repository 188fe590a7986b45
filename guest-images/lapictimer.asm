; lapictimer: the local APIC timer raises its interrupts (issue 9, defect 9; SDM Vol.3A 10.5.4).
;  1. periodic, divide by 16: interrupts keep coming (bare Bochs: about 60 in the wait below)
;  2. one-shot: exactly one interrupt, and the current count then reads 0
;  3. the current count runs down while the timer counts
;  4. a masked LVT timer counts but raises nothing
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"
%include "irq.inc"

%define VECTOR 0x41
%define WAIT   2000000

main:
    call big_real
    cli
    set_ivt VECTOR, handler
    apic_wr APIC_SVR, 0x1FF
    apic_wr APIC_TIMER_DIV, 0x3                 ; divide by 16
    ; ---- 1. periodic ----
    apic_wr APIC_LVT_TIMER, (1 << 17) | VECTOR
    apic_wr APIC_TIMER_INIT, 2000
    sti
    mov ecx, WAIT
    call wait_tsc
    cli
    apic_wr APIC_TIMER_INIT, 0                  ; stops the timer
    sti                                         ; an interrupt the timer raised before it
    mov ecx, 50000                              ; stopped is still pending (IRR): take it
    call wait_tsc
    cli
    mov eax, [count]
    mov [periodic], eax
    print_com1_nonl "lapictimer: periodic interrupts 0x"
    call com1_hex32
    call com1_crlf
    cmp dword [periodic], 10
    jb .p_bad
    pass "periodic timer interrupts keep coming (10 or more)"
    jmp .oneshot
.p_bad:
    fail "periodic timer: fewer than 10 interrupts"
    ; ---- 2./3. one-shot ----
.oneshot:
    mov dword [count], 0
    apic_wr APIC_LVT_TIMER, VECTOR
    apic_wr APIC_TIMER_INIT, 20000
    apic_rd APIC_TIMER_CUR
    mov ebx, eax
    mov ecx, 20000
    call wait_tsc
    apic_rd APIC_TIMER_CUR
    cmp eax, ebx
    jb .down
    fail "current count does not run down"
    jmp .wait1
.down:
    pass "current count runs down"
.wait1:
    sti
    mov ecx, WAIT
    call wait_tsc
    cli
    mov eax, [count]
    check_eax 1, "one-shot interrupts"
    apic_rd APIC_TIMER_CUR
    check_eax 0, "current count after expiry"
    ; ---- 4. masked ----
    mov dword [count], 0
    apic_wr APIC_LVT_TIMER, (1 << 16) | (1 << 17) | VECTOR
    apic_wr APIC_TIMER_INIT, 2000
    sti
    mov ecx, WAIT / 4
    call wait_tsc
    cli
    apic_wr APIC_TIMER_INIT, 0
    mov eax, [count]
    check_eax 0, "interrupts of a masked timer"
    finish

handler:
    inc dword [cs:count]
    mov dword [dword APIC_BASE + APIC_EOI], 0
    iret

align 4
count: dd 0
periodic: dd 0
