; a20smp: the guest's A20 is the machine's, for every CPU. The BSP starts the AP (INIT, SIPI),
; which reads the byte at FFFF:0610 (1 MiB + 0x600) over and over and keeps what it saw; the
; BSP turns A20 off and on through port 0x92 and waits until the AP sees the byte at 0x600, then
; the one at 1 MiB + 0x600 again. On bare Bochs an A20 change holds for both CPUs at once. Under
; vmxlab the wrap is an EPT change made on the BSP's CPU, and a translation the AP's CPU cached
; stays until that CPU invalidates it (INVEPT acts on its own CPU only): vmxlab asks the other
; running vCPUs for a TLB flush (vmx/a20.c). Needs two CPUs (Bochs `cpu: count=2`).
%include "guest.inc"
%include "checks.inc"
%include "apic.inc"

%define AP_VECTOR 0x09              ; the SIPI vector: the AP starts at 0900:0000 = 0x9000
%define AP_STACK 0x6000
%define SCRATCH 0x600
%define LOW_BYTE 0x22               ; at 0x600
%define HIGH_BYTE 0x11              ; at 1 MiB + 0x600 (A20 on)

main:
    cli
    call big_real                   ; 4 GiB data limits: the local APIC at 0xFEE00000
    in al, 0x92
    or al, 2                        ; A20 on
    and al, 0xFE                    ; never bit 0: the fast reset
    out 0x92, al
    mov ax, 0xFFFF
    mov es, ax
    mov byte [SCRATCH], LOW_BYTE
    mov byte [es:SCRATCH + 0x10], HIGH_BYTE
    apic_wr APIC_SVR, 0x1FF
    apic_wr APIC_ICR_HIGH, 1 << 24
    apic_wr APIC_ICR_LOW, 0x00004500 ; INIT
    call delay
    apic_wr APIC_ICR_LOW, 0x00004600 | AP_VECTOR ; SIPI
    mov al, HIGH_BYTE
    call wait_seen
    check_eax HIGH_BYTE, "a20smp: A20 on, the AP reads 1 MiB + 0x600"

    in al, 0x92
    and al, 0xFC                    ; A20 off
    out 0x92, al
    mov al, LOW_BYTE
    call wait_seen
    check_eax LOW_BYTE, "a20smp: the BSP turned A20 off, the AP reads 0x600 there"

    in al, 0x92
    or al, 2
    and al, 0xFE                    ; A20 on
    out 0x92, al
    mov al, HIGH_BYTE
    call wait_seen
    check_eax HIGH_BYTE, "a20smp: the BSP turned A20 on, the AP reads 1 MiB + 0x600 again"
    finish                          ; the AP still reads (a line of its own would mix with ours)

; wait_seen: until the AP saw the byte AL (bounded); EAX = the byte it saw last
wait_seen:
    mov ecx, 0x400000
.spin:
    cmp [ap_seen], al
    je .done
    pause
    loop .spin, ecx
.done:
    movzx eax, byte [ap_seen]
    ret

; delay: about 10 ms of Bochs time between INIT and SIPI
delay:
    push ecx
    mov ecx, 0x20000
.l: pause
    loop .l, ecx
    pop ecx
    ret

ap_seen: db 0

; the AP's first instruction, at the SIPI vector's page (0x9000 = 0900:0000)
    times (AP_VECTOR << 12) - GUEST_LOAD - ($ - $$) db 0
ap_entry:
    jmp 0:ap_main
ap_main:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, AP_STACK
    mov ax, 0xFFFF
    mov es, ax
.read:
    mov al, [es:SCRATCH + 0x10]     ; no VM exit: the AP's CPU keeps its translation
    mov [ap_seen], al
    jmp .read
