; initstorm: 1,000 INIT IPIs in a row. Each run counts itself in memory (INIT keeps memory),
; puts the segments back into big real mode (INIT set their limits to 64 KiB) and sends
; itself another INIT. Run 1001 checks the count and stops.
%define SAVE_ENTRY_STATE
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"

%define STORM 1000

main:
    inc word [runs]
    cmp word [runs], 1
    je .send                        ; the first run starts from vmxlab's state, not an INIT's
    cmp dword [entry_esp], 0        ; every restart: ESP 0, EFLAGS 2 (Table 9-1)
    jne .bad
    cmp dword [entry_eflags], 2
    jne .bad
    cmp word [runs], STORM + 1
    je .done
    mov ax, [runs]                  ; a line every 100 INITs
    dec ax
    xor dx, dx
    mov bx, 100
    div bx
    test dx, dx
    jnz .send
    print_com1 "initstorm: another 100 INITs"
.send:
    call big_real
    apic_wr APIC_ICR_HIGH, 0
    apic_wr APIC_ICR_LOW, 0x00004500
    print_com1 "initstorm: FAIL: still running after an INIT"
    power_off 1
.bad:
    print_com1 "initstorm: FAIL: a restart without the INIT state (ESP or EFLAGS)"
    power_off 1
.done:
    movzx eax, word [runs]
    dec eax
    check_eax STORM, "INITs survived"
    finish

runs: dw 0
