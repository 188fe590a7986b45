; bench_apic: ticks per round trip of a local APIC register write that is not an INIT: the
; TPR (offset 0x80, the value 0) and the LVT timer (offset 0x320, its own value written back),
; through FS with a 4 GiB limit. Under vmxlab's apic module the write is virtualized (apicv:
; the TPR without an exit, the LVT as an APIC-write exit) or trapped and decoded (decode:
; an APIC-access exit each). Bare: the emulated APIC itself.
%include "bench.inc"

%define APIC 0xFEE00000

%macro body_tpr 0
    mov dword [fs:dword APIC + 0x80], 0
%endmacro

%macro body_lvt 0
    mov [fs:dword APIC + 0x320], ebx
%endmacro

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
    call bench_done

bench_end
