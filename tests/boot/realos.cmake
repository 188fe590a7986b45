# Real operating systems (issue 9), label "realos": `tools/vmxlab test -L realos`.
# The images (Debian's Linux + a busybox initramfs on a syslinux disk, memtest86+ on a floppy,
# GRUB 2 on a disk booting the same Linux) are built from Debian packages at test time into
# build/realos/ (tools/vmxlab_py/images.py) by the first test; docs/real-guests.md.
# Each guest also boots on bare Bochs (*_bare): the reference the vmxlab run must match.
# Linux's command line carries no workaround for vmxlab (images.LINUX_CMDLINE).
set(REALOSTEST ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/realostest.py --kernel $<TARGET_FILE:vmxlab.elf>)
set(REALOS_MARKER "^vmxlab-realos: userland reached, cpus=1$")
set(REALOS_DISK "I guest: name=local-disk size=512 load=0x7c00 entry=0000:7c00 DL=0x80 \\(a boot sector")

add_test(NAME realos.images COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/vmxlab images)
set_tests_properties(realos.images PROPERTIES LABELS realos TIMEOUT 600 FIXTURES_SETUP realos_images
    ENVIRONMENT "VMXLAB_BUILD=${CMAKE_BINARY_DIR}")

# realos_test(NAME ARGS...): one boot, label "realos". A hung boot fails at the stall rule (200 s
# of Bochs CPU without serial output, realostest.py), not at the timeout.
function(realos_test name)
    add_test(NAME realos.${name} COMMAND ${REALOSTEST} ${ARGN})
    set_tests_properties(realos.${name} PROPERTIES LABELS realos TIMEOUT 1200 FIXTURES_REQUIRED realos_images)
endfunction()

# ---- Linux to userland, then `poweroff -f` (ACPI S5: a vmxlab event, status 0) ----------
realos_test(linux_bare --image linux --bare --bare-end poweroff
    --expect "${REALOS_MARKER}" --expect "ACPI: PM: Preparing to enter system sleep state S5")
# linux_test(NAME CPU PATH [vmxlab options]): Linux under vmxlab on that CPU model and APIC path
function(linux_test name cpu path)
    realos_test(${name} --image linux --cpu ${cpu} "--cmdline=${ARGN}" --status 0 --in-order
        --expect "${REALOS_DISK}" --expect "I apic: path ${path}" --expect "I vmx: entering the guest"
        --expect " Linux version 6\\.1\\." --expect "${REALOS_MARKER}"
        --expect "ACPI: PM: Preparing to enter system sleep state S5"
        --expect "I io: guest powered off" --reject " E [a-z0-9]+: " --reject "Kernel panic")
endfunction()
linux_test(linux_skylake_apicv corei7_skylake_x apicv)
linux_test(linux_cnl_decode corei3_cnl decode)
linux_test(linux_skylake_decode corei7_skylake_x decode apic=decode)

# ---- Linux `reboot -f`: vmxlab's guest reset event (on_reset=halt: status 0), no machine reset
realos_test(linux_reboot_bare --image linux-reboot --bare --bare-end reset --stop-on "ending with reboot -f"
    --stop-delay 15 --expect "${REALOS_MARKER}" --expect "reboot: Restarting system")
realos_test(linux_reboot --image linux-reboot --status 0 --in-order
    --expect "${REALOS_DISK}" --expect "${REALOS_MARKER}" --expect "reboot: Restarting system"
    --expect "I io: guest reset event=(kbd|cf9|fast|acpi): " --reject " E [a-z0-9]+: ")

# ---- GRUB 2 as the guest (the disk's MBR), booting the same Linux -------------------------
realos_test(grub_bare --image grub --bare --bare-end poweroff --expect "${REALOS_MARKER}")
realos_test(grub_linux --image grub --status 0 --in-order
    --expect "${REALOS_DISK}" --expect " Linux version 6\\.1\\." --expect "${REALOS_MARKER}"
    --expect "I io: guest powered off" --reject " E [a-z0-9]+: " --reject "double fault")

# ---- memtest86+ 6.10 from the floppy: it writes only to the screen and never ends ----------
# bare: Bochs's debugger reads the screen when the test stops the run; under vmxlab,
# guest.stop stops the guest after 3000 M TSC ticks (in Bochs: emulated instructions) of guest
# time and screen.dump=1 puts the screen on the serial log before the status line (status 1:
# the guest was stopped).
# (a lone square bracket in a CMake list element would stop the list from splitting: \x5b is "[")
set(MEMTEST_SCREEN --screen "Memtest86\\+ v6\\.10" --screen "Status: Testing" --screen "Errors: 0"
    --screen "Test #[0-9]+ +\\x5b[A-Z]" --screen-reject "Errors: [1-9]" --screen-reject "!! ")
