# Boot tests of the virtual local APIC (apic/): every APIC guest on the three configurations
#   apicv   corei7_skylake_x, apic=auto: APICv (exit 56 for an ICR write)
#   cnl     corei3_cnl, apic=auto: no APIC-register virtualization, so decode (exit 44)
#   decode  corei7_skylake_x with apic=decode forced
# plus the seed's loop under apic=passthrough and the reset-vector restart point.
# Each guest prints one line per check and ends on "RESULT: PASS" (guest.inc's finish).

set(APIC_CONFIGS apicv cnl decode)
set(APIC_CPU_apicv corei7_skylake_x)
set(APIC_CPU_cnl corei3_cnl)
set(APIC_CPU_decode corei7_skylake_x)
set(APIC_CMDLINE_apicv "")
set(APIC_CMDLINE_cnl "")
set(APIC_CMDLINE_decode "apic=decode")
set(APIC_PATH_apicv apicv)
set(APIC_PATH_cnl decode)
set(APIC_PATH_decode decode)
# the exit that carries an ICR write on each path
set(APIC_ICR_EXIT_apicv "exit 56 \\(APIC write, trap-like\\) at [0-9a-f]+:[0-9a-f]+: ICR low <- ")
set(APIC_ICR_EXIT_cnl "exit 44 \\(APIC access, fault-like\\) at [0-9a-f]+:[0-9a-f]+: mov dword \\[ds:0xfee00300\\], eax -> ICR low <- ")
set(APIC_ICR_EXIT_decode ${APIC_ICR_EXIT_cnl})
set(APIC_NO_FAIL --reject " FAIL" --reject "E apic:")

# apic_test(GUEST ARGS...): boot.apic.GUEST.<config> for each of APIC_CONFIGS; @ICR_EXIT@ in an
# expectation is replaced by that configuration's ICR-write exit line
function(apic_test guest)
    foreach(cfg ${APIC_CONFIGS})
        set(args)
        foreach(a ${ARGN})
            string(REPLACE "@ICR_EXIT@" "${APIC_ICR_EXIT_${cfg}}" a "${a}")
            list(APPEND args "${a}")
        endforeach()
        boot_test(apic.${guest}.${cfg} --emulator bochs --cpu ${APIC_CPU_${cfg}} --guest ${GUESTS}/${guest}.bin
            "--cmdline=${APIC_CMDLINE_${cfg}}" --expect "I apic: path ${APIC_PATH_${cfg}}: " ${APIC_NO_FAIL} ${args})
    endforeach()
endfunction()

# The seed's scenario: one trapped exit, one clean reset, the guest confirms the Table 9-1 state.
apic_test(selfinit --status 0 --in-order
    --expect "^selfinit: first run: "
    --expect "I apic: @ICR_EXIT@0x00004500"
    --expect "I apic: ICR 0x00004500 dest 00 -> INIT to vcpu0$"
    --expect "I vcpu0: INIT reset #1 -> 0000:7c00 \\(INIT IPI\\)$"
    --expect "^selfinit: second run: "
    --expect "^EDX \\(signature\\) = [0-9a-f]+ ok$"
    --expect "^EFLAGS = 00000002 ok$"
    --expect "^CR0 = [0-9a-f]+ ok$"
    --expect "^GDTR limit = 0000ffff ok$"
    --expect "^#GP past 64 KiB in DS ES FS GS = 00000004 ok$"
    --expect "^APIC SVR = 000000ff ok$"
    --expect "^RESULT: PASS$"
    --expect "I stats: exits total=[0-9]+ INIT resets=1$"
    --count "INIT reset #=1"
    --reject "exit reason=3 ")

# 1,000 INITs in a row; the log keeps the first three and every 100th
apic_test(initstorm --status 0 --in-order
    --expect "I vcpu0: INIT reset #1 -> 0000:7c00"
    --expect "I vcpu0: INIT reset #1000 -> 0000:7c00"
    --expect "^INITs survived = 000003e8 ok$"
    --expect "^RESULT: PASS$"
    --expect "I stats: exits total=[0-9]+ INIT resets=1000$"
    --reject "exit reason=3 ")

apic_test(apicregs --status 0 --in-order
    --expect "I apic: vcpu0: write to the read-only ID register ignored"
    --expect "^ESR: illegal register address = 00000080 ok$"
    --expect "^timer current count decreasing = 00000001 ok$"
    --expect "^RESULT: PASS$")

