; bench_exits: ticks per round trip of a CPUID exit and of a VMCALL exit (hypercall 0,
; VERSION), measured inside the guest with RDTSC (fewest of BENCH_N rounds). On bare Bochs
; CPUID runs natively, and VMCALL (which would #UD without a hypervisor) is replaced by a
; 3-byte NOP: the bare figure is the cost of the loop itself.
%include "bench.inc"

%macro body_cpuid 0
    xor eax, eax
    cpuid
%endmacro

%macro body_vmcall 0
    xor eax, eax                    ; HC_VERSION
    vmcall
%endmacro

%macro body_nop3 0
    xor eax, eax
    nop word [bx + si]              ; 0F 1F 00: as long as VMCALL
%endmacro

bench_main:
    call bench_start
    time_min body_cpuid
    mov eax, edi
    bench_result "BENCH cpuid ticks="
    cmp byte [BENCH_HV], 0
    je .bare
    time_min body_vmcall
    jmp .print
.bare:
    time_min body_nop3
.print:
    mov eax, edi
    bench_result "BENCH vmcall ticks="
    call bench_done

bench_end