realos_test(memtest_bare --image memtest --bare --bare-end stopped --stop-after 45 ${MEMTEST_SCREEN})
realos_test(memtest --image memtest --cmdline "guest.stop=3000 screen.dump=1" --status 1 ${MEMTEST_SCREEN}
    --expect "I guest: name=local-floppy size=512 load=0x7c00 entry=0000:7c00 DL=0x00 \\(guest.drive\\)"
    --expect "I exit: VMX-preemption timer expired \\(reason 52\\)"
    --expect "I screen: the guest's VGA text screen")

# ---- defect 15: a chainloaded boot sector gets its own drive in DL ---------------------------
# syslinux's boot sector reads its disk through DL: with GRUB's boot drive (the CD, 0xE0, the
# old default) it prints "Boot error". guest.stop ends the run once Linux's decompressor has
# printed its first line (3000 M ticks of guest time), whatever the rest of issue 9's state.
realos_test(chainload_syslinux --image linux --cmdline "guest.stop=3000" --status 1 --in-order
    --expect "${REALOS_DISK}" --expect "^SYSLINUX 6\\.04" --expect "^Loading vmlinuz\\.\\.\\. ok"
    --expect "^Loading initrd\\.gz\\.\\.\\.ok" --expect "^KASLR disabled: 'nokaslr' on cmdline\\."
    --expect "I exit: VMX-preemption timer expired \\(reason 52\\)" --reject "Boot error")

# ---- a lab machine netboots vmxlab, then its own disk (the PXE menu's local-disk entry) -----
add_test(NAME realos.pxe_local_disk COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/realos_pxe.py
    --kernel $<TARGET_FILE:vmxlab.elf>)
set_tests_properties(realos.pxe_local_disk PROPERTIES LABELS realos TIMEOUT 600 SKIP_RETURN_CODE 77
    FIXTURES_REQUIRED realos_images)

# ---- two CPUs (issue 10): the guest starts its AP with INIT-SIPI-SIPI through the virtual APIC
# Linux reports 2 processors, bare and under vmxlab on both APIC paths; vmxlab carries out its
# INIT and SIPI on vcpu1 (requests, never a physical INIT: no exit reason 3). memtest86+ starts
# its AP the same way and tests with both ("SMP: 2T"). The first boot CPU's lines and the guest's
# are asserted in order. Two emulated CPUs make Bochs slower: Linux decompresses itself for
# well over 200 s of Bochs CPU without a line on a slow host, hence a longer stall rule.
set(REALOS_MARKER_SMP "^vmxlab-realos: userland reached, cpus=2$")
realos_test(linux_smp_bare --image linux --cpus 2 --stall 300 --bare --bare-end poweroff
    --expect "smpboot: Total of 2 processors activated" --expect "${REALOS_MARKER_SMP}")
function(linux_smp_test name cpu path)
    realos_test(${name} --image linux --cpus 2 --stall 300 --cpu ${cpu} "--cmdline=${ARGN}" --status 0 --in-order
        --expect "I smp: 2 of 2 CPUs up" --expect "I apic: path ${path}" --expect "I vcpu1: ready on CPU 1: "
        --expect " Linux version 6\\.1\\." --expect "I apic: ICR 0x0000c500 dest 01 -> INIT to vcpu1$"
        --expect "I vcpu1: SIPI vector 0x[0-9a-f]+: starts at [0-9a-f]+00:0000$"
        --expect "smpboot: Total of 2 processors activated" --expect "${REALOS_MARKER_SMP}"
        --expect "I io: guest powered off" --expect "I stats: vcpu1: exits total=[1-9]"
        --reject " E [a-z0-9]+: " --reject "Kernel panic" --reject "exit reason=3 " --reject "failed to boot")
endfunction()
linux_smp_test(linux_smp_skylake_apicv corei7_skylake_x apicv)
linux_smp_test(linux_smp_cnl_decode corei3_cnl decode)
realos_test(memtest_smp_bare --image memtest --cpus 2 --bare --bare-end stopped --stop-after 60 ${MEMTEST_SCREEN}
    --screen "SMP: 2T")
realos_test(memtest_smp --image memtest --cpus 2 --cmdline "guest.stop=6000 screen.dump=1" --status 1 ${MEMTEST_SCREEN}
    --screen "SMP: 2T" --expect "I vcpu1: SIPI vector 0x[0-9a-f]+: starts at " --reject "exit reason=3 ")
