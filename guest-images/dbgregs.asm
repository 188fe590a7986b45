; dbgregs: the debug registers across VM exits (issue 9, defect 3). Each part puts a CPUID
; (an instruction that always exits under VMX, SDM 25.1.2) between arming a debug register
; and the event it waits for, as any exit (a timer interrupt) may fall there in an OS:
;  1. DR7 = 0x700 (LE, GE) reads back 0x700 after a CPUID (bit 10 reads as 1, SDM 18.2.4);
;  2. DR0 execute breakpoint (DR7 L0, R/W0 = 00): #DB before the instruction at DR0, DR6.B0;
;  3. DR1 data breakpoint (L1, R/W1 = 01 write, LEN1 = 01 two bytes): #DB after the write,
;     DR6.B1;
;  4. single step (TF) over CPUID: #DB right after the CPUID, with DR6.BS (SDM 18.3.1.4),
;     its return address the instruction after the CPUID.
; The #DB handler (vector 1) records DR6 and the return IP, clears TF in the saved FLAGS,
; disarms DR7 (a fault-like instruction breakpoint would hit again: a 16-bit IRET cannot set
; RF) and clears DR6. The expectations are the bare-Bochs run's (defects.cmake).
%include "guest.inc"
%include "checks.inc"

%define DR6_CLEAR 0xFFFF0FF0

main:
    set_ivt 1, db_handler
    mov eax, DR6_CLEAR
    mov dr6, eax

    ; ---- 1. DR7 after an exit -----------------------------------------------------------
    mov eax, 0x700
    mov dr7, eax
    xor eax, eax
    cpuid
    mov eax, dr7
    check_eax 0x700, "dbg: DR7 after CPUID"
    xor eax, eax
    mov dr7, eax

    ; ---- 2. DR0 execute breakpoint --------------------------------------------------------
    mov word [db_count], 0
    mov eax, bp_exec
    mov dr0, eax
    mov eax, 0x401                  ; L0, R/W0 = 00 (execute), LEN0 = 00
    mov dr7, eax
    xor eax, eax
    cpuid
    nop
bp_exec:
    nop
    movzx eax, word [db_count]
    check_eax 1, "dbg: #DB count for the DR0 execute breakpoint"
    movzx eax, word [db_ip]
    check_eax bp_exec, "dbg: DR0 #DB return IP (the breakpoint's instruction)"
    mov eax, [db_dr6]
    and eax, 0x400F
    check_eax 1, "dbg: DR0 #DB DR6 B0-B3,BS"

    ; ---- 3. DR1 data breakpoint -----------------------------------------------------------
    mov word [db_count], 0
    mov eax, bp_data
    mov dr1, eax
    mov eax, 0x00500404             ; L1, R/W1 = 01 (writes), LEN1 = 01 (2 bytes)
    mov dr7, eax
    xor eax, eax
    cpuid
    mov word [bp_data], 0x1234
after_write:
    movzx eax, word [db_count]
    check_eax 1, "dbg: #DB count for the DR1 data breakpoint"
    movzx eax, word [db_ip]
    check_eax after_write, "dbg: DR1 #DB return IP (after the write)"
    mov eax, [db_dr6]
    and eax, 0x400F
    check_eax 2, "dbg: DR1 #DB DR6 B0-B3,BS"

    ; ---- 4. single step over CPUID --------------------------------------------------------
    mov word [db_count], 0
    cli                             ; no interrupt between POPF and the CPUID
    pushf
    pop ax
    or ax, 0x100                    ; TF: the trap comes after the instruction after POPF
    push ax
    xor eax, eax
    popf
    cpuid
after_cpuid:
    nop
    nop
    sti
    movzx eax, word [db_count]
    check_eax 1, "dbg: #DB count for TF over CPUID"
    movzx eax, word [db_ip]
    check_eax after_cpuid, "dbg: TF #DB return IP (after the CPUID)"
    mov eax, [db_dr6]
    and eax, 0x400F
    check_eax 0x4000, "dbg: TF #DB DR6 B0-B3,BS"

    cmp word [guest_failures], 0
    jne .out
    pass "debug registers and single step as on bare metal"
.out:
    finish

db_handler:
    push bp
    mov bp, sp
    push eax
    mov eax, dr6
    mov [db_dr6], eax
    mov ax, [bp + 2]
    mov [db_ip], ax
    and word [bp + 6], 0xFEFF       ; TF off in the FLAGS image IRET restores
    xor eax, eax
    mov dr7, eax
    mov eax, DR6_CLEAR
    mov dr6, eax
    inc word [db_count]
    pop eax
    pop bp
    iret

db_count: dw 0
db_ip: dw 0
db_dr6: dd 0
bp_data: dw 0
