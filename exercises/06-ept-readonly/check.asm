; Exercise 06's check (docs/exercises/06-ept-readonly.md): vmxlab maps guest-physical page
; 0x80000 read-only in EPT; the guest's first write to it exits (EPT violation), vmxlab logs the
; decoded exit and makes the page writable again, and the write then happens. The guest sees
; nothing: both writes land and read back. The check counts vmxlab's line for the exit.
%include "guest.inc"
%include "checks.inc"

main:
    push ds
    mov ax, 0x8000                  ; DS base 0x80000: the watched page
    mov ds, ax
    mov eax, [0x10]                 ; a read: allowed, no exit
    mov dword [0x10], 0x12345678    ; the first write: EPT violation, then it lands
    mov dword [0x20], 0x9abcdef0    ; the second: the page is writable now, no exit
    mov eax, [0x10]
    mov ebx, [0x20]
    pop ds
    check_eax 0x12345678, "first write to 0x80010"
    mov eax, ebx
    check_eax 0x9abcdef0, "second write to 0x80020"
    finish
