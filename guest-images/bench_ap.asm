; bench_ap (2 CPUs): ticks from the BSP's INIT IPI to the AP (APIC ID 1) to the AP's first
; instruction after INIT-SIPI-SIPI (issue 11's "report" figure). The AP's code is copied to
; 0x9000 and started with SIPI vector 09h (0900:0000, SDM Vol.3A 8.4.2); its first instruction
; reads the TSC. Between INIT and the first SIPI the BSP spins a fixed 200 rounds (a short
; stand-in for SDM 8.4.4.1's 10 ms: a SIPI that arrives before the AP has taken the INIT is
; lost, on Bochs as on hardware), the second SIPI follows at once; both runs spin the same.
; The TSC is the machine's (Bochs `clock: sync=none`: emulated time), so the figure is time,
; not one CPU's instructions. Same image on bare Bochs (`cpu: count=2`) and under vmxlab.
%include "bench.inc"

%define APIC  0xFEE00000
%define T0    0x4E8                 ; TSC just before the INIT
%define T1    0x4EC                 ; the AP's first TSC
%define DONE  0x4F4                 ; dword 'AP!!' once the AP has run
%define AP_VECTOR 0x09

bench_main:
    call bench_start
    call unreal
    cli
    xor ax, ax
    mov es, ax
    mov si, ap_entry                ; the AP's start code to 0x9000 (below 1 MiB, 4 KiB aligned)
    mov di, AP_VECTOR << 12
    mov cx, ap_end - ap_entry
    cld
    rep movsb
    mov dword [DONE], 0
    mov dword [fs:dword APIC + 0x310], 1 << 24      ; destination APIC ID 1
    rdtsc
    mov [T0], eax
    mov dword [fs:dword APIC + 0x300], 0x00004500   ; INIT, level assert, physical
    mov cx, 200
.spin:
    loop .spin
    mov dword [fs:dword APIC + 0x300], 0x00004600 | AP_VECTOR   ; SIPI
    mov dword [fs:dword APIC + 0x300], 0x00004600 | AP_VECTOR   ; SIPI (ignored if it started)
    mov ecx, 2000000
.wait:
    cmp dword [DONE], 'AP!!'
    je .ran
    pause
    loop .wait, ecx
    print_com1 "BENCH ap ticks=n/a (the AP did not start)"
    call bench_done
.ran:
    mov eax, [T1]
    sub eax, [T0]
    bench_result "BENCH ap ticks="
    call bench_done

; the AP, at 0900:0000 in real mode; DS = 0 after INIT (Table 9-1), so absolute addresses work
ap_entry:
    rdtsc
    mov [T1], eax
    mov dword [DONE], 'AP!!'
.halt:
    cli
    hlt
    jmp .halt
ap_end:

bench_end
