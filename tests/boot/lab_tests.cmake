# Lab tests (network boot, console capture), included from tests/boot/CMakeLists.txt.
# Each script takes the built kernel and guest; exit 77 means skipped (no QEMU,
# or for the namespace test no CAP_NET_ADMIN / /dev/net/tun).
set(LABTEST_ARGS --kernel $<TARGET_FILE:vmxlab.elf> --guest ${CMAKE_BINARY_DIR}/guests/hello.bin)

function(lab_boot_test name script)
    add_test(NAME boot.${name} COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/${script} ${LABTEST_ARGS})
    set_tests_properties(boot.${name} PROPERTIES LABELS "boot;lab" TIMEOUT 200 SKIP_RETURN_CODE 77)
endfunction()

lab_boot_test(pxe_qemu_user pxe_qemu_user.py)         # QEMU's built-in TFTP
lab_boot_test(pxe_dnsmasq_netns pxe_dnsmasq_netns.py) # dnsmasq in a namespace
lab_boot_test(capture_three capture_three.py)         # 3 machines, vmxlab capture
# Bochs (VMX) from the network: the guest runs under vmxlab, status 0
add_test(NAME boot.pxe_bochs COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/pxe_bochs.py ${LABTEST_ARGS} --status 0)
set_tests_properties(boot.pxe_bochs PROPERTIES LABELS "boot;lab" TIMEOUT 200 SKIP_RETURN_CODE 77)

# Host-side unit tests of tools/vmxlab_py (parser, PXE configs, capture on loopback).
add_test(NAME tools.lab_unittest COMMAND ${Python3_EXECUTABLE} -m unittest discover -s ${CMAKE_SOURCE_DIR}/tests/tools
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(tools.lab_unittest PROPERTIES LABELS tools TIMEOUT 120)
