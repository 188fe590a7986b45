# Boot tests of guest memory (issue 9: defect 12 and the EPT policy for holes).
# The paging guest touches the APIC through its own page tables (32-bit, PAE, 4-level), so on
# the decode path vmxlab must walk them to fetch, decode and translate each access. Its
# expectations hold on bare Bochs too (the .bare run is the reference, docs/testing.md).
set(GMEM_OK --reject " FAIL" --reject "E apic:" --reject "E ept:")
set(GMEM_PAGING_EXPECT --expect "^32-bit 4 KiB alias: version as in real mode = 00000001 ok$"
    --expect "^32-bit TPR by an instruction across two pages = 00000050 ok$"
    --expect "^CR2, not-present read = 00402080 ok$"
    --expect "^#PF error code, write to read-only = 00000003 ok$"
    --expect "^PAE TPR written through a 2 MiB page = 00000060 ok$"
    --expect "^4-level TPR by \\[r8\\+0x80\\] \\(r9d\\), read into r10d = 00000080 ok$"
    --expect "^4-level TPR through a 1 GiB page = 00000080 ok$"
    --expect "^4-level PPR with TPR 0x80, nothing in service = 00000080 ok$"
    --expect "^RESULT: PASS$")
foreach(cpu corei3_cnl corei7_skylake_x)
    add_test(NAME boot.gmem.paging.${cpu}.bare COMMAND ${BOOTTEST} --bare --emulator bochs --cpu ${cpu}
        --guest ${GUESTS}/paging.bin --status 0 ${GMEM_OK} ${GMEM_PAGING_EXPECT})
    set_tests_properties(boot.gmem.paging.${cpu}.bare PROPERTIES LABELS "boot;bare" TIMEOUT 400)
endforeach()
# corei3_cnl: apic=auto is the decode path (no APIC-register virtualization)
boot_test(gmem.paging.cnl --emulator bochs --cpu corei3_cnl --guest ${GUESTS}/paging.bin --status 0
    --expect "I apic: path decode: " ${GMEM_OK} ${GMEM_PAGING_EXPECT}
    --expect "I guest: paging: PRINT from a buffer at a linear address the guest's page tables map$"
    --expect "^hypercall PRINT with a paged buffer = 00000000 ok$")
# skylake_x with apic=decode forced, at log=debug: each access's decoded exit line
boot_test(gmem.paging.decode --emulator bochs --cpu corei7_skylake_x --guest ${GUESTS}/paging.bin --status 0
    --cmdline "apic=decode log=debug" --expect "I apic: path decode: " ${GMEM_OK} ${GMEM_PAGING_EXPECT}
    --expect "D apic: exit 44 \\(APIC access, fault-like\\) at 0018:[0-9a-f]+: mov dword \\[ds:0xffffffffff5fd080\\], 0x70 -> TPR <- 0x00000070, emulated"
    --expect "D apic: exit 44 \\(APIC access, fault-like\\) at 0018:[0-9a-f]+: mov eax, dword \\[ds:rip\\+0x[0-9a-f]+\\] -> TPR -> 0x00000070, emulated"
    --expect "D apic: exit 44 \\(APIC access, fault-like\\) at 0018:[0-9a-f]+: mov dword \\[ds:r8\\+0x80\\], r9d -> TPR <- 0x00000080, emulated"
    --expect "D apic: exit 44 \\(APIC access, fault-like\\) at 0008:405ffc: mov dword \\[ds:0x401080\\], 0x50 -> TPR <- 0x00000050, emulated")
# skylake_x, apic=auto: APICv virtualizes most accesses; a PPR read is still an exit 44, which
# vmxlab decodes through the 4-level tables (log=debug shows it)
boot_test(gmem.paging.apicv --emulator bochs --cpu corei7_skylake_x --guest ${GUESTS}/paging.bin --status 0
    --cmdline "log=debug" --expect "I apic: path apicv: " ${GMEM_OK} ${GMEM_PAGING_EXPECT}
    --expect "D apic: exit 44 \\(APIC access, fault-like\\) at 0018:[0-9a-f]+: mov eax, dword \\[ds:0xffffffffff5fd0a0\\] -> PPR -> 0x00000080, emulated$"
    --count "D apic: exit 44 =1")

