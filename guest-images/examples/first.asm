%include "guest.inc"            ; COM1 output, hypercalls, pass/fail/finish
main:
    print_com1 "first: hello from my own guest"
    mov eax, 0x40000000         ; CPUID: a VM exit, vmxlab answers
    cpuid
    cmp ebx, 0x6c786d76         ; "vmxl", the start of vmxlab's signature
    jne .bare
    pass "CPUID.40000000h says vmxlab"
    finish
.bare:
    fail "CPUID.40000000h has no vmxlab signature"
    finish
