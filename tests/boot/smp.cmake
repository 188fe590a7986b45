# Boot tests of the SMP bring-up (issue 10, first step; kernel/smp.c, docs/apic-init.md):
# Bochs with `cpu: count=2`. The MADT of Bochs's BIOS lists APIC IDs 0 and 1 (the same
# table a bare Bochs boot hands to Linux). vmxlab starts CPU 1 with its own INIT-SIPI-SIPI,
# parks it in VMX root with HLT, and the guest on CPU 0 runs as with one CPU.

set(SMP_MADT "I acpi: MADT at 0x[0-9a-f]+: 2 CPUs \\(APIC IDs 0 1\\), local APIC 0xfee00000, I/O APIC [0-9]+ at 0xfec00000 GSI 0$")
set(SMP_BSP "I cpu0: APIC ID 0, the boot CPU: runs the guest$")
set(SMP_TRAMP "I smp: AP trampoline at 0x[0-9a-f]+000 \\(SIPI vector 0x[0-9a-f]+\\), [0-9]+ bytes, borrowed from base memory$")
set(SMP_AP_UP "I cpu1: APIC ID 1 up, VMX root, parked \\(HLT\\), VMXON region 0x[0-9a-f]+, answered within [0-9]+ us of the first SIPI$")
set(SMP_DONE "I smp: 2 of 2 CPUs up \\(the boot CPU included\\), the trampoline page 0x[0-9a-f]+ is given back as it was$")
set(SMP_CLEAN --reject " E " --reject " W " --reject "did not come up")

# hello on both CPU models: the bring-up lines in order, then the guest as with one CPU
foreach(cpu corei7_skylake_x corei3_cnl)
    boot_test(smp.hello.${cpu} --emulator bochs --cpu ${cpu} --cpus 2 --guest ${GUESTS}/hello.bin
        --cmdline "apic=decode" --status 0 --in-order ${SMP_CLEAN}
        --expect "${SMP_MADT}" --expect "${SMP_BSP}" --expect "${SMP_TRAMP}" --expect "${SMP_AP_UP}"
        --expect "${SMP_DONE}" --expect "I vmx: VMXON at 0x" --expect "I vmx: entering the guest"
        --expect "^hello from a real-mode guest \\(COM1\\)"
        --expect "I stats: exit reason=18 name=\"VMCALL\" count=1$"
        --count "I cpu1: =1")
endforeach()

# an APIC guest on both APIC paths: the seed's self-INIT restarts vcpu0 only, the parked AP
# never sees it (vmxlab sends no physical INIT once the guest runs)
foreach(cfg apicv decode)
    boot_test(smp.selfinit.${cfg} --emulator bochs --cpu corei7_skylake_x --cpus 2 --guest ${GUESTS}/selfinit.bin
        "--cmdline=${APIC_CMDLINE_${cfg}}" --status 0 --in-order ${SMP_CLEAN} ${APIC_NO_FAIL}
        --expect "${SMP_AP_UP}" --expect "${SMP_DONE}"
        --expect "I apic: path ${APIC_PATH_${cfg}}: "
        --expect "^selfinit: first run: "
        --expect "I apic: ICR 0x00004500 dest 00 -> INIT to vcpu0$"
        --expect "I vcpu0: INIT reset #1 -> 0000:7c00 \\(INIT IPI\\)$"
        --expect "^RESULT: PASS$"
        --expect "I stats: exits total=[0-9]+ INIT resets=1$"
        --reject "exit reason=3 ")
endforeach()

# cpus=1 with two CPUs: the AP is never sent INIT or SIPI, no page is borrowed
boot_test(smp.cpus1 --emulator bochs --cpu corei7_skylake_x --cpus 2 --guest ${GUESTS}/hello.bin
    --cmdline "apic=decode cpus=1" --status 0 --in-order ${SMP_CLEAN}
    --expect "${SMP_MADT}" --expect "${SMP_BSP}"
    --expect "I smp: APIC ID 1 left alone: beyond cpus=1 \\(never sent INIT or SIPI\\)$"
    --expect "I smp: 1 of 2 CPUs up \\(the boot CPU included\\)$"
    --expect "^hello from a real-mode guest \\(COM1\\)"
    --reject "trampoline" --reject "VMX root, parked")

