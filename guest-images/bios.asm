; bios: the BIOS services a boot loader uses, called from inside vmxlab's guest.
;   INT 10h  teletype output (read back through AH=03h cursor / AH=08h character)
;   INT 13h  AH=41h extensions check, AH=48h drive parameters, AH=42h extended read of the
;            boot disk's first sector (DL at entry; on vmxlab's CD a no-emulation El Torito
;            drive with 2048-byte sectors) and of the ISO 9660 volume descriptor (LBA 16)
;   INT 15h  E820 listing (each entry printed as "e820: START-END type T", end inclusive:
;            the boot test checks vmxlab's memory is covered by a reserved entry), E801h and
;            88h (checked against the E820 map), INT 16h AH=01h keyboard status.
%include "guest.inc"

%define BUF_SEG   0x1000        ; disk buffer at 1000:0000 (linear 0x10000)
%define E820_BUF  0x0600        ; 24-byte E820 entry at 0000:0600

main:
    mov [boot_drive], dl
    print_com1_nonl "bios: boot drive DL=0x"
    mov al, dl
    call com1_hex8
    call com1_crlf

    ; ---------------- INT 10h ----------------
    mov ah, 0x02                ; cursor to row 20, column 0
    xor bh, bh
    mov dx, 0x1400
    int 0x10
    mov si, int10_text
    call bios_puts
    mov ah, 0x03                ; cursor position -> DH row, DL column
    xor bh, bh
    int 0x10
    mov [cursor], dx
    mov ah, 0x02                ; back to column 0, read the character there
    xor bh, bh
    mov dx, 0x1400
    int 0x10
    mov ah, 0x08
    xor bh, bh
    int 0x10
    mov [char0], al
    print_com1_nonl "int10: cursor after 7 characters row/col=0x"
    mov ax, [cursor]
    call com1_hex16
    print_com1_nonl ", character at column 0 = 0x"
    mov al, [char0]
    call com1_hex8
    call com1_crlf
    cmp word [cursor], 0x1407
    jne .int10_bad
    cmp byte [char0], 'I'
    jne .int10_bad
    pass "INT 10h teletype wrote 'INT 10h' to the screen"
    jmp .int13
.int10_bad:
    fail "INT 10h teletype"
.int13:
    print_bios ""

    ; ---------------- INT 13h ----------------
    mov ah, 0x41
    mov bx, 0x55AA
    mov dl, [boot_drive]
    int 0x13
    jc .ext_bad
    cmp bx, 0xAA55
    jne .ext_bad
    mov [ext_flags], cx
    print_com1_nonl "int13: AH=41h extensions version 0x"
    mov al, ah
    call com1_hex8
    print_com1_nonl " support bits 0x"
    mov ax, [ext_flags]
    call com1_hex16
    call com1_crlf
    test word [ext_flags], 1
    jz .ext_bad
    pass "INT 13h AH=41h: extended disk access supported"
    jmp .params
.ext_bad:
    fail "INT 13h AH=41h: no extended disk access"
    jmp .e820

.params:
    mov word [params], 0x1A     ; buffer size
    mov ah, 0x48
    mov dl, [boot_drive]
    mov si, params
    int 0x13
    jc .params_bad
    print_com1_nonl "int13: AH=48h bytes per sector 0x"
    mov ax, [params + 0x18]
    call com1_hex16
    call com1_crlf
    pass "INT 13h AH=48h drive parameters"
    jmp .read0
.params_bad:
    fail "INT 13h AH=48h drive parameters"

.read0:
    mov dword [dap_lba], 0
    call read_sector
    jc .read0_bad
    push ds
    mov ax, BUF_SEG
    mov ds, ax
    mov ax, [510]
    mov ebx, [0]
    pop ds
    mov [sig0], ax
    print_com1_nonl "int13: AH=42h LBA 0: first bytes 0x"
    mov eax, ebx
    bswap eax
    call com1_hex32
    print_com1_nonl ", bytes 510-511 0x"
    mov ax, [sig0]
    xchg al, ah
    call com1_hex16
    call com1_crlf
    cmp word [sig0], 0xAA55
    jne .read0_bad
    pass "INT 13h AH=42h read the boot disk's first sector (55 aa at 510)"
    jmp .read16
.read0_bad:
    fail "INT 13h AH=42h read of LBA 0"

.read16:
    cmp word [params + 0x18], 2048
    jne .e820                   ; a 512-byte disk: no ISO 9660 check
    mov dword [dap_lba], 16
    call read_sector
    jc .read16_bad
    push ds
    mov ax, BUF_SEG
    mov ds, ax
    mov eax, [1]
    mov bl, [5]
    pop ds
    cmp eax, 'CD00'
    jne .read16_bad
    cmp bl, '1'
    jne .read16_bad
    pass "INT 13h AH=42h read LBA 16: ISO 9660 volume descriptor CD001"
    jmp .e820
.read16_bad:
    fail "INT 13h AH=42h read of LBA 16 (no CD001)"

    ; ---------------- INT 15h E820 ----------------
.e820:
    xor ebx, ebx
.e820_next:
    mov dword [E820_BUF + 20], 1 ; ACPI 3.0 attributes: valid unless the BIOS clears it
    mov eax, 0xE820
    mov ecx, 24
    mov edx, 0x534D4150         ; 'SMAP'
    mov di, E820_BUF
    int 0x15
    jc .e820_end
    cmp eax, 0x534D4150
    jne .e820_bad
    mov [e820_next], ebx
    inc word [e820_count]
    call print_e820
    mov ebx, [e820_next]
    test ebx, ebx
    jz .e820_end
    cmp word [e820_count], 64
    jb .e820_next
.e820_end:
    print_com1_nonl "e820: 0x"
    mov ax, [e820_count]
    call com1_hex16
    print_com1 " entries"
    cmp word [e820_count], 2
    jb .e820_bad
    cmp dword [ext_end], 0
    je .e820_bad
    pass "INT 15h E820 listed the memory map, usable RAM at 1 MiB"
    jmp .e801
.e820_bad:
    fail "INT 15h E820"

    ; ---------------- INT 15h E801h, 88h ----------------
.e801:
    ; expected from E820: the usable run at 1 MiB ends at ext_end
    mov eax, [ext_end]
    sub eax, 0x100000
    shr eax, 10                 ; KiB above 1 MiB
    mov [ext_kb], eax
    mov ax, 0xE801
    xor bx, bx
    xor cx, cx
    xor dx, dx
    int 0x15
    jc .e801_bad
    mov [e801], ax
    mov [e801 + 2], bx
    mov [e801 + 4], cx
    mov [e801 + 6], dx
    print_com1_nonl "e801: ax=0x"
    mov ax, [e801]
    call com1_hex16
    print_com1_nonl " bx=0x"
    mov ax, [e801 + 2]
    call com1_hex16
    print_com1_nonl " cx=0x"
    mov ax, [e801 + 4]
    call com1_hex16
    print_com1_nonl " dx=0x"
    mov ax, [e801 + 6]
    call com1_hex16
    call com1_crlf
    ; AX = KiB between 1 and 16 MiB (at most 0x3C00), BX = 64 KiB blocks above 16 MiB
    mov eax, [ext_kb]
    cmp eax, 0x3C00
    jbe .e801_low
    mov eax, 0x3C00
.e801_low:
    cmp ax, [e801]
    jne .e801_bad
    cmp ax, [e801 + 4]
    jne .e801_bad
    xor eax, eax
    mov edx, [ext_end]
    cmp edx, 0x1000000
    jbe .e801_high
    lea eax, [edx - 0x1000000]
    shr eax, 16
.e801_high:
    cmp ax, [e801 + 2]
    jne .e801_bad
    cmp ax, [e801 + 6]
    jne .e801_bad
    pass "INT 15h E801h agrees with E820"
    jmp .ah88
.e801_bad:
    fail "INT 15h E801h does not agree with E820"

.ah88:
    mov ah, 0x88
    int 0x15
    jc .ah88_bad
    mov [kb88], ax
    print_com1_nonl "int15: AH=88h ax=0x"
    call com1_hex16
    call com1_crlf
    ; AX = KiB above 1 MiB, capped by the BIOS: at 0xFFFF (Bochs's BIOS) or at 63 MiB,
    ; 0xFC00 (SeaBIOS; Ralf Brown's list: "many BIOSes" stop at 15 or 63 MiB). Either cap
    ; is accepted; anything else is wrong.
    mov eax, [ext_kb]
    cmp eax, 0xFFFF
    jbe .ah88_cmp
    mov eax, 0xFFFF
.ah88_cmp:
    cmp ax, [kb88]
    je .ah88_ok
    mov eax, [ext_kb]
    cmp eax, 0xFC00
    jbe .ah88_bad               ; below both caps: only the exact size would do
    cmp word [kb88], 0xFC00
    jne .ah88_bad
.ah88_ok:
    pass "INT 15h AH=88h agrees with E820"
    jmp .int16
.ah88_bad:
    fail "INT 15h AH=88h does not agree with E820"

    ; ---------------- INT 16h ----------------
.int16:
    mov ah, 0x01
    int 0x16
    jz .nokey
    print_com1 "int16: AH=01h: a key is waiting"
    jmp .int16_ok
.nokey:
    print_com1 "int16: AH=01h: no key waiting (ZF=1)"
.int16_ok:
    pass "INT 16h AH=01h keyboard status returned"

    finish

; read_sector: DAP LBA set; one sector to BUF_SEG:0 through AH=42h; CF on error
read_sector:
    mov ah, 0x42
    mov dl, [boot_drive]
    mov si, dap
    int 0x13
    ret

; print_e820: the entry at E820_BUF as "e820: START-END type T" (END inclusive); notes
; the end of the usable entry that starts at 1 MiB in ext_end
print_e820:
    print_com1_nonl "e820: "
    mov eax, [E820_BUF + 4]
    call com1_hex32
    mov eax, [E820_BUF]
    call com1_hex32
    mov al, '-'
    call com1_putc
    mov eax, [E820_BUF]
    mov edx, [E820_BUF + 4]
    add eax, [E820_BUF + 8]
    adc edx, [E820_BUF + 12]
    sub eax, 1
    sbb edx, 0
    push eax
    mov eax, edx
    call com1_hex32
    pop eax
    call com1_hex32
    print_com1_nonl " type "
    mov eax, [E820_BUF + 16]
    add al, '0'
    call com1_putc
    call com1_crlf
    cmp dword [E820_BUF + 16], 1
    jne .done
    cmp dword [E820_BUF], 0x100000
    jne .done
    cmp dword [E820_BUF + 4], 0
    jne .done
    mov eax, [E820_BUF]
    add eax, [E820_BUF + 8]     ; below 4 GiB on the test machines
    mov [ext_end], eax
.done:
    ret

int10_text: db "INT 10h", 0
boot_drive: db 0
char0:      db 0
cursor:     dw 0
ext_flags:  dw 0
sig0:       dw 0
e820_count: dw 0
e820_next:  dd 0
ext_end:    dd 0
ext_kb:     dd 0
e801:       times 4 dw 0
kb88:       dw 0
dap:        db 16, 0
            dw 1                ; sectors
            dw 0, BUF_SEG       ; buffer offset, segment
dap_lba:    dq 0
params:     times 0x1E db 0
