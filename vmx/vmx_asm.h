/* The VMX instructions (SDM Vol.3 Chapter 30). Each reports success the VMX way (SDM 30.2):
 * CF=1 "VMfailInvalid" (no current VMCS), ZF=1 "VMfailValid" (the VM-instruction error
 * field says why). The wrappers return 0, 1 (invalid) or 2 (valid, read the error field). */
#ifndef VMX_VMX_ASM_H
#define VMX_VMX_ASM_H

#include <stdint.h>

#define VMX_OK 0
#define VMX_FAIL_INVALID 1
#define VMX_FAIL_VALID 2

#define VMX_RESULT "setc %b0; setz %h0"
static inline int vmx_result(uint16_t flags) { return (flags & 0xFF) ? VMX_FAIL_INVALID : (flags >> 8) ? VMX_FAIL_VALID : VMX_OK; }

static inline int vmxon(uint64_t pa)
{
    uint16_t f;
    __asm__ volatile("vmxon %1; " VMX_RESULT : "=Q"(f) : "m"(pa) : "cc", "memory");
    return vmx_result(f);
}
static inline int vmclear(uint64_t pa)
{
    uint16_t f;
    __asm__ volatile("vmclear %1; " VMX_RESULT : "=Q"(f) : "m"(pa) : "cc", "memory");
    return vmx_result(f);
}
static inline int vmptrld(uint64_t pa)
{
    uint16_t f;
    __asm__ volatile("vmptrld %1; " VMX_RESULT : "=Q"(f) : "m"(pa) : "cc", "memory");
    return vmx_result(f);
}
static inline int vmread_checked(uint64_t field, uint64_t *value)
{
    uint16_t f;
    __asm__ volatile("vmread %2, %1; " VMX_RESULT : "=Q"(f), "=rm"(*value) : "r"(field) : "cc");
    return vmx_result(f);
}
static inline int vmwrite_checked(uint64_t field, uint64_t value)
{
    uint16_t f;
    __asm__ volatile("vmwrite %2, %1; " VMX_RESULT : "=Q"(f) : "r"(field), "rm"(value) : "cc");
    return vmx_result(f);
}

struct invept_desc {
    uint64_t eptp, reserved;
};
static inline int invept(uint64_t type, uint64_t eptp)
{
    struct invept_desc d = {eptp, 0};
    uint16_t f;
    __asm__ volatile("invept %1, %2; " VMX_RESULT : "=Q"(f) : "m"(d), "r"(type) : "cc", "memory");
    return vmx_result(f);
}

struct invvpid_desc {
    uint64_t vpid, linear;
};
static inline int invvpid(uint64_t type, uint16_t vpid)
{
    struct invvpid_desc d = {vpid, 0};
    uint16_t f;
    __asm__ volatile("invvpid %1, %2; " VMX_RESULT : "=Q"(f) : "m"(d), "r"(type) : "cc", "memory");
    return vmx_result(f);
}

#endif
