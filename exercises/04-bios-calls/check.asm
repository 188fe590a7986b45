; Exercise 04's check (docs/exercises/04-bios-calls.md): the guest makes a known number of
; the INT 15h memory calls vmxlab answers (E820h three times, E801h once, 88h twice); when the
; guest powers off, vmxlab must report those counts in one line (the check matches it).
%include "guest.inc"

main:
    xor ebx, ebx
    mov cx, 3
.e820:
    push cx
    mov eax, 0xE820
    mov edx, 0x534D4150             ; "SMAP"
    mov ecx, 20
    mov di, buf
    int 0x15
    pop cx
    jc .bad
    loop .e820
    mov ax, 0xE801
    int 0x15
    jc .bad
    mov ah, 0x88
    int 0x15
    jc .bad
    mov ah, 0x88
    int 0x15
    jc .bad
    print_com1 "bios: made 3 E820h, 1 E801h and 2 AH=88h calls"
    finish
.bad:
    fail "an INT 15h memory call failed (CF=1)"
    finish

buf: times 24 db 0
