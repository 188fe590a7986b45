; a20: the guest turns its A20 line off and on by each way a PC has, and checks what it sees:
; the wrap (with A20 off, 1 MiB + x is x: a byte written at FFFF:0610 reads back at 0000:0600,
; and FFFF:0010 reads 0000:0000), port 0x92 bit 1 and the 8042's output port bit 1 (command
; D0h). The ways: system control port A (0x92 bit 1), INT 15h AX=2400h/2401h/2402h (Bochs's
; BIOS does them through port 0x92), the 8042's "write output port" (D1h to 0x64, then the
; byte to 0x60: DDh off, DFh on, bit 0, the reset line, kept set) and its commands DDh/DFh.
; The expectations are what bare Bochs shows (tests/boot/defects.cmake); under vmxlab the
; machine's A20 stays on and vmxlab emulates the guest's (docs/reset.md).
%include "guest.inc"
%include "checks.inc"

%define SCRATCH 0x600               ; a byte below the image, above the BIOS data area

; check_wrap expected, "what" : two checks, the wrap of 1 MiB + SCRATCH and of the HMA
%macro check_wrap 2
    call wrap_probe
    check_eax %1, %2, ": 1 MiB + 0x600 is 0x600"
    call hma_probe
    check_eax %1, %2, ": FFFF:0010 reads 0000:0000"
%endmacro

; check_port92 expected, "what" : port 0x92 bit 1
%macro check_port92 2
    in al, 0x92
    shr al, 1
    and eax, 1
    check_eax %1, %2, ": port 0x92 bit 1"
%endmacro

; check_output expected, "what" : the 8042 output port's bit 1 (command D0h, then 0x60)
%macro check_output 2
    call kbd_read_output
    shr al, 1
    and eax, 1
    check_eax %1, %2, ": 8042 output port bit 1"
%endmacro

