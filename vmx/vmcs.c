/* VMCS access through one funnel: a failed VMREAD/VMWRITE names the field and the
 * VM-instruction error (SDM Vol.3 30.4), then stops vmxlab. */
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

uint64_t vmcs_read(uint64_t field)
{
    uint64_t v = 0;
    int r = vmread_checked(field, &v);
    if (r != VMX_OK)
        vmcs_fail("VMREAD", field, r);
    return v;
}

void vmcs_write(uint64_t field, uint64_t value)
{
    int r = vmwrite_checked(field, value);
    if (r != VMX_OK)
        vmcs_fail("VMWRITE", field, r);
}
