# ---- the guest SDK: a student's nasm source, assembled with guest-images/include and booted ----
# guest-images/examples/first.asm is the guest guest-images/README.md shows (tools.lab_unittest's
# test_guest_sdk checks the two are the same text); boottest.py assembles it as
# `vmxlab run --guest FILE.asm` does.
set(SDK_FIRST ${CMAKE_SOURCE_DIR}/guest-images/examples/first.asm)
boot_test(sdk.first --emulator bochs --guest ${SDK_FIRST} --status 0 --in-order
    --expect "I guest: name=first size=[0-9]+ load=0x7c00 entry=0000:7c00"
    --expect "^first: hello from my own guest$" --expect "^PASS: CPUID.40000000h says vmxlab$"
    --expect "^RESULT: PASS$" --reject " E ")
# on bare Bochs CPUID.40000000h has no vmxlab signature: the guest's own FAIL and its end line
boot_test(sdk.first.bare --bare --emulator bochs --guest ${SDK_FIRST} --status 1
    --expect "^first: hello from my own guest$" --expect "^FAIL: CPUID.40000000h has no vmxlab signature$"
    --expect "^RESULT: FAIL$")
# the same source at another guest.load: guest.inc's org follows it (-DGUEST_LOAD)
boot_test(sdk.first_load1000 --emulator bochs --guest ${SDK_FIRST} --cmdline "guest.load=0x1000" --status 0
    --in-order --expect "I guest: name=first size=[0-9]+ load=0x1000 entry=0000:1000"
    --expect "^PASS: CPUID.40000000h says vmxlab$" --expect "^RESULT: PASS$" --reject " E ")
