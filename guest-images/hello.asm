; hello: the smallest guest. Prints through the BIOS (INT 10h) and COM1, then asks vmxlab
; to power off with status 0.
%include "guest.inc"

main:
    print_bios "hello from a real-mode guest (BIOS INT 10h)"
    print_com1 "hello from a real-mode guest (COM1)"
    power_off 0
