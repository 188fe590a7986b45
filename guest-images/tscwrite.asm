; tscwrite: the guest owns its time-stamp counter (SDM Vol.3B 17.17, Vol.3C 24.6.5, 25.3). It
; writes IA32_TIME_STAMP_COUNTER (MSR 10h) backwards and forwards and reads it back through
; RDTSC, RDTSCP and RDMSR: each read must be at or a little after the value written (the
; counter runs on: "a little" is under 10,000,000 ticks, one tick per emulated instruction in
; Bochs with clock sync=none). With IA32_TSC_ADJUST (3Bh, CPUID.(7,0):EBX[1]) it checks that
; writing the adjust moves the TSC by the change, and writing the TSC moves the adjust (SDM
; 17.17.3). vmxlab once let the WRMSR reach the CPU, which moved its own log clock backwards:
; the vmxlab run also checks that its timestamps never decrease (boottest --monotonic).
; Expectations come from bare Bochs (tests/boot/defects.cmake).
%include "guest.inc"

%define IA32_TSC        0x10
%define IA32_TSC_ADJUST 0x3B
%define SLACK           10000000

; near "text" : EDX:EAX (a read) - [want] in [0, SLACK): PASS/FAIL "text"
%macro near 1+
    call near_check
    jc %%bad
    pass %1
    jmp %%done
%%bad:
    fail %1
%%done:
%endmacro

; wrtsc hi, lo : WRMSR IA32_TSC = hi:lo, and [want] = hi:lo
%macro wrtsc 2
    mov dword [want], %2
    mov dword [want + 4], %1
    mov ecx, IA32_TSC
    mov eax, %2
    mov edx, %1
    wrmsr
%endmacro

main:
    wrtsc 0x00000001, 0x00000000    ; forwards, past 2^32
    rdtsc
    near "RDTSC after WRMSR IA32_TSC=100000000h reads the written value"
    mov eax, 0x80000001
    cpuid
    bt edx, 27
    jnc .adjust
    wrtsc 0x00000123, 0x45670000
    rdtscp
    near "RDTSCP after WRMSR IA32_TSC=12345670000h reads the written value"

.adjust:
    xor eax, eax
    cpuid
    cmp eax, 7
    jb .none
    mov eax, 7
    xor ecx, ecx
    cpuid
    bt ebx, 1
    jnc .none
    print_com1 "tscwrite: IA32_TSC_ADJUST shown by CPUID.(7,0):EBX[1]"
    mov ecx, IA32_TSC_ADJUST        ; adjust += 20000000h: the TSC moves forward by as much
    rdmsr
    mov [adj0], eax
    mov [adj0 + 4], edx
    rdtsc
    add eax, 0x20000000
    adc edx, 0
    mov [want], eax
    mov [want + 4], edx
    mov ecx, IA32_TSC_ADJUST
    mov eax, [adj0]
    mov edx, [adj0 + 4]
    add eax, 0x20000000
    adc edx, 0
    wrmsr
    rdtsc
    near "WRMSR IA32_TSC_ADJUST += 20000000h moves the TSC forward by 20000000h"
    mov ecx, IA32_TSC_ADJUST
    rdmsr
    mov ebx, [adj0]
    add ebx, 0x20000000
    cmp eax, ebx
    jne .adj_bad
    pass "RDMSR IA32_TSC_ADJUST reads the written value"
    jmp .adj_tsc
.adj_bad:
    fail "RDMSR IA32_TSC_ADJUST does not read the written value"
.adj_tsc:                           ; TSC += about 40000000h: the adjust moves by as much
    rdmsr
    mov [adj0], eax
    mov [adj0 + 4], edx
    rdtsc
    add eax, 0x40000000
    adc edx, 0
    mov ecx, IA32_TSC
    wrmsr
    mov ecx, IA32_TSC_ADJUST
    rdmsr
    sub eax, [adj0]
    sbb edx, [adj0 + 4]
    mov dword [want], 0x40000000 - SLACK
    mov dword [want + 4], 0
    near "WRMSR IA32_TSC forward by about 40000000h moves IA32_TSC_ADJUST by as much"
    jmp .end
.none:
    print_com1 "tscwrite: no IA32_TSC_ADJUST (CPUID.(7,0):EBX[1] clear)"
.end:
    ; last, backwards: vmxlab's power-off lines come after it, and their timestamps must not
    ; follow the guest's TSC back
    wrtsc 0, 0x1000
    rdtsc
    near "RDTSC after WRMSR IA32_TSC=1000h (backwards) reads the written value"
    wrtsc 0, 0x1000
    mov ecx, IA32_TSC
    rdmsr
    near "RDMSR IA32_TSC reads the written value"
    finish

; near_check: CF clear when 0 <= EDX:EAX - [want] < SLACK
near_check:
    sub eax, [want]
    sbb edx, [want + 4]
    jc .bad
    test edx, edx
    jnz .bad
    cmp eax, SLACK
    jae .bad
    clc
    ret
.bad:
    stc
    ret

want: dq 0
adj0: dq 0
