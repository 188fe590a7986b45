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
    --expect "^paging: PASS$")
foreach(cpu corei3_cnl corei7_skylake_x)
    add_test(NAME boot.gmem.paging.${cpu}.bare COMMAND ${BOOTTEST} --bare --emulator bochs --cpu ${cpu}
        --guest ${GUESTS}/paging.bin --status 0 ${GMEM_OK} ${GMEM_PAGING_EXPECT})
    set_tests_properties(boot.gmem.paging.${cpu}.bare PROPERTIES LABELS "boot;bare" TIMEOUT 400)
endforeach()
# corei3_cnl: apic=auto is the decode path (no APIC-register virtualization)
boot_test(gmem.paging.cnl --emulator bochs --cpu corei3_cnl --guest ${GUESTS}/paging.bin --status 0
    --expect "I apic: path decode: " ${GMEM_OK} ${GMEM_PAGING_EXPECT})
# skylake_x with apic=decode forced, at log=debug: each access's decoded exit line
boot_test(gmem.paging.decode --emulator bochs --cpu corei7_skylake_x --guest ${GUESTS}/paging.bin --status 0
    --cmdline "apic=decode log=debug" --expect "I apic: path decode: " ${GMEM_OK} ${GMEM_PAGING_EXPECT}
    --expect "D apic: exit 44 \\(APIC access, fault-like\\) at 0018:[0-9a-f]+: mov dword \\[ds:0xffffffffff5fd080\\], 0x70 -> TPR <- 0x00000070, emulated"
    --expect "D apic: exit 44 \\(APIC access, fault-like\\) at 0018:[0-9a-f]+: mov eax, dword \\[ds:rip\\+0x1f7fa4\\] -> TPR -> 0x00000070, emulated"
    --expect "D apic: exit 44 \\(APIC access, fault-like\\) at 0018:[0-9a-f]+: mov dword \\[ds:r8\\+0x80\\], r9d -> TPR <- 0x00000080, emulated"
    --expect "D apic: exit 44 \\(APIC access, fault-like\\) at 0008:405ffc: mov dword \\[ds:0x401080\\], 0x50 -> TPR <- 0x00000050, emulated")
# skylake_x, apic=auto: APICv (the CPU virtualizes the accesses, no walk needed)
boot_test(gmem.paging.apicv --emulator bochs --cpu corei7_skylake_x --guest ${GUESTS}/paging.bin --status 0
    --expect "I apic: path apicv: " ${GMEM_OK} ${GMEM_PAGING_EXPECT})
