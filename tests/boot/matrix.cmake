# The firmware/CPU matrix (docs/cpu-models.md), label "matrix" (and "boot"):
#   boot.matrix.<firmware>.<guest>.<cpu model>[.bare]
# firmware: bochsbios (Bochs's own BIOS, every other boot test's) or seabios (Debian's
# SeaBIOS, the firmware QEMU runs: boottest.py --bios seabios). A short set of guests on
# every Bochs 2.7 CPU model vmxlab supports, the default BIOS; the BIOS-facing tests under
# SeaBIOS, with bare-Bochs SeaBIOS runs as the reference for the guest rules they compare;
# the models vmxlab cannot run stop with status 3 and one line naming what is missing.

function(matrix_test name)
    add_test(NAME boot.matrix.${name} COMMAND ${BOOTTEST} --emulator bochs ${ARGN})
    set_tests_properties(boot.matrix.${name} PROPERTIES LABELS "boot;matrix" TIMEOUT 400)
endfunction()

# ---- every supported model, Bochs's BIOS ----------------------------------------------------
# MATRIX_PATH_<model>: the APIC path apic=auto picks from the capability MSRs (apic/apic.c):
# apicv with APIC-register virtualization (exit 56 for an ICR write), else decode (exit 44).
set(MATRIX_CPUS corei5_arrandale_m520 corei7_sandy_bridge_2600k corei7_ivy_bridge_3770k corei7_haswell_4770
    broadwell_ult corei7_skylake_x corei3_cnl corei7_icelake_u tigerlake)
foreach(cpu corei5_arrandale_m520 corei7_sandy_bridge_2600k corei7_ivy_bridge_3770k corei3_cnl)
    set(MATRIX_PATH_${cpu} decode)
endforeach()
foreach(cpu corei7_haswell_4770 broadwell_ult corei7_skylake_x corei7_icelake_u tigerlake)
    set(MATRIX_PATH_${cpu} apicv)
endforeach()
set(MATRIX_ICR_EXIT_apicv "exit 56 \\(APIC write, trap-like\\) at [0-9a-f]+:[0-9a-f]+: ICR low <- ")
set(MATRIX_ICR_EXIT_decode "exit 44 \\(APIC access, fault-like\\) at [0-9a-f]+:[0-9a-f]+: mov dword \\[ds:0xfee00300\\], eax -> ICR low <- ")
set(MATRIX_OK --reject " E " --reject "^FAIL: " --reject "^RESULT: FAIL" --reject " FAIL")