# one CPU: the MADT lists only the boot CPU, nothing to start
boot_test(smp.one_cpu --emulator bochs --cpu corei7_skylake_x --cpus 1 --guest ${GUESTS}/hello.bin
    --cmdline "apic=decode" --status 0 --in-order ${SMP_CLEAN}
    --expect "I acpi: MADT at 0x[0-9a-f]+: 1 CPU \\(APIC IDs 0\\), "
    --expect "${SMP_BSP}"
    --expect "I smp: 1 of 1 CPUs up \\(the boot CPU included\\)$"
    --expect "^hello from a real-mode guest \\(COM1\\)"
    --reject "trampoline" --reject "I cpu1:")

# apic=passthrough: a CPU vmxlab did not park in VMX root would run the guest's code outside
# VMX once the guest starts it (issue 10): refused. With every CPU parked, the seed's loop runs.
boot_test(smp.passthrough_cpus1 --emulator bochs --cpu corei7_skylake_x --cpus 2 --guest ${GUESTS}/selfinit.bin
    --cmdline "apic=passthrough cpus=1" --status 2
    --expect "E apic: apic=passthrough with 1 of 2 CPUs parked by vmxlab: the guest's INIT-SIPI-SIPI would start the others outside VMX"
    --reject "I vmx: entering the guest")
boot_test(smp.passthrough_parked --emulator bochs --cpu corei7_skylake_x --cpus 2 --guest ${GUESTS}/selfinit.bin
    --cmdline "apic=passthrough" --status 1
    --expect "I smp: 2 of 2 CPUs up" --expect "E apic: the loop: 16 INIT exits \\(reason 3\\) in a row"
    --reject "parked by vmxlab: the guest's INIT-SIPI-SIPI")

# ---- the guest starts its AP (issue 10): guest-images/include/smpboot.inc ------------------
# smpboot: INIT-SIPI-SIPI from real mode through the local APIC, the AP's APIC ID, fixed IPIs
# both ways (physical, logical flat, all excluding self), an NMI, a re-INIT and a new SIPI.
# Its expectations come from the same guest on bare Bochs with two CPUs (*.bare); under
# vmxlab both APIC paths, and what vmxlab did, from its log: the INIT and SIPI carried out on
# vcpu1 (a request, never a physical INIT: no exit reason 3), vcpu1's own lines, its counts.
set(SMPBOOT_GUEST --expect "^AP starts after INIT-SIPI-SIPI = 00000001 ok$"
    --expect "^AP APIC ID register = 00000001 ok$" --expect "^AP CPUID.1:EBX\\x5b31:24\\x5d = 00000001 ok$"
    --expect "^fixed IPI AP -> BSP \\(vector 0x50\\) = 00000001 ok$"
    --expect "^fixed IPI BSP -> AP, logical flat \\(vector 0x52\\) = 00000001 ok$"
    --expect "^NMI BSP -> AP = 00000001 ok$"
    --expect "^AP starts after the new SIPI = 00000002 ok$" --reject "FAIL")
