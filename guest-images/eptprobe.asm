; eptprobe: writes over vmxlab's memory. In big real mode (4 GiB data limits: vmxlab's
; default guest.unreal=1) the guest writes one dword at every MiB from 1 MiB up. The guest's
; own RAM takes the writes; vmxlab's memory is not in the EPT, so the first write there is an
; EPT violation: vmxlab reports it and stops the guest (status 1), and stays alive to print
; its stats and status line. Reaching 3.5 GiB without that is a FAIL.
%include "guest.inc"

%define STEP  0x100000
%define LIMIT 0xE0000000        ; below the APIC/IOAPIC/BIOS ROM: stop before MMIO

main:
    print_com1 "eptprobe: writing a dword at every MiB from 1 MiB up (big real mode)"
    mov ebx, 0x100000
.next:
    test ebx, 0xFFFFFF          ; progress every 16 MiB
    jnz .write
    print_com1_nonl "eptprobe: at 0x"
    mov eax, ebx
    call com1_hex32
    call com1_crlf
.write:
    mov dword [ebx], 0xDEADBEEF  ; DS = 0, limit 4 GiB: a 32-bit linear (= guest-physical) address
    add ebx, STEP
    cmp ebx, LIMIT
    jb .next
    fail "eptprobe: wrote up to 0xE0000000 and vmxlab did not stop the guest"
    finish