foreach(cpu ${MATRIX_CPUS})
    set(path ${MATRIX_PATH_${cpu}})
    set(common --cpu ${cpu} ${MATRIX_OK} --in-order)
    # the default guest; apic=auto's choice named once
    matrix_test(bochsbios.hello.${cpu} ${common} --guest ${GUESTS}/hello.bin --status 0
        --expect "I vmxcap: VMX usable\\x3b EPT yes, unrestricted guest yes, "
        --expect "I apic: path ${path}: "
        --expect "I vmx: entering the guest"
        --expect "^hello from a real-mode guest \\(COM1\\)"
        --expect "I guest: asked to power off with status 0"
        --expect "I stats: exit reason=18 name=\"VMCALL\" count=1$")
    # the self-INIT: one trapped ICR write, one reset to the entry point, Table 9-1 state
    matrix_test(bochsbios.selfinit.${cpu} ${common} --guest ${GUESTS}/selfinit.bin --status 0
        --expect "I apic: path ${path}: "
        --expect "^selfinit: first run: "
        --expect "I apic: ${MATRIX_ICR_EXIT_${path}}0x00004500"
        --expect "I apic: ICR 0x00004500 dest 00 -> INIT to vcpu0$"
        --expect "I vcpu0: INIT reset #1 -> 0000:7c00 \\(INIT IPI\\)$"
        --expect "^selfinit: second run: "
        --expect "^CR0 = [0-9a-f]+ ok$"
        --expect "^APIC SVR = 000000ff ok$"
        --expect "^RESULT: PASS$"
        --expect "I stats: exits total=[0-9]+ INIT resets=1$"
        --reject "exit reason=3 ")
    # APIC exits that deliver interrupts: fixed self-IPIs, one held over IF=0, an NMI
    matrix_test(bochsbios.selfipi.${cpu} ${common} --guest ${GUESTS}/selfipi.bin --status 0
        --expect "I apic: path ${path}: "
        --expect "^vector 0x40 \\(self shorthand\\) taken = 00000001 ok$"
        --expect "I apic: ICR 0x00000041 dest 00 -> fixed vector 0x41 to vcpu0$"
        --expect "^vector 0x41 taken after STI = 00000001 ok$"
        --expect "I apic: ICR 0x00000400 dest 00 -> NMI to vcpu0$"
        --expect "^RESULT: PASS$")
    # CPUID exits: the hypervisor bit and leaf, VMX hidden from the guest
    matrix_test(bochsbios.cpuid.${cpu} ${common} --guest ${GUESTS}/cpuid.bin --status 0
        --expect "^PASS: CPUID.1:ECX\\[31\\] hypervisor present is set"
        --expect "^PASS: CPUID.1:ECX\\[5\\] VMX is clear"
        --expect "^PASS: CPUID.40000000h signature is vmxlab"
        --expect "^RESULT: PASS"
        --expect "I stats: exit reason=10 name=\"CPUID\" count=2$")
endforeach()

# ---- models vmxlab cannot run: status 3, one line naming what is missing --------------------
matrix_test(bochsbios.hello.core2_penryn_t9600 --cpu core2_penryn_t9600 --guest ${GUESTS}/hello.bin --status 3
    --in-order
    --expect "I vmxcap: VMX usable\\x3b EPT no, unrestricted guest no, "
    --expect "E vmx: this CPU lacks EPT, which vmxlab needs to run a real-mode guest$"
    --count " E =1" --reject "I vmx: entering the guest")
matrix_test(bochsbios.hello.corei5_lynnfield_750 --cpu corei5_lynnfield_750 --guest ${GUESTS}/hello.bin --status 3
    --in-order
    --expect "I vmxcap: VMX usable\\x3b EPT yes, unrestricted guest no, "
    --expect "E vmx: this CPU lacks unrestricted guest, which vmxlab needs to run a real-mode guest$"
    --count " E =1" --reject "I vmx: entering the guest")
# a 32-bit-only CPU: the entry code's own line, before long mode (arch/x86_64/boot.asm)
matrix_test(bochsbios.hello.core_duo_t2400_yonah --cpu core_duo_t2400_yonah --guest ${GUESTS}/hello.bin --status 3
    --expect "^\\[ *[0-9]+\\] E boot: this CPU has no 64-bit mode \\(CPUID.80000001H:EDX.LM = 0\\): vmxlab needs an Intel 64 CPU with VMX$"
    --count " E =1" --reject "I vmx")
matrix_test(bochsbios.hello.ryzen --cpu ryzen --guest ${GUESTS}/hello.bin --status 3
    --expect "E vmx: VMX not supported by this CPU$" --count " E =1")

