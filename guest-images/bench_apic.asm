; bench_apic: ticks per round trip of a local APIC register write that is not an INIT: the
; TPR (offset 0x80, the value 0 over 0) and the LVT timer (offset 0x320, its own value written
; back), through FS with a 4 GiB limit; and a pair of TPR writes that change its priority class
; (0x20, then 0 again: the PPR moves both times, SDM 10.8.3.1, and the second can unblock a
; pending interrupt, so it re-evaluates the IRR). Under vmxlab's apic module the write is virtualized (apicv:
; the TPR without an exit, the LVT as an APIC-write exit) or trapped and decoded (decode:
; an APIC-access exit each). Bare: the emulated APIC itself.
%include "bench.inc"

%define APIC 0xFEE00000

%macro body_tpr 0
    mov dword [fs:dword APIC + 0x80], 0
%endmacro

%macro body_tpr_class 0
    mov dword [fs:dword APIC + 0x80], 0x20
    mov dword [fs:dword APIC + 0x80], 0
%endmacro

%macro body_lvt 0
    mov [fs:dword APIC + 0x320], ebx
%endmacro

; The timed instructions start a page (0x8000): one whose 15 bytes cross a page boundary takes
; vmxlab's paged fetch on the decode path (~190 instructions more, docs/performance.md), and
; where that falls would move with every change to this file.
    times (0x8000 - GUEST_LOAD) - ($ - $$) db 0

bench_main:
    call bench_start
    call unreal
    time_min body_tpr
    mov eax, edi
    bench_result "BENCH apic_tpr ticks="
    mov ebx, [fs:dword APIC + 0x320]
    time_min body_lvt
    mov eax, edi
    bench_result "BENCH apic_lvt ticks="
    time_min body_tpr_class
    mov eax, edi
    bench_result "BENCH apic_tpr_class ticks="
    call bench_done

bench_end
