; hlt: `cli; hlt` with nothing pending. On bare metal the CPU would sleep forever; vmxlab
; intercepts HLT and reports the stuck guest (status 1).
%include "guest.inc"

main:
    print_com1 "hlt: cli; hlt (vmxlab must report a stuck guest)"
    cli
    hlt
    fail "hlt: the guest went on after cli; hlt"
    finish
