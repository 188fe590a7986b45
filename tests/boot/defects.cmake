# Boot tests of issue 9's defects: each guest runs twice per CPU model, on bare Bochs (no
# vmxlab) and under vmxlab, and both runs must print the same PASS lines. The bare run is the
# reference: a guest-visible rule's expectation comes from what the CPU does without a
# hypervisor, never from what vmxlab happens to do (docs/testing.md).
#
# defect_test(NAME GUEST [STATUS N] [CPUS cpu...] [EXPECT args...] [VMXLAB args...])
#   boot.defect.NAME.<cpu>.bare  the guest from a floppy on bare Bochs (boottest.py --bare);
#                                it ends on the guest's own "guest: end status=N" line
#   boot.defect.NAME.<cpu>       the guest under vmxlab; it ends on "vmxlab: halted status=N"
#   STATUS   the final status of both runs (default 0; guest.inc's `finish` gives 0 or 1)
#   CPUS     the CPU models (default corei7_skylake_x corei3_cnl: APICv and the decode path)
#   EXPECT   boottest.py options for both runs: the guest's PASS lines, --reject "^FAIL: "
#   VMXLAB   options for the vmxlab run only: --cmdline, vmxlab's own log lines
# Run one pair: tools/vmxlab test -R 'defect\.NAME\.corei3_cnl'
function(defect_test name guest)
    cmake_parse_arguments(PARSE_ARGV 2 D "" "STATUS" "CPUS;EXPECT;VMXLAB")
    if(NOT DEFINED D_STATUS)
        set(D_STATUS 0)
    endif()
    if(NOT D_CPUS)
        set(D_CPUS corei7_skylake_x corei3_cnl)
    endif()
    foreach(cpu ${D_CPUS})
        set(common --emulator bochs --cpu ${cpu} --guest ${GUESTS}/${guest}.bin --status ${D_STATUS})
        add_test(NAME boot.defect.${name}.${cpu}.bare COMMAND ${BOOTTEST} --bare ${common} ${D_EXPECT})
        set_tests_properties(boot.defect.${name}.${cpu}.bare PROPERTIES LABELS "boot;bare" TIMEOUT 400)
        boot_test(defect.${name}.${cpu} ${common} ${D_EXPECT} ${D_VMXLAB})
    endforeach()
endfunction()

# Every guest ends on RESULT: PASS and shows no FAIL line, bare and under vmxlab
set(DEFECT_OK --reject "^FAIL: " --reject "^RESULT: FAIL" --expect "^RESULT: PASS$")

# ==== cpu1: the bare-Bochs reference itself ==================================================
# The cpuid guest on bare Bochs sees no hypervisor and the CPU's own VMX bit: its FAIL lines
# there are the point (its vmx.cpuid tests check the vmxlab side). This pins what bare Bochs
# reports, so a broken loader or power-off path fails here.
add_test(NAME boot.defect.bare_loader.corei7_skylake_x.bare COMMAND ${BOOTTEST} --bare --emulator bochs
    --cpu corei7_skylake_x --guest ${GUESTS}/cpuid.bin --status 1 --in-order
    --expect "^cpuid: leaf 1 ecx="
    --expect "^FAIL: CPUID.1:ECX\\[31\\] hypervisor present is clear"
    --expect "^FAIL: CPUID.1:ECX\\[5\\] VMX is set"
    --expect "^RESULT: FAIL"
    --expect "^guest: end status=1$")
set_tests_properties(boot.defect.bare_loader.corei7_skylake_x.bare PROPERTIES LABELS "boot;bare" TIMEOUT 400)
