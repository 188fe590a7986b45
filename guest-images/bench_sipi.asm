; bench_sipi (two CPUs, Bochs `cpu: count=2`): ticks from the boot CPU's INIT to the AP to the
; AP's first instruction, the start of every multiprocessor OS (SDM Vol.3A 8.4.4.1 "Typical BSP
; Initialization Sequence"): the BSP keeps the TSC, writes the ICR with INIT (0x00004500 to
; APIC ID 1), waits a fixed 200-iteration loop, writes the ICR with a StartUp IPI for vector 09h;
; the AP starts at 0900:0000 and its first instruction reads the TSC. The second SIPI of the
; sequence would come after the AP is running, where it is ignored, so the figure stops here.
; Bochs's TSC is one clock for both CPUs (the system's tick count), so the two reads compare;
; the loop is in the bare run too, so the difference is what vmxlab adds: the BSP's two
; APIC-write exits, the requests and the kick, the AP's INIT reset and its VM entry.
%include "bench.inc"

%define APIC      0xFEE00000
%define AP_VECTOR 0x09              ; the AP starts at 0900:0000 = 0x9000
%define FLAG      0x4E4             ; dword: 1 once the AP has stored its TSC
%define T0        0x4E8             ; the BSP's TSC just before the INIT
%define T1        0x4EC             ; the AP's TSC at its first instruction

bench_main:
    call bench_start
    mov dword [FLAG], 0
    cld
    xor ax, ax
    mov es, ax
    mov si, ap_code                 ; the AP's code at its SIPI vector's page
    mov di, AP_VECTOR << 12
    mov cx, ap_code_end - ap_code
    rep movsb
    call unreal
    cli
    mov dword [fs:dword APIC + 0x310], 1 << 24      ; ICR high: destination APIC ID 1
    rdtsc
    mov [T0], eax
    mov dword [fs:dword APIC + 0x300], 0x00004500   ; INIT, level assert, physical
    mov ecx, 200
.delay:
    loop .delay, ecx
    mov dword [fs:dword APIC + 0x300], 0x00004600 | AP_VECTOR   ; StartUp
    mov ecx, 10000000
.wait:
    cmp dword [FLAG], 1
    je .started
    pause
    loop .wait, ecx
    print_com1 "BENCH sipi ticks=n/a (the AP did not start)"
    call bench_done
.started:
    mov eax, [T1]
    sub eax, [T0]
    bench_result "BENCH sipi ticks="
    call bench_done

ap_code:                            ; CS = 0900h, DS = 0 (SDM Table 9-1, and 8.4.3 for CS)
    rdtsc
    mov [T1], eax
    mov dword [FLAG], 1
.halt:
    cli
    hlt
    jmp .halt
ap_code_end:

bench_end
