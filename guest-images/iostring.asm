; iostring: OUTSB to an intercepted port (0x64, the 8042 command register), command AEh
; "enable keyboard interface", harmless. On bare Bochs it is carried out and the guest goes
; on. vmxlab does not emulate string I/O to the ports it intercepts (docs/reset.md): it must
; refuse it clearly, naming the instruction, and stop with status 4, never run on silently.
%include "guest.inc"

main:
    mov si, command
    mov dx, 0x64
    cld
    outsb
    print_com1 "iostring: OUTSB to port 0x64 carried out"
    pass "iostring: the guest went on after OUTSB"
    finish

command: db 0xAE
