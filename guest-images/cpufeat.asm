; cpufeat: every instruction feature CPUID shows works in the guest. In VMX non-root
; operation some instructions raise #UD unless a secondary processor-based control is 1
; (SDM Vol.3C 25.3 "Changes to Instruction Behavior in VMX Non-Root Operation", Table 24-7):
; RDTSCP and RDPID ("enable RDTSCP"), INVPCID ("enable INVPCID"), XSAVES/XRSTORS ("enable
; XSAVES/XRSTORS"), TPAUSE/UMONITOR/UMWAIT ("enable user wait and pause"). A hypervisor must
; turn the control on or hide the feature. For each feature this guest prints whether CPUID
; shows it and, when shown, runs the instruction and checks it raises no #UD. The test's
; expectations are the lines of a bare-Bochs run of the same image (tests/boot/defects.cmake).
%include "guest.inc"
%include "faults.inc"

; feature leaf, subleaf, register, bit, "name" : print "cpufeat: name shown|not shown" and
; leave CF = the bit of CPUID(leaf, subleaf)
%macro feature 5
    mov eax, %1
    mov ecx, %2
    cpuid
    bt %3, %4
    jnc %%no
    print_com1 "cpufeat: ", %5, " shown"
    stc
    jmp %%done
%%no:
    print_com1 "cpufeat: ", %5, " not shown"
    clc
%%done:
%endmacro

main:
    call fault_install

    feature 0x80000001, 0, edx, 27, "RDTSCP (CPUID.80000001H:EDX[27])"
    jnc .rdpid
    try rdtscp
    check_fault FAULT_NONE, "RDTSCP runs"
.rdpid:
    feature 7, 0, ecx, 22, "RDPID (CPUID.(7,0):ECX[22])"
    jnc .invpcid
    try rdpid eax
    check_fault FAULT_NONE, "RDPID runs"
.invpcid:
    feature 7, 0, ebx, 10, "INVPCID (CPUID.(7,0):EBX[10])"
    jnc .rdrand
    mov eax, 2                      ; type 2: all contexts, globals included (descriptor ignored)
    try invpcid eax, [invpcid_desc]
    check_fault FAULT_NONE, "INVPCID runs"
.rdrand:
    feature 1, 0, ecx, 30, "RDRAND (CPUID.1:ECX[30])"
    jnc .rdseed
    try rdrand eax
    check_fault FAULT_NONE, "RDRAND runs"
.rdseed:
    feature 7, 0, ebx, 18, "RDSEED (CPUID.(7,0):EBX[18])"
    jnc .waitpkg
    try rdseed eax
    check_fault FAULT_NONE, "RDSEED runs"
.waitpkg:
    feature 7, 0, ecx, 5, "WAITPKG (CPUID.(7,0):ECX[5])"
    jnc .xsave
    xor eax, eax                    ; deadline 0: TPAUSE returns at once
    xor edx, edx
    xor ecx, ecx
    try tpause ecx
    check_fault FAULT_NONE, "TPAUSE runs"
.xsave:
    feature 1, 0, ecx, 26, "XSAVE (CPUID.1:ECX[26])"
    jnc .end
    mov eax, cr4                    ; CR4.OSXSAVE: XGETBV and the XSAVE family need it
    or eax, 1 << 18
    mov cr4, eax
    xor ecx, ecx
    try xgetbv
    check_fault FAULT_NONE, "XGETBV runs with CR4.OSXSAVE=1"
    mov eax, 1                      ; x87 state
    xor edx, edx
    try xsave [xsave_area]
    check_fault FAULT_NONE, "XSAVE runs"
    feature 0xD, 1, eax, 0, "XSAVEOPT (CPUID.(0DH,1):EAX[0])"
    jnc .xsavec
    mov eax, 1
    xor edx, edx
    try xsaveopt [xsave_area]
    check_fault FAULT_NONE, "XSAVEOPT runs"
.xsavec:
    feature 0xD, 1, eax, 1, "XSAVEC (CPUID.(0DH,1):EAX[1])"
    jnc .xsaves
    mov eax, 1
    xor edx, edx
    try xsavec [xsave_area]
    check_fault FAULT_NONE, "XSAVEC runs"
.xsaves:
    feature 0xD, 1, eax, 3, "XSAVES/XRSTORS (CPUID.(0DH,1):EAX[3])"
    jnc .end
    mov eax, 1
    xor edx, edx
    try xsaves [xsave_area]
    check_fault FAULT_NONE, "XSAVES runs"
    mov eax, 1
    xor edx, edx
    try xrstors [xsave_area]
    check_fault FAULT_NONE, "XRSTORS runs"
.end:
    finish

align 16
invpcid_desc: dq 0, 0
align 64
xsave_area: times 1024 db 0
