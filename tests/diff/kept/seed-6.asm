; A divergence found by `tools/vmxlab diff` on corei7_skylake_x, minimized: seed 6 without blocks [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12].
; The whole program's dumps differed:
; --- bare
; +++ vmxlab
; @@ -1,19 +1,19 @@
;  eax=4037633e
;  ebx=285db964
;  ecx=2a84f8b8
;  edx=3cd16837
;  esi=28f75c8c
; -edi=40010038
; +edi=00010038
;  ebp=2bc1c7e0
;  esp=00007000
;  cs=0000
;  ds=18a0
;  es=1ae9
;  fs=1bf9
;  gs=1316
;  ss=0000
;  fl=00001017
; -cr0=40010038
; +cr0=00010038
;  cr4=00000000
;  crc=81f4aaf7
;  hcrc=42df1636
; Cause: the MOV to CR0 toggles NE (owned by vmxlab: it exits) and CD; vmxlab wrote the guest's
; CR0 field with CD=1, but VM entry never loads CD and NW (SDM 26.3.2.1), and CD was not in the
; CR0 guest/host mask, so the guest read back the processor's CD=0. Fixed by owning CD and NW
; (vmx/setup.c): the guest reads them from the read shadow.
; program seed=6: mem cpuid intn alu alu string flags crx cpuid exception exception alu intn
mov esp, DIFF_STACK
mov dword [cs:rt_seed], 0x6
call rt_prologue
mov eax, 0x7d24b396
mov ebx, 0xcd4a5557
mov ecx, 0x32b7228f
mov edx, 0xbad5ccc2
mov esi, 0xdf5ca32e
mov edi, 0x69fc5360
mov ebp, 0xe91b4ad1
push dword 0x41cd7
popfd
push word 0x18a0
pop ds
push word 0x1ae9
pop es
push word 0x1181
pop fs
push word 0x1316
pop gs
; block 7: crx
mov bx, 0xa7f6
smsw word [gs:bx+0x2f]
mov eax, cr0
xor eax, 0x40010028
mov cr0, eax
mov edi, cr0
mov dword [cs:rt_flmask], 0xfffff72a
call rt_dump
