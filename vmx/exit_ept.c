/* EPT violations and misconfigurations (SDM Vol.3 28.2.3; qualification: Table 27-7). */
#include "kernel/log.h"
#include "kernel/panic.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx_internal.h"

enum exit_action exit_ept_violation(struct vcpu *v)
{
    uint64_t q = v->exit_qualification, gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);
    char access[32];
    unsigned n = 0;
    if (q & 1)
        access[n++] = 'R';
    if (q & 2)
        access[n++] = 'W';
    if (q & 4)
        access[n++] = 'X';
    access[n] = 0;
    struct ept_leaf leaf;
    bool mapped = ept_lookup(&vmx.ept, gpa, &leaf);
    const char *what = gpa >= vmx.hidden_start && gpa < vmx.hidden_end ? "vmxlab's own memory, hidden from the guest"
                       : mapped ? "a mapped page that lacks this permission"
                                : "guest-physical memory that EPT does not map";
    if (q & (1u << 7))
        log_error("ept", "EPT violation: %s access to GPA 0x%llx (linear 0x%llx) at %04llx:%04llx: %s",
                  access, (unsigned long long)gpa, (unsigned long long)vmcs_read(VMCS_GUEST_LINEAR_ADDRESS),
                  (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR), (unsigned long long)v->rip, what);
    else
        log_error("ept", "EPT violation: %s access to GPA 0x%llx (no linear address: a page-walk access) at %04llx:%04llx: %s",
                  access, (unsigned long long)gpa, (unsigned long long)vmcs_read(VMCS_GUEST_CS_SELECTOR),
                  (unsigned long long)v->rip, what);
    log_error("ept", "qualification 0x%llx: entry permissions %c%c%c (SDM Table 27-7); vmxlab stops the guest and stays in control",
              (unsigned long long)q, q & 8 ? 'r' : '-', q & 16 ? 'w' : '-', q & 32 ? 'x' : '-');
    vcpu_log_registers(v);
    v->stop_status = STATUS_GUEST_FAILED;
    return EXIT_STOP;
}

enum exit_action exit_ept_misconfig(struct vcpu *v)
{
    uint64_t gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);
    struct ept_leaf leaf;
    bool mapped = ept_lookup(&vmx.ept, gpa, &leaf);
    log_error("ept", "EPT misconfiguration at GPA 0x%llx (SDM 28.2.3.1): leaf entry 0x%llx%s: a bug in vmxlab's EPT",
              (unsigned long long)gpa, (unsigned long long)(mapped ? leaf.entry : 0), mapped ? "" : " (no leaf)");
    v->stop_status = STATUS_INTERNAL;
    return EXIT_STOP;
}