# The holes guest: reads all ones and dropped writes above 4 GiB (PAE paging), bare Bochs the
# reference; then a read of vmxlab's own memory, which must stop the guest with the diagnosis
# (on bare Bochs that address is RAM and the guest goes on to "holes: PASS").
set(GMEM_HOLES_EXPECT --expect "^hole read = ffffffff ok$" --expect "^hole byte read = 000000ff ok$"
    --expect "^hole after a write = ffffffff ok$" --expect "^second hole after a write = ffffffff ok$"
    --expect "^CF of add \\[hole\\], 5 = 00000001 ok$" --expect "^xchg \\[hole\\], ebx: ebx = ffffffff ok$"
    --expect "^rep stosd to a hole: ecx = 00000000 ok$" --expect "^rep stosd to a hole: edi = 00200110 ok$"
    --expect "^hole after rep stosd = ffffffff ok$" --expect "^holes: reading 0x07f00000 next$"
    --expect "^64-bit: qword read after a qword write, high = ffffffff ok$"
    --expect "^64-bit: xchg \\[hole\\], r9: r9 high = ffffffff ok$" --reject " FAIL")
add_test(NAME boot.gmem.holes.corei3_cnl.bare COMMAND ${BOOTTEST} --bare --emulator bochs --cpu corei3_cnl
    --guest ${GUESTS}/holes.bin --status 0 ${GMEM_HOLES_EXPECT} --expect "^RESULT: PASS$")
set_tests_properties(boot.gmem.holes.corei3_cnl.bare PROPERTIES LABELS "boot;bare" TIMEOUT 400)
boot_test(gmem.holes --emulator bochs --cpu corei3_cnl --guest ${GUESTS}/holes.bin --status 1
    ${GMEM_HOLES_EXPECT}
    --expect "E ept: EPT violation: R access to GPA 0x7f00000 \\(linear 0x7f00000\\) at 0000:[0-9a-f]+: vmxlab's own memory, hidden from the guest$"
    --expect "I stats: guest-physical hole accesses=11 pages=3 \\(ept.holes=ones\\)$"
    --expect "I ept: vcpu0: hole read #1 at GPA 0x100000000 by 0008:[0-9a-f]+: page mapped read-only to all ones"
    --expect "I ept: vcpu0: hole write #3 at GPA 0x240000020 by 0008:[0-9a-f]+ mov dword \\[ds:0x400020\\], 0x1: 0x1 dropped \\(ept.holes=ones\\)$"
    --expect "I ept: vcpu0: hole write #4 at GPA 0x100000020 by 0008:[0-9a-f]+ add dword \\[ds:0x200020\\], 0x5: 0x4 dropped"
    --expect "I ept: vcpu0: more hole accesses: from now on every 1024th is logged \\(all at log=debug\\)"
    --reject "^RESULT: PASS$" --reject "went on")
# ept.holes=stop: the first hole read stops the guest, named as a hole
boot_test(gmem.holes.stop --emulator bochs --cpu corei3_cnl --guest ${GUESTS}/holes.bin --status 1
    --cmdline "ept.holes=stop"
    --expect "E ept: EPT violation: R access to GPA 0x100000000 \\(linear 0x200000\\) at 0008:[0-9a-f]+: guest-physical memory that EPT does not map: a hole \\(ept.holes=stop\\)$"
    --reject "^hole read = " --reject "I ept: vcpu0: hole")
# log=debug on skylake_x: every hole access has its line, the 64-bit ones decoded
boot_test(gmem.holes.debug --emulator bochs --cpu corei7_skylake_x --guest ${GUESTS}/holes.bin --status 1
    --cmdline "log=debug" ${GMEM_HOLES_EXPECT}
    --expect "D ept: vcpu0: hole write #10 at GPA 0x100000040 by 0018:[0-9a-f]+ mov qword \\[ds:rax\\+0x40\\], rbx: 0x1122334455667788 dropped \\(ept.holes=ones\\)$"
    --expect "D ept: vcpu0: hole write #11 at GPA 0x100003008 by 0018:[0-9a-f]+ xchg qword \\[ds:rdx\\+0x3008\\], r9: 0x55 dropped \\(ept.holes=ones\\)$"
    --expect "E ept: EPT violation: R access to GPA 0x7f00000 "
    --reject "^RESULT: PASS$")