main:
    print_com1 "a20: start"
    call big_real                   ; 4 GiB data limits: the APIC's TPR at 0xFEE00080
    ; ---- system control port A ----
    in al, 0x92
    or al, 2
    and al, 0xFE                    ; never bit 0: the fast reset
    out 0x92, al
    call hma_prepare                ; with A20 on: 1 MiB differs from 0
    check_port92 1, "a20 on by port 0x92"
    check_wrap 0, "a20 on by port 0x92"
    in al, 0x92
    and al, 0xFC
    out 0x92, al
    check_port92 0, "a20 off by port 0x92"
    check_wrap 1, "a20 off by port 0x92"
    ; code at FFFF:hma_code+10h is 1 MiB + hma_code: with A20 off, hma_code itself. Its read of
    ; the APIC's TPR exits on corei3_cnl (APIC-access), and vmxlab decodes the instruction
    ; there: it must find the bytes where the guest's A20 puts them
    xor eax, eax
    mov ebx, 0xFFFFFFFF
    call 0xFFFF:hma_code + 0x10
    check_eax 0x00A20A20, "a20 off by port 0x92: FFFF:hma_code+10h runs hma_code"
    mov eax, ebx
    check_eax 0, "a20 off by port 0x92: the TPR read from there"
    in al, 0x92
    or al, 2
    and al, 0xFE
    out 0x92, al
    check_port92 1, "a20 on again by port 0x92"
    check_wrap 0, "a20 on again by port 0x92"

    ; ---- INT 15h AH=24h ----
    mov ax, 0x2400
    int 0x15
    mov ax, 0x2402
    int 0x15
    movzx eax, al
    check_eax 0, "a20 off by INT 15h AX=2400h: AX=2402h gives AL"
    check_port92 0, "a20 off by INT 15h AX=2400h"
    check_wrap 1, "a20 off by INT 15h AX=2400h"
    mov ax, 0x2401
    int 0x15
    mov ax, 0x2402
    int 0x15
    movzx eax, al
    check_eax 1, "a20 on by INT 15h AX=2401h: AX=2402h gives AL"
    check_wrap 0, "a20 on by INT 15h AX=2401h"

    ; ---- the 8042 (no interrupts from here: IRQ1's handler would take the D0h byte) ----
    cli
    call kbd_drain
    check_output 1, "a20 on, 8042"
    mov al, 0xD1
    call kbd_command
    mov al, 0xDD                    ; output port: A20 (bit 1) clear, reset (bit 0) high
    call kbd_data
    check_port92 0, "a20 off by 8042 D1h/DDh"
    check_output 0, "a20 off by 8042 D1h/DDh"
    check_wrap 1, "a20 off by 8042 D1h/DDh"
    mov al, 0xD1
    call kbd_command
    mov al, 0xDF
    call kbd_data
    check_port92 1, "a20 on by 8042 D1h/DFh"
    check_output 1, "a20 on by 8042 D1h/DFh"
    check_wrap 0, "a20 on by 8042 D1h/DFh"
    mov al, 0xDD                    ; command DDh: A20 off
    call kbd_command
    check_port92 0, "a20 off by 8042 command DDh"
    check_output 0, "a20 off by 8042 command DDh"
    check_wrap 1, "a20 off by 8042 command DDh"
    mov al, 0xDF                    ; command DFh: A20 on
    call kbd_command
    check_port92 1, "a20 on by 8042 command DFh"
    check_output 1, "a20 on by 8042 command DFh"
    check_wrap 0, "a20 on by 8042 command DFh"
    finish

; hma_code: reached as FFFF:hma_code+10h (far call): EAX = a marker, EBX = the APIC's TPR
hma_code:
    mov eax, 0x00A20A20
    mov ebx, [dword 0xFEE00080]
    retf

; hma_prepare: (A20 on) the dword at FFFF:0010 = not the dword at 0000:0000 (IVT entry 0)
hma_prepare:
    push es
    mov ax, 0xFFFF
    mov es, ax
    mov eax, [0]
    not eax
    mov [es:0x10], eax
    pop es
    ret

; hma_probe: EAX = 1 if the dword at FFFF:0010 equals the one at 0000:0000, else 0
hma_probe:
    push es
    mov ax, 0xFFFF
    mov es, ax
    mov eax, [es:0x10]
    cmp eax, [0]
    sete al
    movzx eax, al
    pop es
    ret

; wrap_probe: EAX = 1 if a byte written at FFFF:(SCRATCH + 0x10) lands at 0000:SCRATCH
wrap_probe:
    push es
    mov ax, 0xFFFF
    mov es, ax
    mov byte [SCRATCH], 0x5A
    mov byte [es:SCRATCH + 0x10], 0xA5
    cmp byte [SCRATCH], 0xA5
    sete al
    movzx eax, al
    pop es
    ret

; kbd_wait_input: until the 8042's input buffer is empty (status bit 1), bounded
kbd_wait_input:
    push cx
    mov cx, 0xFFFF
.wait:
    in al, 0x64
    test al, 2
    loopnz .wait
    pop cx
    ret

; kbd_command: AL to the 8042's command port 0x64
kbd_command:
    push ax
    call kbd_wait_input
    pop ax
    out 0x64, al
    ret

; kbd_data: AL to the 8042's data port 0x60
kbd_data:
    push ax
    call kbd_wait_input
    pop ax
    out 0x60, al
    ret

; kbd_drain: read 0x60 while the output buffer is full (status bit 0)
kbd_drain:
    push cx
    mov cx, 64
.next:
    in al, 0x64
    test al, 1
    jz .done
    in al, 0x60
    loop .next
.done:
    pop cx
    ret

; kbd_read_output: AL = the 8042's output port (command D0h, then the byte from 0x60)
kbd_read_output:
    push cx
    call kbd_drain
    mov al, 0xD0
    call kbd_command
    mov cx, 0xFFFF
.wait:
    in al, 0x64
    test al, 1
    loopz .wait
    in al, 0x60
    pop cx
    ret
