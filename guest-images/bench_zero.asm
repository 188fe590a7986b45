; bench_zero: the VM exits while the guest only computes and calls the BIOS (INT 10h, 11h,
; 12h, 13h, 16h, 1Ah, and INT 15h outside the memory-size calls). Hypercall 3 before and
; after gives the total; the second call is itself one exit. The goal is 0. The ticks of
; the computation are printed too (the same bare and under vmxlab: EPT adds no instructions).
; Informational: the exits of one INT 15h E820 call (vmxlab answers it by design: 1).
%include "bench.inc"

exit_total:                         ; ECX = total exits so far (hypercall 3), 0 on bare
    xor ecx, ecx
    cmp byte [BENCH_HV], 0
    je .bare
    mov eax, HC_EXIT_COUNT
    xor ebx, ebx
    vmcall
.bare:
    ret

report:                             ; "exits=N" from [0x4F4], ECX = the new total
    cmp byte [BENCH_HV], 0
    je .na
    mov eax, ecx
    sub eax, [0x4F4]
    dec eax
    jmp com1_dec32
.na:
    print_com1 "n/a"
    ret

bench_main:
    call bench_start
    call exit_total
    mov [0x4F4], ecx
    cli                             ; no timer interrupt inside the window: where the PIT's IRQ 0
    rdtsc                           ; lands depends on how long the boot took (its handler: ~23)
    mov [0x4F8], eax
    mov ecx, 20000                  ; computation
    mov eax, 1
.compute:
    imul eax, eax, 17
    add eax, ecx
    xor edx, edx
    loop .compute
    rdtsc
    sti
    sub eax, [0x4F8]
    bench_result "BENCH compute ticks="
    mov ax, 0x0E2E                  ; BIOS: teletype '.'
    mov bx, 7
    int 0x10
    int 0x11                        ; equipment
    int 0x12                        ; base memory
    mov ah, 0x08                    ; drive parameters
    mov dl, 0x80
    int 0x13
    mov ah, 0x01                    ; keystroke status
    int 0x16
    xor ah, ah                      ; timer ticks
    int 0x1A
    mov ah, 0xC0                    ; system configuration (INT 15h, not a memory call)
    int 0x15
    call exit_total
    bench_label "BENCH zero exits="
    call report
    call exit_total                 ; one INT 15h E820 call
    mov [0x4F4], ecx
    mov eax, 0xE820
    xor ebx, ebx
    mov ecx, 20
    mov edx, 0x534D4150
    mov di, 0x600
    int 0x15
    call exit_total
    bench_label "BENCH e820 exits="
    call report
    call bench_done

bench_end
