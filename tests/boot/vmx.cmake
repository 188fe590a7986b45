# Boot tests of the VMX core in Bochs (the only emulator here with VMX): each guest of
# guest-images/ on two CPU models. corei7_skylake_x has the full APIC virtualization;
# corei3_cnl has virtualize-APIC-accesses but no APIC-register virtualization.
# Each asserts the guest's PASS lines, vmxlab's own lines (exit reasons by name in the
# `I stats:` lines) and ends on the status line (boottest.py).

set(VMX_CPUS corei7_skylake_x corei3_cnl)

# vmx_test(NAME GUEST ARGS...): boot.vmx.NAME.<cpu> for each of VMX_CPUS
function(vmx_test name guest)
    foreach(cpu ${VMX_CPUS})
        boot_test(vmx.${name}.${cpu} --emulator bochs --cpu ${cpu} --guest ${GUESTS}/${guest}.bin ${ARGN})
    endforeach()
endfunction()

set(ENTERING "I vmx: entering the guest")
set(NO_FAIL --reject "^FAIL: " --reject "^RESULT: FAIL")

# The tests that count exits exactly pin apic=decode: on corei7_skylake_x apic=auto picks APICv,
# whose virtual-interrupt delivery needs external-interrupt exiting (SDM 26.2.1.1), so timer
# ticks exit too (reasons 1 and 7) and the totals depend on timing. apic=decode adds no exits
# unless the guest touches its APIC.
vmx_test(hello hello --cmdline "apic=decode" --status 0 --in-order
    --expect "${ENTERING}"
    --expect "^hello from a real-mode guest \\(COM1\\)"
    --expect "I guest: asked to power off with status 0"
    --expect "I stats: exit reason=18 name=\"VMCALL\" count=1$"
    --expect "I stats: exits total=1 ")

vmx_test(bios bios --status 0 --check-e820 ${NO_FAIL} --in-order
    --expect "I ept: identity map .* vmxlab's 0x[0-9a-f]+-0x[0-9a-f]+ unmapped"
    --expect "I bios: INT 15h E820/E801/88h answered by vmxlab"
    --expect "^bios: boot drive DL=0xe0"
    --expect "^PASS: INT 10h teletype"
    --expect "^PASS: INT 13h AH=41h"
    --expect "^int13: AH=48h bytes per sector 0x0800"
    --expect "^PASS: INT 13h AH=42h read the boot disk's first sector"
    --expect "^PASS: INT 13h AH=42h read LBA 16: ISO 9660"
    --expect "^e820: 0000000000000000-[0-9a-f]{16} type 1"
    --expect "^e820: 0000000000100000-[0-9a-f]{16} type 1"
    --expect "^PASS: INT 15h E820"
    --expect "^PASS: INT 15h E801h agrees with E820"
    --expect "^PASS: INT 15h AH=88h agrees with E820"
    --expect "^PASS: INT 16h AH=01h"
    --expect "^RESULT: PASS"
    --expect "I stats: exit reason=18 name=\"VMCALL\"")

vmx_test(cpuid cpuid --status 0 ${NO_FAIL} --in-order
    --expect "^PASS: CPUID.1:ECX\\[31\\] hypervisor present is set"
    --expect "^PASS: CPUID.1:ECX\\[5\\] VMX is clear"
    --expect "^cpuid: leaf 0x40000000 eax=40000000 ebx=6c786d76 ecx=00006261 edx=00000000 signature 'vmxlab'"
    --expect "^PASS: CPUID.40000000h signature is vmxlab"
    --expect "^RESULT: PASS"
    --expect "I stats: exit reason=10 name=\"CPUID\" count=2$")

vmx_test(vmcall vmcall --status 0 ${NO_FAIL} --in-order
    --expect "^vmcall: VERSION eax=00000000 ebx=00000100 ecx=6c786d76"
    --expect "^PASS: VMCALL 0 VERSION"
    --expect "I guest: hello from the vmcall guest via VMCALL 1 PRINT$"
    --expect "^PASS: VMCALL 1 PRINT returns 0"
    --expect "^PASS: VMCALL 1 PRINT of 100000 bytes returns -2"
    --expect "^PASS: VMCALL 3 EXIT_COUNT counts 3 CPUID exits"
    --expect "^PASS: VMCALL 3 EXIT_COUNT counts the VMCALLs"
    --expect "W exit: VMCALL: unknown hypercall function 99, returning -1 to the guest"
    --expect "^PASS: VMCALL 99 \\(unknown\\)"
    --expect "^RESULT: PASS"
    --expect "I guest: asked to power off with status 0"
    --expect "I stats: exit reason=10 name=\"CPUID\" count=3$"
    --expect "I stats: exit reason=18 name=\"VMCALL\" count=8$")

vmx_test(eptprobe eptprobe --status 1 --in-order
    --expect "I ept: identity map .* vmxlab's 0x[0-9a-f]+-0x[0-9a-f]+ unmapped"
    --expect "^eptprobe: writing a dword at every MiB"
    --expect "E ept: EPT violation: W access to GPA 0x[0-9a-f]+ \\(linear 0x[0-9a-f]+\\) at 0000:[0-9a-f]+: vmxlab's own memory, hidden from the guest"
    --expect "E ept: qualification 0x[0-9a-f]+: .* vmxlab stops the guest and stays in control"
    --expect "I stats: exit reason=48 name=\"EPT violation\" count=1$"
    --reject "^FAIL: ")

