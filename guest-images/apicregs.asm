; apicregs: reads and writes of the virtual local APIC's registers, checked against the SDM
; (Vol.3A 10.4-10.6): read-only ID and version, TPR/PPR, LDR/DFR reserved bits, SVR, the ESR's
; write-then-read protocol, write-only EOI, ICR high, LVT masks, the timer.
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"

main:
    call big_real
    apic_rd APIC_ID
    check_eax 0, "ID (vcpu0)"
    apic_rd APIC_VERSION
    check_eax 0x00050014, "version"
    apic_wr APIC_ID, 0x05000000     ; read-only here: ignored
    apic_rd APIC_ID
    check_eax 0, "ID after a write"
    mov al, [dword APIC_BASE + APIC_VERSION]   ; a byte read
    movzx eax, al
    check_eax 0x14, "version, byte read"
    apic_rd APIC_SVR
    check_eax 0xFF, "SVR at reset"
    apic_rd APIC_LVT_LINT0
    check_eax 0x00010000, "LVT LINT0 at reset (masked)"
    apic_wr APIC_LVT_LINT0, 0x700   ; software-disabled: the mask stays (SDM 10.4.7.2)
    apic_rd APIC_LVT_LINT0
    check_eax 0x00010700, "LVT LINT0 while disabled"
    apic_wr APIC_SVR, 0xFFFFFFFF    ; vector, enable, focus; bit 12 and up reserved
    apic_rd APIC_SVR
    check_eax 0x3FF, "SVR"
    apic_wr APIC_LVT_LINT0, 0xFFFFFFFF
    apic_rd APIC_LVT_LINT0
    check_eax 0x0001A7FF, "LVT LINT0"
    apic_wr APIC_LVT_LINT0, 0x00010000
    apic_wr APIC_TPR, 0x35
    apic_rd APIC_TPR
    check_eax 0x35, "TPR"
    apic_rd APIC_PPR
    check_eax 0x35, "PPR (nothing in service)"
    apic_wr APIC_TPR, 0
    apic_wr APIC_LDR, 0xFFFFFFFF
    apic_rd APIC_LDR
    check_eax 0xFF000000, "LDR"
    apic_wr APIC_DFR, 0
    apic_rd APIC_DFR
    check_eax 0x0FFFFFFF, "DFR (cluster model)"
    apic_wr APIC_DFR, 0xFFFFFFFF
    apic_rd APIC_EOI
    check_eax 0, "EOI reads 0"
    apic_wr APIC_ICR_HIGH, 0xFFFFFFFF
    apic_rd APIC_ICR_HIGH
    check_eax 0xFF000000, "ICR high"
    apic_wr APIC_ICR_HIGH, 0
    apic_rd APIC_ISR + 0x10
    check_eax 0, "ISR[1]"
    apic_rd APIC_IRR + 0x70
    check_eax 0, "IRR[7]"
    ; ESR: an access to an offset with no register sets bit 7, visible after a write
    apic_wr APIC_ESR, 0
    apic_rd APIC_ESR
    check_eax 0, "ESR"
    mov eax, [dword APIC_BASE + 0x040]
    check_eax 0, "offset 0x40 (no register)"
    apic_wr APIC_ESR, 0
    apic_rd APIC_ESR
    check_eax 0x80, "ESR: illegal register address"
    apic_wr APIC_ESR, 0
    apic_rd APIC_ESR
    check_eax 0, "ESR cleared"
    ; timer: one-shot, divide by 1; the current count runs down from the initial count
    apic_wr APIC_TIMER_DIV, 0xB
    apic_rd APIC_TIMER_DIV
    check_eax 0xB, "timer divide"
    apic_wr APIC_TIMER_INIT, 0x7FFFFFFF
    apic_rd APIC_TIMER_CUR
    mov ebx, eax
    apic_rd APIC_TIMER_CUR
    cmp eax, ebx                    ; later read, lower count
    setb al
    movzx eax, al
    check_eax 1, "timer current count decreasing"
    apic_wr APIC_TIMER_INIT, 0
    apic_rd APIC_TIMER_CUR
    check_eax 0, "timer stopped"
    finish
