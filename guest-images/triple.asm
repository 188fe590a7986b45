; triple: a triple fault. LIDT with limit 0, then INT3: vector 3 is beyond the IVT's limit,
; so #GP; vector 13 is beyond it too, so #DF; and #DF (8) as well: shutdown (SDM 6.15,
; 20.1.4). vmxlab reports it (exit reason 2). With on_triple=halt that stops the guest
; (status 1); with on_triple=restart vmxlab restarts the vCPU at the entry point, memory
; kept: this guest then finds its flag set, says so and powers off with status 0.
%include "guest.inc"

main:
    cmp word [runs], 0
    jne .second
    mov word [runs], 1
    print_com1 "triple: first run: LIDT limit 0, then INT3"
    cli
    lidt [no_ivt]
    int3
    fail "triple: the guest went on after INT3 with an empty IVT"
    finish

.second:
    print_com1 "triple: second run: the flag from the first run is still set (restarted at the entry)"
    cmp word [runs], 1
    jne .bad
    pass "restarted after a triple fault, memory kept"
    finish
.bad:
    fail "the run flag is not 1"
    finish

runs:   dw 0
no_ivt: dw 0
        dd 0
