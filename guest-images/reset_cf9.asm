; reset_cf9: the reset control register at 0xCF9 (PIIX/ICH), as Linux's reboot=pci does it:
; 0x02 (SYS_RST: a hard reset) first, then 0x06 (SYS_RST | RST_CPU: go). The first write
; only chooses the kind and must reach the chipset unchanged. See include/reset.inc.
%define RESET_WHAT "reset control register, OUT 0xCF9 <- 0x02 then 0x06"
%macro do_reset 0
    mov dx, 0xCF9
    mov al, 0x02
    out dx, al
    mov al, 0x06
    out dx, al
%endmacro
%include "reset.inc"
