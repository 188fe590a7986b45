; reset_fast: the fast reset through system control port A (0x92): read it, set bit 0 and
; keep bit 1 (A20) as it is. The read and a write with bit 0 clear are ordinary accesses.
; See include/reset.inc.
%define RESET_WHAT "system control port A, OUT 0x92 <- bit 0 set"
%macro do_reset 0
    in al, 0x92
    and al, 0xFE
    out 0x92, al                    ; bit 0 clear: an A20 write, no reset
    or al, 1
    out 0x92, al
%endmacro
%include "reset.inc"
