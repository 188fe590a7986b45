; ticks: timer interrupts reach the guest as on bare metal.
;  1. The PIT's channel 0 counts (latched readings differ).
;  2. `sti; hlt` loops: the BIOS tick count at 0040:006C advances by exactly the number of
;     IRQ 0s the guest's own INT 8 hook counted (none lost or doubled), 18 ticks (~1 s).
;  3. INT 1Ah AH=00h returns the tick count of 0040:006C and advances while the guest waits.
;  4. INT 16h AH=00h waits for a key: the INT 8 hook has the keyboard controller produce
;     one ('a', 8042 command D2h) three ticks later; the BIOS's wait must see it.
%include "guest.inc"

%define TICKS      0x46C        ; BIOS tick count (dword at 0040:006C)
%define WAIT_TICKS 18

main:
    cli
    mov eax, [8 * 4]
    mov [old_int8], eax
    set_ivt 8, int8_hook
    sti
    print_com1 "ticks: INT 8 hook installed"

    ; ---- 1. the PIT counts ----
    call pit_read
    mov [pit0], ax
    mov cx, 200
.spin:
    loop .spin
    call pit_read
    mov [pit1], ax
    print_com1_nonl "ticks: PIT channel 0 readings 0x"
    mov ax, [pit0]
    call com1_hex16
    print_com1_nonl " 0x"
    mov ax, [pit1]
    call com1_hex16
    call com1_crlf
    mov ax, [pit0]
    cmp ax, [pit1]
    je .pit_bad
    pass "PIT channel 0 is counting"
    jmp .hlt
.pit_bad:
    fail "PIT channel 0 is not counting"

    ; ---- 2. sti; hlt against the tick count ----
.hlt:
    mov eax, [TICKS]            ; wait for a tick edge
.edge:
    sti
    hlt
    cmp eax, [TICKS]
    je .edge
    cli
    mov eax, [TICKS]
    mov [tick0], eax
    mov eax, [irq0_count]
    mov [irq0_0], eax
    rdtsc
    mov [tsc0], eax
    mov [tsc0 + 4], edx
.wait:
    inc dword [wakeups]
    sti
    hlt
    cli
    mov eax, [TICKS]
    sub eax, [tick0]
    cmp eax, WAIT_TICKS
    jb .wait
    rdtsc
    sub eax, [tsc0]
    sbb edx, [tsc0 + 4]
    mov ecx, WAIT_TICKS
    div ecx
    mov [tsc_per_tick], eax
    mov eax, [TICKS]
    sub eax, [tick0]
    mov [tick_delta], eax
    mov eax, [irq0_count]
    sub eax, [irq0_0]
    mov [irq0_delta], eax
    sti
    print_com1_nonl "ticks: BIOS ticks +0x"
    mov eax, [tick_delta]
    call com1_hex32
    print_com1_nonl ", IRQ 0s counted +0x"
    mov eax, [irq0_delta]
    call com1_hex32
    print_com1_nonl ", HLT wakeups 0x"
    mov eax, [wakeups]
    call com1_hex32
    print_com1_nonl ", TSC per tick 0x"
    mov eax, [tsc_per_tick]
    call com1_hex32
    call com1_crlf
    mov eax, [tick_delta]
    cmp eax, [irq0_delta]
    jne .hlt_bad
    cmp eax, WAIT_TICKS
    jne .hlt_bad
    pass "sti; hlt: 18 BIOS ticks, one per IRQ 0"
    jmp .int1a
.hlt_bad:
    fail "sti; hlt: BIOS ticks and IRQ 0s disagree"

    ; ---- 3. INT 1Ah AH=00h ----
.int1a:
    cli
    mov ebx, [TICKS]
    xor ah, ah
    int 0x1A
    cli
    shl ecx, 16
    mov cx, dx
    mov [clock0], ecx
    sub ecx, ebx
    cmp ecx, 1                  ; the same count (or one tick later)
    ja .int1a_bad
.int1a_wait:
    sti
    hlt
    xor ah, ah
    int 0x1A
    shl ecx, 16
    mov cx, dx
    sub ecx, [clock0]
    cmp ecx, 3
    jb .int1a_wait
    print_com1 "ticks: INT 1Ah AH=00h matches 0040:006C and advanced 3 ticks"
    pass "INT 1Ah AH=00h tick count"
    jmp .int16
.int1a_bad:
    fail "INT 1Ah AH=00h does not match 0040:006C"

    ; ---- 4. INT 16h AH=00h waits for a key the hook makes later ----
.int16:
    mov eax, [irq0_count]
    add eax, 3
    mov [key_at], eax
    xor ah, ah
    int 0x16
    mov [key], ax
    print_com1_nonl "ticks: INT 16h AH=00h returned scan/ascii 0x"
    mov ax, [key]
    call com1_hex16
    print_com1_nonl " after 0x"
    mov eax, [irq0_count]
    sub eax, [key_at]
    add eax, 3
    call com1_hex32
    print_com1 " IRQ 0s"
    cmp word [key], 0x1E61
    jne .int16_bad
    pass "INT 16h AH=00h waited for the key"
    jmp .done
.int16_bad:
    fail "INT 16h AH=00h returned another key"

.done:
    cli
    mov eax, [old_int8]
    mov [8 * 4], eax
    sti
    finish

; pit_read: AX = PIT channel 0 count (latched)
pit_read:
    pushf
    cli
    mov al, 0x00                ; counter latch, channel 0
    out 0x43, al
    in al, 0x40
    mov ah, al
    in al, 0x40
    xchg al, ah
    popf
    ret

; INT 8 (IRQ 0): count, on key_at have the 8042 put 'a' (set 1 make code 1Eh) in its output
; buffer (IRQ 1, the BIOS's INT 9 queues it), then the BIOS's own handler
int8_hook:
    inc dword [cs:irq0_count]
    push eax
    mov eax, [cs:irq0_count]
    cmp eax, [cs:key_at]
    jne .chain
.ibf:
    in al, 0x64                 ; wait for the input buffer to be empty
    test al, 2
    jnz .ibf
    mov al, 0xD2                ; write keyboard output buffer
    out 0x64, al
.ibf2:
    in al, 0x64
    test al, 2
    jnz .ibf2
    mov al, 0x1E
    out 0x60, al
.chain:
    pop eax
    jmp far [cs:old_int8]

old_int8:     dd 0
irq0_count:   dd 0
key_at:       dd 0xFFFFFFFF
pit0:         dw 0
pit1:         dw 0
tick0:        dd 0
irq0_0:       dd 0
tsc0:         dq 0
tsc_per_tick: dd 0
tick_delta:   dd 0
irq0_delta:   dd 0
wakeups:      dd 0
clock0:       dd 0
key:          dw 0
