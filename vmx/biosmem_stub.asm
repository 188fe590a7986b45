; The guest's INT 15h memory services, answered by vmxlab (vmx/biosmem.c).
;
; vmxlab copies this stub to the top KiB of conventional memory (lowering the BDA's base
; memory word 0040:0013, as a BIOS extension would) and points IVT vector 15h at it. The
; memory-size calls (AX=E820h, AX=E801h, AH=88h) reach the VMCALL, which vmxlab recognises by
; its address: it fills in the answer from the guest's memory map (vmxlab's own memory is
; reserved there) and sets CF in the FLAGS image the INT pushed. Every other INT 15h call goes
; on to the BIOS's handler, untouched.
bits 16
section .rodata

global biosmem_stub_start
global biosmem_stub_end
global biosmem_stub_vmcall
global biosmem_stub_old_vector

biosmem_stub_start:
    cmp eax, 0xE820
    je .ours
    cmp ax, 0xE801
    je .ours
    cmp ah, 0x88
    je .ours
    jmp far [cs:old_vector - biosmem_stub_start]
.ours:
vmcall_here:
    vmcall
    iret
align 4
old_vector:
    dd 0
biosmem_stub_end:

; offsets for the C side
biosmem_stub_vmcall:     dw vmcall_here - biosmem_stub_start
biosmem_stub_old_vector: dw old_vector - biosmem_stub_start

section .note.GNU-stack noalloc noexec nowrite progbits
