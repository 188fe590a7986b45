; reset_kbd: the keyboard controller reset, as Linux's reboot=k and DOS do it: wait until the
; 8042's input buffer is empty (status bit 1), then command FEh "pulse output port bit 0"
; (the CPU reset line). See include/reset.inc for what the runs print.
%define RESET_WHAT "keyboard controller, OUT 0x64 <- 0xFE"
%macro do_reset 0
%%busy:
    in al, 0x64
    test al, 2
    jnz %%busy
    mov al, 0xFE
    out 0x64, al
%endmacro
%include "reset.inc"