foreach(cfg skylake_apicv skylake_decode cnl_decode)
    string(REGEX MATCH "^[a-z]+" model ${cfg})
    set(cpu corei7_skylake_x)
    if(model STREQUAL "cnl")
        set(cpu corei3_cnl)
    endif()
    string(REGEX MATCH "[a-z]+$" path ${cfg})
    set(opts "")
    if(cfg STREQUAL "skylake_decode")
        set(opts "apic=decode")
    endif()
    if(NOT model STREQUAL "skylake" OR path STREQUAL "apicv")
        add_test(NAME boot.smp.smpboot.${model}.bare COMMAND ${BOOTTEST} --bare --emulator bochs --cpu ${cpu}
            --cpus 2 --guest ${GUESTS}/smpboot.bin --status 0 --in-order ${SMPBOOT_GUEST} --expect "^RESULT: PASS$")
        set_tests_properties(boot.smp.smpboot.${model}.bare PROPERTIES LABELS "boot;bare" TIMEOUT 400)
    endif()
    boot_test(smp.smpboot.${cfg} --emulator bochs --cpu ${cpu} --cpus 2 --guest ${GUESTS}/smpboot.bin
        "--cmdline=${opts}" --status 0 --in-order ${SMPBOOT_GUEST} --expect "^RESULT: PASS$"
        --anywhere "I apic: path ${path}: "
        --anywhere "I vcpu1: ready on CPU 1: VMCS 0x[0-9a-f]+, VPID 2, INIT state, waits for SIPI"
        --anywhere "I apic: ICR 0x00004500 dest 01 -> INIT to vcpu1$"
        --anywhere "I vcpu1: INIT reset #1 \\(INIT IPI from vcpu0\\): waits for SIPI$"
        --anywhere "I vcpu1: SIPI vector 0x09: starts at 0900:0000$"
        --anywhere "I vcpu1 apic: ICR 0x00000050 dest 00 -> fixed vector 0x50 to vcpu0$"
        --anywhere "I apic: ICR 0x00004609 dest 01 -> ignored: SIPI to a vCPU that is not waiting for SIPI"
        --anywhere "I vcpu1: INIT reset #2 \\(INIT IPI from vcpu0\\): waits for SIPI$"
        --anywhere "I stats: vcpu1: exits total=[1-9][0-9]* INIT resets=2$"
        --reject "exit reason=3 " --reject " E " --reject " W ")
endforeach()

# smpinit: the seed's self-INIT done on the AP. vmxlab's contract (init=entry): a trapped
# self-INIT restarts that vCPU at its entry point, for an AP where its last SIPI started it;
# the BSP runs on. (Bare metal leaves the AP waiting for SIPI instead: no bare reference.)
foreach(cfg apicv decode)
    boot_test(smp.smpinit.${cfg} --emulator bochs --cpu corei7_skylake_x --cpus 2 --guest ${GUESTS}/smpinit.bin
        "--cmdline=${APIC_CMDLINE_${cfg}}" --status 0 --in-order ${SMPBOOT_GUEST}
        --expect "^AP starts after its own INIT = 00000003 ok$"
        --expect "^the AP answers after its own INIT \\(vector 0x55\\) = 00000002 ok$"
        --expect "^RESULT: PASS$"
        --anywhere "I vcpu1 apic: ICR 0x00004500 dest 01 -> INIT to vcpu1$"
        --anywhere "I vcpu1: INIT reset #3 -> 0900:0000 \\(INIT IPI\\)$"
        --anywhere "I stats: exits total=[0-9]+ INIT resets=0$"
        --reject "exit reason=3 " --reject " E ")
endforeach()

# A stop on one CPU stops every vCPU: exits.max (per vCPU) ends the run on whichever vCPU reaches
# it first; the stopping CPU halts the other and prints both vCPUs' statistics, then the status.
boot_test(smp.stop_all --emulator bochs --cpu corei7_skylake_x --cpus 2 --guest ${GUESTS}/smpboot.bin
    --cmdline "exits.max=12" --status 1
    --expect "E (vcpu1 )?exit: exits.max=12 reached: stopping the guest$"
    --expect "I stats: exits total=[0-9]+ INIT resets=0$" --expect "I stats: vcpu1: exits total=[0-9]+ INIT resets=[0-9]$"
    --expect "I stats: vcpu1: kicks=[0-9]+ " --reject "RESULT: PASS")
