# Boot tests of the interrupt model (apic/irq.c, vmx/interrupts.c; issue 9 defects 5-9).
# Where bare metal can show the rule, the guest also runs on bare Bochs (defect_test, see
# defects.cmake) and both runs must pass the same checks. The HLT and INIT guests end in states
# a bare run cannot report (a CPU halted for ever; an INIT that re-enters the BIOS): their
# expectations come from the SDM, cited in each guest.

set(INTR_PASS --reject "^FAIL: " --expect "^RESULT: PASS$")

# defect 5: I/O APIC interrupts keep flowing (the guest's EOI reaches the physical APIC)
defect_test(ioapic ioapic EXPECT ${INTR_PASS} --expect "^PASS: I/O APIC interrupts keep flowing"
    VMXLAB --expect "I intr: the guest enabled its local APIC: interrupts now go through the virtual APIC"
    --expect "I stats: interrupts lapic=[1-9][0-9]+ level=0 extint=0 ")
# defect 9: the local APIC timer interrupts (periodic, one-shot, masked; current count)
defect_test(lapictimer lapictimer EXPECT ${INTR_PASS} --expect "^PASS: periodic timer interrupts keep coming"
    --expect "^one-shot interrupts = 00000001 ok$"
    VMXLAB --expect "I intr: vcpu0: timer periodic, vector 0x41, divide by 16, initial count 2000: run by the physical APIC timer")
# defect 6: with its APIC untouched, an 8259 interrupt that arrives while IF=0 stays the 8259's
defect_test(picmask picmask EXPECT ${INTR_PASS} --expect "^PASS: IRQ 0 requested in the 8259's IRR while IF=0"
    --expect "^8259 ISR bit 0 while IF=0 = 00000000 ok$" --expect "^IRQ 0 deliveries after masking it = 00000000 ok$"
    VMXLAB --reject "I intr: the guest enabled its local APIC")
# the same three on skylake with apic=decode forced (vmx injects the virtual APIC's interrupts)
foreach(g ioapic lapictimer picmask)
    boot_test(defect.${g}.decode --emulator bochs --cpu corei7_skylake_x --guest ${GUESTS}/${g}.bin
        --cmdline "apic=decode" --status 0 ${INTR_PASS} --expect "I apic: path decode: ")
endforeach()

foreach(cpu corei7_skylake_x corei3_cnl)
    # defect 7: HLT with IF=0 stays halted although an interrupt is pending (SDM Vol.2 HLT):
    # vmxlab reports the stuck CPU and stops; nothing after the HLT runs
    boot_test(defect.hltif0.${cpu} --emulator bochs --cpu ${cpu} --guest ${GUESTS}/hltif0.bin --status 1
        --reject "^FAIL: " --in-order --expect "^hltif0: HLT with IF=0 and IRQ 0 raised$"
        --expect "E exit: HLT with interrupts disabled \\(IF=0\\) at 0000:[0-9a-f]+ \\(an interrupt is pending, but IF=0 masks it\\): the guest is stuck")
    # defect 8: INIT clears the IRR (SDM 10.4.7.3): a self-IPI pending at the INIT is never delivered
    boot_test(defect.initipi.${cpu} --emulator bochs --cpu ${cpu} --guest ${GUESTS}/initipi.bin --status 0
        --in-order --expect "^IRR bit of vector 0x50 before INIT = 00010000 ok$"
        --expect "I apic: ICR 0x00004500 dest 00 -> INIT to vcpu0$"
        --expect "^IRR bit of vector 0x50 after INIT = 00000000 ok$"
        --expect "^deliveries of the IPI sent before INIT = 00000000 ok$" ${INTR_PASS})
endforeach()

# defect 10: MOV CR8 and the memory-mapped TPR agree (64-bit guest; on the decode path CR8
# exits and is carried out on the virtual TPR, apic/cr8.c)
defect_test(cr8 cr8 EXPECT ${INTR_PASS} --expect "^TPR after MOV CR8 5 = 00000050 ok$"
    --expect "^CR8 after a TPR write of 0x30 = 00000003 ok$")
boot_test(defect.cr8.decode --emulator bochs --cpu corei7_skylake_x --guest ${GUESTS}/cr8.bin
    --cmdline "apic=decode" --status 0 ${INTR_PASS} --expect "I apic: path decode: ")