vmx_test(vmxinsn vmxinsn --status 0 ${NO_FAIL} --in-order
    --expect "^PASS: VMXON raised #UD at its own address"
    --expect "^PASS: INVVPID raised #UD at its own address"
    --expect "I exit: VMXON in the guest at 0x[0-9a-f]+: injecting #UD"
    --expect "^PASS: protected mode VMXON raised #UD"
    --expect "^PASS: protected mode VMXOFF raised #UD"
    --expect "^PASS: protected mode VMXON exited to vmxlab once"
    --expect "^RESULT: PASS"
    --expect "I stats: exit reason=19 name=\"VMCLEAR\" count=1$"
    --expect "I stats: exit reason=20 name=\"VMLAUNCH\" count=1$"
    --expect "I stats: exit reason=21 name=\"VMPTRLD\" count=1$"
    --expect "I stats: exit reason=23 name=\"VMREAD\" count=1$"
    --expect "I stats: exit reason=26 name=\"VMXOFF\" count=1$"
    --expect "I stats: exit reason=27 name=\"VMXON\" count=1$")

vmx_test(triple triple --status 1 ${NO_FAIL} --in-order
    --expect "^triple: first run"
    --expect "E exit: triple fault: the guest faulted while delivering a double fault"
    --expect "E exit: on_triple=halt: stopping the guest"
    --expect "I stats: exit reason=2 name=\"Triple fault\" count=1$"
    --reject "^triple: second run")

vmx_test(triple_restart triple --cmdline "on_triple=restart" --status 0 ${NO_FAIL} --in-order
    --expect "^triple: first run"
    --expect "E exit: triple fault: the guest faulted while delivering a double fault"
    --expect "I vcpu0: on_triple=restart: INIT reset -> 0000:7c00"
    --expect "^triple: second run"
    --expect "^PASS: restarted after a triple fault, memory kept"
    --expect "I stats: exit reason=2 name=\"Triple fault\" count=1$"
    --expect "I stats: exits total=[0-9]+ INIT resets=1$")

vmx_test(hlt hlt --status 1 ${NO_FAIL} --in-order
    --expect "^hlt: cli\\x3b hlt"
    --expect "E exit: HLT with interrupts disabled \\(IF=0\\) at 0000:7e00 and nothing pending: the guest is stuck"
    --expect "I stats: exit reason=12 name=\"HLT\" count=1$")

# TSC per tick: Bochs runs at ips=10000000 (tools/vmxlab_py/emu.py) and the PIT at
# 1193182/65536 Hz, so a tick is about 549255 TSC cycles (0x86187), as without vmxlab; the
# guest's average over its 18 ticks lands within about 2% (0x84000-0x87fff: seen 0x84e85 on
# corei3_cnl, 0x85xxx-0x86xxx on others), since the first tick's start is where the guest is.
vmx_test(ticks ticks --status 0 ${NO_FAIL} --in-order
    --expect "^PASS: PIT channel 0 is counting"
    --expect "^ticks: BIOS ticks \\+0x00000012, IRQ 0s counted \\+0x00000012, .*TSC per tick 0x0008[4-7]"
    --expect "^PASS: sti\\x3b hlt: 18 BIOS ticks, one per IRQ 0"
    --expect "^PASS: INT 1Ah AH=00h tick count"
    --expect "^ticks: INT 16h AH=00h returned scan/ascii 0x1e61"
    --expect "^PASS: INT 16h AH=00h waited for the key"
    --expect "^RESULT: PASS"
    --expect "I stats: exit reason=12 name=\"HLT\" count=[0-9]+$")

# ---- options of the VMX core ----------------------------------------------------------------
vmx_test(bad_guest_state hello --cmdline "debug=bad-guest-state" --status 4 --in-order
    --expect "I vmx: debug=bad-guest-state: guest TR access rights set to 0x89"
    --expect "E vmx: VM entry failed: exit reason 33 \\(VM-entry failure due to invalid guest state\\)"
    --expect "E vmx: guest-state check \\(SDM 26.3.1.2\\): GUEST_TR_ACCESS_RIGHTS = 0x89: "
    --expect "E exit: last 1 exits, oldest first:"
    --expect "I stats: exit reason=33 name=\"VM-entry failure due to invalid guest state\" count=1$"
    --reject "^hello from a real-mode guest")

vmx_test(log_trace vmcall --cmdline "log=trace apic=decode" --status 0 ${NO_FAIL} --in-order
    --expect "T exit: #1 reason 18 VMCALL \\(SDM 25.1.2[^)]*\\)\\) qual 0x0 at 0000:[0-9a-f]+ len 3$"
    --expect "T exit: #[0-9]+ reason 10 CPUID \\(SDM 25.1.2"
    --expect "^RESULT: PASS"
    --count "T exit: #=11")

vmx_test(exits_max vmcall --cmdline "exits.max=5" --status 1 --in-order
    --expect "^PASS: VMCALL 1 PRINT returns 0"
    --expect "E exit: exits.max=5 reached: stopping the guest"
    --expect "I stats: exits total=5 "
    --reject "^RESULT: ")
