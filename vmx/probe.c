/* VMX availability (SDM Vol.3 23.6 "Discovering support for VMX", 23.7 "Enabling and entering
 * VMX operation"). Replaced by the full capability report in vmx_caps. */
#include "arch/x86_64/cpu.h"
#include "kernel/log.h"
#include "vmx/vmx.h"

#define IA32_FEATURE_CONTROL 0x3A

int vmx_probe(void)
{
    if (!(cpuid(1, 0).ecx & (1u << 5))) {
        log_error("vmx", "VMX not supported by this CPU (CPUID.1:ECX.VMX[bit 5] = 0)");
        return STATUS_NO_VMX;
    }
    uint64_t fc = rdmsr(IA32_FEATURE_CONTROL);
    if ((fc & 1) && !(fc & 4)) {
        log_error("vmx", "VMX disabled by firmware (IA32_FEATURE_CONTROL locked without VMX outside SMX)");
        return STATUS_NO_VMX;
    }
    log_info("vmx", "VMX supported, IA32_FEATURE_CONTROL=0x%llx", (unsigned long long)fc);
    return STATUS_OK;
}
