# Issue 13 "Robustness", bad input: every entry point vmxlab accepts runs (a real-mode CS the
# CPU takes, whatever the selector's RPL), and input it cannot take is refused with one line
# and status 2.

# guest.entry / guest.load whose CS selector has RPL 1 or 3: Bochs refused the code-type CS
# vmxlab built ("VMENTER FAIL: VMCS guest non-conforming CS.RPL <> CS.DPL", status 4). The
# anywhere guest prints the CS:IP it was entered at, so each test also checks the entry itself.
function(entry_test name cmdline cs ip linear)
    boot_test(badinput.${name} --emulator bochs --cpu corei7_skylake_x --guest ${GUESTS}/anywhere.bin
        --cmdline "${cmdline}" --status 0 --in-order
        --expect "I guest: name=anywhere size=[0-9]+ load=0x[0-9a-f]+ entry=${cs}:${ip} "
        --expect "${ENTERING}"
        --expect "^anywhere: entered at CS=${cs} IP=${ip} linear=0x${linear}$"
        --expect "I guest: asked to power off with status 0"
        --reject "VM entry failed" --reject " E ")
endfunction()
entry_test(entry_0001_7bf0 "guest.entry=0001:7BF0" 0001 7bf0 07c00)
entry_test(entry_07bf_0010 "guest.entry=07BF:0010" 07bf 0010 07c00)
entry_test(load_0x10010 "guest.load=0x10010" 1001 0000 10010)
# The top of conventional memory: CS 9f5f (RPL 3), IP 000e
entry_test(load_0x9f5fe "guest.load=0x9f5fe" 9f5f 000e 9f5fe)
# 0x9f7fe is CS 9f7f, IP 000e too, but Bochs's BIOS leaves 639 KiB of base memory, of which
# vmxlab's INT 15h stub takes the top KiB (vmx/biosmem.c): a guest image of more than 2 bytes
# does not fit there, and vmxlab says so (before, hello at 0x9f7fe was refused the same way).
boot_test(badinput.load_0x9f7fe_too_high --emulator bochs --guest ${GUESTS}/anywhere.bin
    --cmdline "guest.load=0x9f7fe" --status 2
    --expect "E guest: guest image of [0-9]+ bytes at 0x9f7fe runs to 0x[0-9a-f]+, past the end of conventional memory 0x9f800 \\(EBDA/ROM\\)$"
    --count " E =1" --reject "I guest: name=")

# A command line longer than the 511 bytes vmxlab keeps: refused, not cut (the option at its
# end, vga=off here, was dropped without a word). 511 bytes are taken. (GRUB joins the words
# with one space each: the lengths below are what vmxlab receives.)
string(REPEAT "log=info " 56 LONG_OPTS)  # 504 bytes
boot_test(badinput.cmdline_511 --emulator qemu --guest ${GUESTS}/hello.bin --cmdline "${LONG_OPTS}vga=off" --status 3
    --expect "I boot: command line: \"log=info " --reject "E options:" --reject "E boot:")
boot_test(badinput.cmdline_521 --emulator qemu --guest ${GUESTS}/hello.bin --cmdline "${LONG_OPTS}apic=auto vga=off"
    --status 2
    --expect "E options: command line of 521 bytes is longer than the 511 vmxlab takes \\(the options past that would be lost\\): shorten it$"
    --count " E =1")

# Two modules named guest: refused, naming both (the first won, silently)
boot_test(badinput.two_guest_modules --emulator qemu --guest ${GUESTS}/hello.bin --second-guest ${GUESTS}/anywhere.bin
    --status 2
    --expect "E guest: two guest modules: 'guest hello' \\(module 1, [0-9]+ bytes\\) and 'guest anywhere' \\(module 2, [0-9]+ bytes\\): keep one 'module2 FILE guest' line in the GRUB entry$"
    --count " E =1" --reject "I guest: name=")

# The MSRs vmxlab refuses, each named in the log with the access and the #GP. The guest's #GP
# expectations are the SDM's for a CPU without VMX (CPUID.1:ECX[5] = 0, what the guest sees),
# not bare Bochs's: there VMX, and so these MSRs, exist. The log said "VMX is hidden from the
# guest" for any intercepted MSR.
boot_test(badinput.msr_lines --emulator bochs --cpu corei7_skylake_x --guest ${GUESTS}/msrhide.bin
    --cmdline "apic=decode" --status 0 --in-order
    --expect "I exit: RDMSR of MSR 0x3a \\(IA32_FEATURE_CONTROL\\): injecting #GP\\(0\\), as a CPU without VMX does \\(vmxlab hides VMX from the guest\\)$"
    --expect "^PASS: RDMSR IA32_FEATURE_CONTROL: #GP"
    --expect "I exit: RDMSR of MSR 0x480 \\(IA32_VMX_BASIC\\): injecting #GP\\(0\\), as a CPU without VMX does"
    --expect "^PASS: RDMSR IA32_VMX_BASIC: #GP"
    --expect "I exit: WRMSR of MSR 0x48b \\(IA32_VMX_PROCBASED_CTLS2\\): injecting #GP\\(0\\)"
    --expect "^PASS: WRMSR IA32_VMX_PROCBASED_CTLS2: #GP"
    --expect "I exit: RDMSR of MSR 0xc0011000, outside the MSR bitmap's ranges \\(no such MSR on this CPU\\): injecting #GP"
    --expect "^PASS: RDMSR 0xC0011000 \\(an AMD MSR\\): #GP"
    --expect "^RESULT: PASS"
    --reject "VMX is hidden from the guest\\)$" --reject "^FAIL: ")
