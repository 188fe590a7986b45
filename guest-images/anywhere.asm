; anywhere: a guest that runs wherever it is put. Any guest.load, and any guest.entry that
; points at its first byte (0001:7BF0 and 07BF:0010 both reach 0x7C00): every address it uses
; is relative to where it finds itself, so it needs no org. It prints the CS:IP it was entered
; at and that linear address on COM1, then powers off with status 0 (VMCALL 2 under vmxlab;
; on bare metal the VMCALL's #UD ends the run, as guest.inc's power_off does).
;
;   anywhere: entered at CS=0001 IP=7bf0 linear=0x07c00
bits 16

%define COM1 0x3F8

start:
    call .here                  ; pushes the IP of .here: where this image runs
.here:
    pop bp
    sub bp, .here - start       ; BP = the IP of the image's first byte, the entry IP
    push cs
    pop ds                      ; DS = CS: the image's bytes at DS:BP+label
    cld
    lea si, [bp + msg_cs]
    call puts
    mov ax, cs
    call hex16
    lea si, [bp + msg_ip]
    call puts
    mov ax, bp
    call hex16
    lea si, [bp + msg_linear]
    call puts
    xor eax, eax                ; linear = CS * 16 + IP, 20 bits
    mov ax, cs
    shl eax, 4
    movzx ebx, bp
    add eax, ebx
    push ax
    shr eax, 16
    call hex4
    pop ax
    call hex16
    lea si, [bp + msg_crlf]
    call puts

    ; power off: VMCALL 2 (docs/hypercalls.md); bare metal: #UD lands in bare_end
    cli
    xor ax, ax
    mov es, ax
    lea ax, [bp + bare_end]
    mov [es:6 * 4], ax
    mov [es:6 * 4 + 2], cs
    mov eax, 2
    xor ebx, ebx
    vmcall
    jmp $

; bare metal: "guest: end status=0", wait for the UART to drain (Bochs drops unsent bytes),
; then "Shutdown" to Bochs's port 0x8900
bare_end:
    lea si, [bp + msg_bare]
    call puts
    mov dx, COM1 + 5
.drain:
    in al, dx
    test al, 0x40
    jz .drain
    lea si, [bp + msg_shutdown]
    mov dx, 0x8900
    mov cx, 8
.out:
    lodsb
    out dx, al
    loop .out
    jmp $

; puts: DS:SI = NUL-terminated string, to COM1
puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

; putc: AL to COM1, after the transmitter holding register is empty (LSR bit 5)
putc:
    push dx
    push ax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop ax
    mov dx, COM1
    out dx, al
    pop dx
    ret

; hex16: AX as 4 hex digits; hex4: AL's low nibble as one
hex16:
    push cx
    mov cx, 4
.digit:
    rol ax, 4
    push ax
    call hex4
    pop ax
    loop .digit
    pop cx
    ret
hex4:
    push ax
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '9' - 1
.out:
    call putc
    pop ax
    ret

msg_cs:       db "anywhere: entered at CS=", 0
msg_ip:       db " IP=", 0
msg_linear:   db " linear=0x", 0
msg_crlf:     db 13, 10, 0
msg_bare:     db "guest: end status=0", 13, 10, 0
msg_shutdown: db "Shutdown"
