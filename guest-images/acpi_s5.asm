; acpi_s5: ACPI soft-off as an OS does it (ACPI 6.5 7.4.2 "\_Sx", 4.8.3.2.1 PM1 control):
; find the RSDP in 0xE0000-0xFFFFF, the FADT through the RSDT, PM1a_CNT_BLK (FADT offset
; 64) and the DSDT (offset 40), \_S5's SLP_TYPa in the DSDT's AML (else in an SSDT's, as
; SeaBIOS has it); then write SLP_TYP into PM1a_CNT (keeping its other bits), and
; SLP_TYP | SLP_EN. Bare Bochs powers off ("ACPI control: soft power off" in its log);
; under vmxlab that write is "guest powered off" (status 0). A machine still running after
; it: FAIL.
%include "guest.inc"
%include "checks.inc"

main:
    call big_real                   ; 32-bit addresses reach the tables in high RAM
    mov esi, 0xE0000
.scan:                              ; ACPI 5.2.5.1: "RSD PTR " on a 16-byte boundary
    cmp dword [esi], 0x20445352     ; "RSD "
    jne .next
    cmp dword [esi + 4], 0x20525450 ; "PTR "
    je .rsdp
.next:
    add esi, 16
    cmp esi, 0x100000
    jb .scan
    fail "acpi: no RSDP in 0xE0000-0xFFFFF"
    finish
.rsdp:
    mov esi, [esi + 16]             ; RsdtAddress
    mov [rsdt], esi
    mov ecx, [esi + 4]              ; RSDT length
    sub ecx, 36
    shr ecx, 2                      ; entries
    lea edi, [esi + 36]
.entry:
    mov ebx, [edi]
    cmp dword [ebx], 0x50434146     ; "FACP"
    je .fadt
    add edi, 4
    loop .entry
    fail "acpi: no FACP in the RSDT"
    finish
.fadt:
    mov eax, [ebx + 64]             ; PM1a_CNT_BLK
    mov [pm1a], ax
    mov esi, [ebx + 40]             ; DSDT
    call find_s5
    jnc .package
    mov ebx, [rsdt]                 ; ACPI 5.2.11.2: an SSDT continues the DSDT (SeaBIOS
    mov ecx, [ebx + 4]              ; names \_S5 in its SSDT only)
    sub ecx, 36
    shr ecx, 2
    lea edi, [ebx + 36]
.ssdt:
    mov esi, [edi]
    cmp dword [esi], 0x54445353     ; "SSDT"
    jne .snext
    push ecx
    call find_s5
    pop ecx
    jnc .package
.snext:
    add edi, 4
    loop .ssdt
    fail "acpi: no \_S5 package in the DSDT or an SSDT"
    finish
.package:
    movzx eax, byte [esi + 5]       ; PkgLength lead byte: bits 7:6 = extra bytes (20.2.4)
    shr al, 6
    lea esi, [esi + 6 + eax]        ; NumElements
    mov al, [esi + 1]               ; the first element: ZeroOp 00h, OneOp 01h, or BytePrefix 0Ah nn
    cmp al, 0x0A
    jne .typ
    mov al, [esi + 2]
.typ:
    and al, 7
    mov [slp_typ], al
    print_com1_nonl "acpi: PM1a_CNT=0x"
    mov ax, [pm1a]
    call com1_hex16
    print_com1_nonl " SLP_TYP(S5)="
    mov al, [slp_typ]
    call com1_hex8
    call com1_crlf
    print_com1 "acpi: writing SLP_TYP, then SLP_TYP | SLP_EN"
    mov dx, COM1 + 5
.drain:                             ; the UART sends it all before the power goes (LSR bit 6)
    in al, dx
    test al, 0x40
    jz .drain
    mov dx, [pm1a]
    in ax, dx
    and ax, 0xC3FF                  ; clear SLP_EN (bit 13) and SLP_TYP (bits 12:10)
    movzx bx, byte [slp_typ]
    shl bx, 10
    or ax, bx
    out dx, ax                      ; SLP_TYP alone: no event
    or ax, 0x2000                   ; SLP_EN
    out dx, ax
    mov cx, 0xFFFF
.wait:
    loop .wait
    fail "acpi: the machine did not power off"
    finish

; find_s5: ESI = a DSDT or SSDT; CF clear with ESI at Name(_S5_, Package(){SLP_TYPa, ...})
; ("_S5_" then PackageOp 12h in its AML), else CF set. Clobbers ECX.
find_s5:
    mov ecx, [esi + 4]
    add ecx, esi                    ; the table's end
    add esi, 36                     ; its AML
.aml:
    cmp dword [esi], 0x5F35535F     ; "_S5_"
    jne .anext
    cmp byte [esi + 4], 0x12
    je .found
.anext:
    inc esi
    cmp esi, ecx
    jb .aml
    stc
    ret
.found:
    clc
    ret

rsdt: dd 0
pm1a: dw 0
slp_typ: db 0
