; Exercise 01's check (docs/exercises/01-cpuid-leaf.md): the hypervisor leaves must go up to
; 0x40000001, and leaf 0x40000001 must return the vCPU's number in EAX and, in EBX, how many
; VM exits this vCPU has taken so far (so two CPUIDs in a row differ by exactly 1: each one is
; an exit).
%include "guest.inc"
%include "checks.inc"

main:
    mov eax, 0x40000000
    xor ecx, ecx
    cpuid
    check_eax 0x40000001, "CPUID.40000000h:EAX (the highest hypervisor leaf)"
    mov eax, 0x40000001
    xor ecx, ecx
    cpuid
    check_eax 0, "CPUID.40000001h:EAX (the vCPU's number)"
    mov esi, ebx
    mov eax, 0x40000001
    xor ecx, ecx
    cpuid
    mov eax, ebx
    sub eax, esi
    check_eax 1, "CPUID.40000001h:EBX, second minus first (one exit apart)"
    finish
