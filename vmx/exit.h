/* VM-exit dispatch: a table indexed by basic exit reason (SDM Vol.3 Appendix C). vmx's own
 * handlers are in the table from the start; a module above vmx (apic) adds its handlers at
 * init with exit_handler_set(), so vmx never includes it. */
#ifndef VMX_EXIT_H
#define VMX_EXIT_H

#include <stdint.h>
#include "vmx/vcpu.h"

enum exit_action {
    EXIT_RESUME, /* VM entry again */
    EXIT_STOP,   /* stop the guest; vcpu->stop_status says why (kernel/panic.h statuses) */
};

typedef enum exit_action (*exit_handler_t)(struct vcpu *v);

/* Install a handler for a basic exit reason (replaces vmx's default for it); _get gives the
 * current one, so a module can handle part of an exit and pass the rest on. */
void exit_handler_set(unsigned reason, exit_handler_t fn);
exit_handler_t exit_handler_get(unsigned reason);

/* MSR accesses: vmx intercepts RDMSR/WRMSR through the MSR bitmap only for the MSRs that
 * someone handles. A module claims a range; rd/wr return false to inject #GP. */
typedef bool (*msr_read_t)(struct vcpu *v, uint32_t msr, uint64_t *value);
typedef bool (*msr_write_t)(struct vcpu *v, uint32_t msr, uint64_t value);
void msr_hook_set(uint32_t first, uint32_t last, msr_read_t rd, msr_write_t wr);

/* CPUID results pass through here last, so a module can adjust what the guest sees
 * (apic hides x2APIC and gives the vCPU's own APIC ID). */
typedef void (*cpuid_filter_t)(struct vcpu *v, uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
void cpuid_filter_set(cpuid_filter_t fn);

/* Helpers for handlers. */
void vcpu_skip_instruction(struct vcpu *v);           /* RIP += VM-exit instruction length */
void vcpu_skip_bytes(struct vcpu *v, uint32_t len);   /* RIP += len (an emulated instruction's) */
uint64_t vcpu_read_rsp(struct vcpu *v);
const char *exit_reason_text(uint32_t reason);

/* The first exit of each reason on a vCPU: one `I exit:` line of what it means and what
 * vmxlab does (exit_explain.c); it sets the reason's bit in v->exits_explained. */
void exit_explain_first(struct vcpu *v);

#endif
