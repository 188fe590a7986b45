; The boot sector of the floppy that runs a guest image on bare Bochs, without vmxlab
; (boottest.py --bare, tools/vmxlab_py/bare.py, docs/testing.md). The guest's sectors follow
; this one on the floppy (LBA 1..GUEST_SECTORS). The BIOS loads this sector to 0000:7C00 with
; DL = the boot drive; it moves itself to 0000:0600, reads the guest's sectors to 0000:7C00
; and jumps there with DL = the drive: the state a BIOS leaves a boot sector in, which is the
; state vmxlab's guest contract gives (README "The guest contract"), so the guest cannot tell
; the loader was there. COM1 is set as vmxlab leaves it for its guests (arch/x86_64/serial.c:
; 115200 8N1, FIFO on, DTR and RTS, no interrupts); Bochs's UART starts with 5 data bits.
; Assembled at test time: nasm -f bin -DGUEST_SECTORS=N loader.asm
%ifndef GUEST_SECTORS
%error "define GUEST_SECTORS (the guest image's size in 512-byte sectors)"
%endif
%define SPT   18                    ; 1.44 MB floppy: 18 sectors per track, 2 heads
%define HEADS 2

bits 16
org 0x0600

start:                              ; runs at 0000:7C00 until the far jump: no absolute data
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x0600
    cld
    mov si, 0x7C00
    mov di, 0x0600
    mov cx, 256
    rep movsw
    jmp 0x0000:relocated

relocated:
    sti
    mov [drive], dl
    mov si, uart
.uart:
    lodsw                           ; AL = register (offset from COM1), AH = value
    test al, al
    js .uart_done
    movzx dx, al
    add dx, 0x3F8
    mov al, ah
    out dx, al
    jmp .uart
.uart_done:
    mov word [lba], 1
.sector:
    mov ax, [lba]                   ; LBA -> CHS
    xor dx, dx
    mov bx, SPT
    div bx                          ; AX = track, DX = sector - 1
    mov cl, dl
    inc cl
    xor dx, dx
    mov bx, HEADS
    div bx                          ; AX = cylinder, DX = head
    mov ch, al
    mov dh, dl
    mov ax, [lba]                   ; destination 07C0h + (lba - 1) * 20h : 0000
    dec ax
    shl ax, 5
    add ax, 0x07C0
    mov es, ax
    xor bx, bx
    mov byte [tries], 3
.read:
    mov dl, [drive]
    mov ax, 0x0201                  ; INT 13h AH=02h: read one sector
    int 0x13
    jnc .next
    xor ax, ax                      ; AH=00h: reset the drive, then try again
    mov dl, [drive]
    int 0x13
    dec byte [tries]
    jnz .read
    mov si, err
    jmp fatal
.next:
    inc word [lba]
    cmp word [lba], GUEST_SECTORS
    jbe .sector
    xor ax, ax
    mov es, ax
    mov dl, [drive]
    jmp 0x0000:0x7C00

; fatal: DS:SI = message on COM1, then end Bochs (port 0x8900)
fatal:
    lodsb
    test al, al
    jz .end
    mov ah, al
    mov dx, 0x3F8 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov al, ah
    mov dx, 0x3F8
    out dx, al
    jmp fatal
.end:
    mov dx, 0x3F8 + 5
.drain:
    in al, dx
    test al, 0x40
    jz .drain
    mov si, shutdown
    mov dx, 0x8900
    mov cx, 8
.out:
    lodsb
    out dx, al
    loop .out
    jmp $

uart:     db 1, 0, 3, 0x80, 0, 1, 1, 0, 3, 3, 2, 0xC7, 4, 3, 0xFF, 0   ; (register, value) pairs
err:      db "bare loader: INT 13h read of the guest failed", 13, 10, 0
shutdown: db "Shutdown"
drive:    db 0
tries:    db 0
lba:      dw 0

%if ($ - $$) > 510
%error "the loader must fit the boot sector"
%endif
    times 510 - ($ - $$) db 0
    dw 0xAA55
