; hlt: `cli; hlt` with nothing pending. On bare metal the CPU would sleep forever; vmxlab
; intercepts HLT and reports the stuck guest (status 1) with the HLT's address, which is
; 0000:7E00 here so that the boot test can name it.
%include "guest.inc"

main:
    print_com1 "hlt: cli; hlt at 0000:7e00 (vmxlab must report a stuck guest)"
    cli
    times 0x200 - ($ - $$) nop
    hlt                         ; at 0x7C00 + 0x200
    fail "hlt: the guest went on after cli; hlt"
    finish
