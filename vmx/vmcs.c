/* VMCS access through one funnel: a failed VMREAD/VMWRITE names the field and the
 * VM-instruction error (SDM Vol.3 30.4), then stops vmxlab. */
#include <stdbool.h>
#include "kernel/log.h"
#include "kernel/panic.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx_asm.h"
#include "vmx/vmx_defs.h"
#include "vmx/vmx_names.h"

static __attribute__((noreturn)) void vmcs_fail(const char *what, uint64_t field, int r)
{
    uint64_t err = 0;
    if (r == VMX_FAIL_VALID)
        vmread_checked(VMCS_VM_INSTRUCTION_ERROR, &err);
    panic("%s of VMCS field 0x%llx failed: %s", what, (unsigned long long)field,
          r == VMX_FAIL_INVALID ? "VMfailInvalid (no current VMCS)" : vmx_instruction_error_text((uint32_t)err));
}

/* The exit path calls these a dozen times per exit: the success path is the instruction and
 * two branches on its flags (CF: VMfailInvalid, ZF: VMfailValid), the failure out of line.
 * (docs/performance.md: from 10 instructions plus call/ret to 3.) */
uint64_t vmcs_read(uint64_t field)
{
    uint64_t v;
    bool cf, zf;
    __asm__ volatile("vmread %3, %0" : "=r"(v), "=@ccc"(cf), "=@ccz"(zf) : "r"(field));
    if (__builtin_expect(cf | zf, 0))
        vmcs_fail("VMREAD", field, cf ? VMX_FAIL_INVALID : VMX_FAIL_VALID);
    return v;
}

void vmcs_write(uint64_t field, uint64_t value)
{
    bool cf, zf;
    __asm__ volatile("vmwrite %3, %2" : "=@ccc"(cf), "=@ccz"(zf) : "r"(field), "rm"(value));
    if (__builtin_expect(cf | zf, 0))
        vmcs_fail("VMWRITE", field, cf ? VMX_FAIL_INVALID : VMX_FAIL_VALID);
}