# ---- SeaBIOS ----------------------------------------------------------------------------------
set(SEA --bios seabios --cpu corei7_skylake_x)
# the default guest; SeaBIOS's \_S5 is in its SSDT, not the DSDT (kernel/acpi.c)
matrix_test(seabios.hello.corei7_skylake_x ${SEA} --guest ${GUESTS}/hello.bin --status 0 --in-order
    --expect "I acpi: MADT at 0x[0-9a-f]+: 1 CPU \\(APIC IDs 0\\)"
    --expect "I acpi: S5 power-off via PM1a_CNT 0xb004 PM1b_CNT 0x0 SLP_TYP 0/0 .*\\\\_S5 in the SSDT at 0x[0-9a-f]+\\)$"
    --expect "I mb2: mmap 000000000009fc00-000000000009ffff reserved"
    --expect "I bios: INT 15h E820/E801/88h answered by vmxlab: stub at 9f80:0000 \\(base memory now 638 KiB\\)"
    --expect "I apic: path apicv: "
    --expect "^hello from a real-mode guest \\(COM1\\)"
    --expect "I stats: exit reason=18 name=\"VMCALL\" count=1$"
    --reject " E " --reject " W ")
# The BIOS services from inside the guest; the guest's E820 map covers vmxlab's memory with a
# reserved entry (--check-e820) and keeps SeaBIOS's 1 KiB EBDA at 0x9fc00 reserved.
matrix_test(seabios.bios.corei7_skylake_x ${SEA} --guest ${GUESTS}/bios.bin --status 0 --check-e820 --in-order
    ${MATRIX_OK}
    --expect "I ept: identity map .* vmxlab's 0x[0-9a-f]+-0x[0-9a-f]+ unmapped"
    --expect "^bios: boot drive DL=0xe0"
    --expect "^PASS: INT 10h teletype"
    --expect "^PASS: INT 13h AH=41h"
    --expect "^PASS: INT 13h AH=42h read LBA 16: ISO 9660"
    --expect "^e820: 0000000000000000-000000000009f7ff type 1$"
    --expect "^e820: 000000000009f800-000000000009ffff type 2$"
    --expect "^e820: 0000000000100000-[0-9a-f]{16} type 1$"
    --expect "^PASS: INT 15h E820"
    --expect "^PASS: INT 15h E801h agrees with E820"
    --expect "^int15: AH=88h ax=0xffff$"
    --expect "^PASS: INT 15h AH=88h agrees with E820"
    --expect "^PASS: INT 16h AH=01h"
    --expect "^RESULT: PASS")
# Bare SeaBIOS, the reference for the bios guest's rules: INT 10h through the PCI VGA card's
# BIOS, E801h and AH=88h (SeaBIOS stops at 63 MiB) agree with E820. The floppy the bare loader
# boots from has no INT 13h extensions under SeaBIOS: that FAIL line is pinned here.
matrix_test(seabios.bios.corei7_skylake_x.bare ${SEA} --bare --guest ${GUESTS}/bios.bin --status 1 --in-order
    --expect "^bios: boot drive DL=0x00"
    --expect "^PASS: INT 10h teletype"
    --expect "^FAIL: INT 13h AH=41h: no extended disk access"
    --expect "^e820: 0000000000000000-000000000009fbff type 1$"
    --expect "^e820: 000000000009fc00-000000000009ffff type 2$"
    --expect "^PASS: INT 15h E820"
    --expect "^PASS: INT 15h E801h agrees with E820"
    --expect "^int15: AH=88h ax=0xfc00$"
    --expect "^PASS: INT 15h AH=88h agrees with E820"
    --expect "^PASS: INT 16h AH=01h"
    --count "^FAIL: =1")
set_tests_properties(boot.matrix.seabios.bios.corei7_skylake_x.bare PROPERTIES LABELS "boot;matrix;bare")
# memory hiding: a write to vmxlab's memory is an EPT violation, the guest stopped
matrix_test(seabios.eptprobe.corei7_skylake_x ${SEA} --guest ${GUESTS}/eptprobe.bin --status 1 --in-order
    --expect "I ept: identity map .* vmxlab's 0x[0-9a-f]+-0x[0-9a-f]+ unmapped"
    --expect "^eptprobe: writing a dword at every MiB"
    --expect "E ept: EPT violation: W access to GPA 0x[0-9a-f]+ \\(linear 0x[0-9a-f]+\\) at 0000:[0-9a-f]+: vmxlab's own memory, hidden from the guest"
    --expect "I stats: exit reason=48 name=\"EPT violation\" count=1$"
    --reject "^FAIL: ")
