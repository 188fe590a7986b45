; hltif0: HLT with IF=0 is not woken by an interrupt (issue 9, defect 7; SDM Vol.2 HLT: "an
; enabled interrupt (including NMI and SMI), a debug exception, the BINIT#, INIT# or RESET#
; signal" resumes it; with IF=0 an INTR is not enabled). The guest enables its local APIC
; with LINT0 as ExtINT (the 8259's virtual wire), waits with IF=0 until the PIT has raised
; IRQ 0, then executes HLT with IF=0. On bare metal the CPU never leaves the HLT: under vmxlab
; that is a stuck guest, which vmxlab stops with status 1. A line after the HLT is the bug.
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"
%include "irq.inc"

main:
    call big_real
    cli
    apic_wr APIC_SVR, 0x1FF
    apic_wr APIC_LVT_LINT0, 0x700               ; ExtINT, unmasked (virtual wire)
    sti                                         ; (Bochs 2.7 re-evaluates the interrupt mask
    nop                                         ;  on an IF change, not at a control change)
    cli
    mov ecx, 2000000                            ; > 1 BIOS tick (18.2 Hz): IRQ 0 is raised
    call wait_tsc
    print_com1 "hltif0: HLT with IF=0 and IRQ 0 raised"
    hlt
    fail "HLT with IF=0 returned"
    finish