apic_test(selfipi --status 0 --in-order
    --expect "^vector 0x40 \\(self shorthand\\) taken = 00000001 ok$"
    --expect "I apic: ICR 0x00000041 dest 00 -> fixed vector 0x41 to vcpu0$"
    --expect "^vector 0x41 taken after STI = 00000001 ok$"
    --expect "I apic: ICR 0x00000400 dest 00 -> NMI to vcpu0$"
    --expect "I apic: ICR 0x00000042 dest 00 -> dropped: the destination APIC is software-disabled"
    --expect "^RESULT: PASS$")

apic_test(apicbase --status 0 --in-order
    --expect "I apic: vcpu0: WRMSR IA32_APIC_BASE 0xfed00900 moves the APIC to 0xfed00000: refused with #GP"
    --expect "I apic: vcpu0: WRMSR IA32_APIC_BASE 0xfee00d00 enables x2APIC mode"
    --expect "I apic: vcpu0: RDMSR 0x802 \\(an x2APIC register\\) outside x2APIC mode: #GP"
    --expect "^CPUID.1:ECX.x2APIC = 00000000 ok$"
    --expect "^RESULT: PASS$")

apic_test(badicr --status 0 --in-order
    --expect "W apic: ICR 0x00044500 dest 00 -> refused: INIT with the self shorthand is not a valid combination \\(SDM Table 10-3\\)$"
    --expect "W apic: ICR 0x00044608 dest 00 -> refused: SIPI with the self shorthand is not a valid combination \\(SDM Table 10-3\\)$"
    --expect "W apic: ICR 0x00084500 dest 00 -> refused: INIT with the all-including-self shorthand"
    --expect "I apic: ICR 0x00008500 dest 00 -> ignored: INIT level de-assert"
    --expect "I apic: ICR 0x00004608 dest 00 -> ignored: SIPI to a vCPU that is not waiting for SIPI"
    --expect "I apic: ICR 0x00004500 dest 05 -> dropped: no vCPU has that APIC ID$"
    --expect "W apic: ICR 0x0000000f dest 00 -> refused: vectors 0-15 are illegal"
    --expect "^ESR: send illegal vector = 00000020 ok$"
    --expect "^RESULT: PASS$"
    --reject "INIT reset #")

# The seed's configuration: the ICR write reaches the (emulated) physical APIC, Bochs 2.7 keeps
# the INIT pending, reason 3 repeats before the guest runs an instruction; vmxlab stops after
# 16 such exits and says why.
boot_test(apic.passthrough_loop --emulator bochs --cpu corei7_skylake_x --guest ${GUESTS}/selfinit.bin
    --cmdline "apic=passthrough" --status 1 --in-order
    --expect "W apic: apic=passthrough: no APIC virtualization"
    --expect "^selfinit: first run: "
    --expect "I apic: exit reason 3 \\(INIT signal, SDM 25.2\\) at 0000:[0-9a-f]+: a physical INIT reached this CPU$"
    --expect "I vcpu0: INIT reset #1 -> 0000:7c00 \\(INIT signal\\)$"
    --expect "I apic: exit reason 3 \\(INIT signal, SDM 25.2\\) at 0000:7c00: again, right after VM entry$"
    --expect "E apic: the loop: 16 INIT exits \\(reason 3\\) in a row"
    --expect "E apic: why: the guest wrote the ICR at 0xfee00300 and, with apic=passthrough, that write reached the physical local APIC"
    --expect "E apic: fix: never let the guest reach the physical APIC"
    --expect "I stats: exit reason=3 name=\"INIT signal\" count=16$"
    --reject "^selfinit: second run")

# init=reset-vector: the vCPU restarts at F000:FFF0 (CS base FFFF0000), like hardware, and
# the BIOS runs its POST again inside the guest. Its own INIT-SIPI broadcast to the APs is
# trapped too (no other vCPU). The POST then sizes memory from the CMOS, not from vmxlab's
# E820 map, writes into vmxlab's hidden memory and is stopped by the EPT violation: the
# reason init=entry is the default.
boot_test(apic.reset_vector --emulator bochs --cpu corei7_skylake_x --guest ${GUESTS}/selfinit.bin
    --cmdline "init=reset-vector" --status 1 --in-order
    --expect "I apic: INIT restarts vcpu0 at the reset vector f000:fff0"
    --expect "I vcpu0: INIT reset #1 -> f000:fff0 \\(INIT IPI\\)$"
    --expect "I apic: ICR 0x000c4500 dest 00 -> dropped: no other vCPU exists$"
    --expect "E ept: EPT violation: .* vmxlab's own memory, hidden from the guest"
    --reject "^selfinit: second run")