# the guest's ACPI S5 found through SeaBIOS's SSDT, bare (the machine powers off) and under
# vmxlab (the write is trapped: status 0); both print the same PM1a_CNT and SLP_TYP
set(ACPI_S5_LINE "^acpi: PM1a_CNT=0xb004 SLP_TYP\\(S5\\)=00$")
matrix_test(seabios.acpi_s5.corei7_skylake_x.bare ${SEA} --bare --guest ${GUESTS}/acpi_s5.bin
    --bare-end "ACPI control: soft power off" --expect "${ACPI_S5_LINE}" --reject "^FAIL: ")
set_tests_properties(boot.matrix.seabios.acpi_s5.corei7_skylake_x.bare PROPERTIES LABELS "boot;matrix;bare")
matrix_test(seabios.acpi_s5.corei7_skylake_x ${SEA} --guest ${GUESTS}/acpi_s5.bin --status 0 --in-order
    --expect "I acpi: S5 power-off via PM1a_CNT 0xb004 PM1b_CNT 0x0 SLP_TYP 0/0 .*\\\\_S5 in the SSDT at 0x[0-9a-f]+\\)$"
    --expect "${ACPI_S5_LINE}"
    --expect "I io: guest powered off: OUT DX, AX port 0xb004 <- 0x2[0-9a-f]{3} sets SLP_EN with SLP_TYP 0 \\(\\\\_S5\\): ACPI S5 soft-off, stopping with status 0$"
    --reject "^FAIL: " --reject " E ")
# the self-INIT on both APIC paths
foreach(cpu corei7_skylake_x corei3_cnl)
    set(path ${MATRIX_PATH_${cpu}})
    matrix_test(seabios.selfinit.${cpu} --bios seabios --cpu ${cpu} --guest ${GUESTS}/selfinit.bin --status 0
        ${MATRIX_OK} --in-order
        --expect "I apic: path ${path}: "
        --expect "^selfinit: first run: "
        --expect "I apic: ${MATRIX_ICR_EXIT_${path}}0x00004500"
        --expect "I vcpu0: INIT reset #1 -> 0000:7c00 \\(INIT IPI\\)$"
        --expect "^selfinit: second run: "
        --expect "^EFLAGS = 00000002 ok$"
        --expect "^APIC SVR = 000000ff ok$"
        --expect "^RESULT: PASS$"
        --expect "I stats: exits total=[0-9]+ INIT resets=1$"
        --reject "exit reason=3 ")
endforeach()

# ---- one real OS under SeaBIOS, label "realos" (tests/boot/realos.cmake's images and rules) --
# Debian's Linux from the syslinux disk to userland and its ACPI power-off: bare (the machine
# powers off through SeaBIOS's tables) and under vmxlab (the PM1a_CNT write found through the
# SSDT is vmxlab's event, status 0).
realos_test(linux.seabios.corei7_skylake_x.bare --image linux --bios seabios --bare --bare-end poweroff
    --expect "${REALOS_MARKER}" --expect "ACPI: PM: Preparing to enter system sleep state S5")
realos_test(linux.seabios.corei7_skylake_x --image linux --bios seabios --cpu corei7_skylake_x --status 0 --in-order
    --expect "I acpi: S5 power-off via PM1a_CNT 0xb004 .*\\\\_S5 in the SSDT at 0x[0-9a-f]+\\)$"
    --expect "${REALOS_DISK}" --expect "I apic: path apicv" --expect "I vmx: entering the guest"
    --expect " Linux version 6\\.1\\." --expect "${REALOS_MARKER}"
    --expect "ACPI: PM: Preparing to enter system sleep state S5"
    --expect "I io: guest powered off" --reject " E [a-z0-9]+: " --reject "Kernel panic")
