; bench_init: ticks from a self-INIT (ICR 0x00004500 to the guest's own APIC ID) to the first
; instruction after the restart. The TSC before the ICR write is kept in memory (INIT keeps
; memory); after the restart the guest finds its mark and prints the difference.
; Under vmxlab (init=entry) the vCPU restarts at 0000:7C00. On bare Bochs the CPU resets to
; F000:FFF0; CMOS shutdown status 0Ah makes the BIOS jump at once through 0040:0067, which
; points at 0000:7C00 too (no POST): the bare figure is the CPU's own INIT plus that jump.
%include "bench.inc"

%define APIC  0xFEE00000
%define MARK  0x4E4                 ; dword 'INIT' while an INIT is under way
%define T0    0x4E8                 ; TSC just before the ICR write

bench_main:
    rdtsc                           ; the first instructions after guest_start
    cmp dword [MARK], 'INIT'
    jne .first
    mov dword [MARK], 0
    sub eax, [T0]
    push eax
    call bench_start
    pop eax
    bench_result "BENCH init ticks="
    call bench_done
.first:
    call bench_start
    cli
    mov al, 0x0F                    ; CMOS shutdown status 0Ah: jump through 0040:0067
    out 0x70, al
    mov al, 0x0A
    out 0x71, al
    mov dword [0x467], 0x00007C00   ; 0000:7C00
    call unreal
    cli
    mov eax, [fs:dword APIC + 0x20] ; our APIC ID in bits 31:24
    and eax, 0xFF000000
    mov [fs:dword APIC + 0x310], eax
    mov dword [MARK], 'INIT'
    rdtsc
    mov [T0], eax
    mov dword [fs:dword APIC + 0x300], 0x00004500   ; INIT, level assert, physical, no shorthand
    mov ecx, 1000000                ; no restart: say so
.wait:
    loop .wait, ecx
    mov dword [MARK], 0
    print_com1 "BENCH init ticks=n/a (no restart after the INIT)"
    call bench_done

bench_end
