; Exercise 05's check (docs/exercises/05-slow-time.md): the guest's RDTSC runs at half speed.
; The reference clock is RDMSR IA32_TIME_STAMP_COUNTER (0x10), which the exercise leaves
; alone: over the same busy loop, RDTSC must advance 0.4 to 0.6 times as much as it.
%include "guest.inc"
%include "checks.inc"

%define LOOPS 200000

main:
    rdtsc                           ; once before measuring: vmxlab explains a first exit in the log,
    mov ecx, 0x10                   ; which takes time the measurement should not see
    rdmsr
    mov [ref0], eax
    rdtsc
    mov [tsc0], eax
    mov ecx, LOOPS
.spin:
    loop .spin, ecx
    rdtsc
    mov [tsc1], eax
    mov ecx, 0x10
    rdmsr
    sub eax, [ref0]
    mov [dref], eax
    mov eax, [tsc1]
    sub eax, [tsc0]
    mov [dtsc], eax
    print_com1_nonl "slow-time: RDTSC advanced 0x"
    call com1_hex32
    print_com1_nonl ", IA32_TIME_STAMP_COUNTER 0x"
    mov eax, [dref]
    call com1_hex32
    call com1_crlf
    ; 0.4 * dref <= dtsc <= 0.6 * dref, as 10 * dtsc against 4 * dref and 6 * dref (64-bit products)
    mov eax, [dtsc]
    mov ebx, 10
    mul ebx
    mov [p_lo], eax
    mov [p_hi], edx
    mov eax, [dref]
    mov ebx, 4
    mul ebx
    cmp edx, [p_hi]
    ja .fast_or_slow
    jb .low_ok
    cmp eax, [p_lo]
    ja .fast_or_slow
.low_ok:
    mov eax, [dref]
    mov ebx, 6
    mul ebx
    cmp edx, [p_hi]
    jb .fast_or_slow
    ja .ok
    cmp eax, [p_lo]
    jb .fast_or_slow
.ok:
    pass "RDTSC runs at half the speed of IA32_TIME_STAMP_COUNTER"
    finish
.fast_or_slow:
    fail "RDTSC does not run at half the speed of IA32_TIME_STAMP_COUNTER"
    finish

ref0: dd 0
tsc0: dd 0
tsc1: dd 0
dref: dd 0
dtsc: dd 0
p_lo: dd 0
p_hi: dd 0
