/* vmx's VM-exit handlers: the defaults of the dispatch table in vmx/exit.c (which lists every
 * reason, the file that handles it, and the ones the apic module replaces at init). Each
 * file that defines one includes this header, so a signature that differs from
 * exit_handler_t does not compile (-Wmissing-prototypes finds one that is missing here). */
#ifndef VMX_EXIT_HANDLERS_H
#define VMX_EXIT_HANDLERS_H

#include "vmx/exit.h"

/* vmx/cpuid.c */
enum exit_action exit_cpuid(struct vcpu *v);
/* vmx/exit_basic.c */
enum exit_action exit_vmcall(struct vcpu *v);
enum exit_action exit_vmx_instruction(struct vcpu *v);
enum exit_action exit_rdmsr(struct vcpu *v);
enum exit_action exit_wrmsr(struct vcpu *v);
enum exit_action exit_cache_invalidate(struct vcpu *v);
enum exit_action exit_triple_fault(struct vcpu *v);
enum exit_action exit_init_signal(struct vcpu *v);
enum exit_action exit_sipi(struct vcpu *v);
/* vmx/exit_cr.c */
enum exit_action exit_cr_access(struct vcpu *v);
enum exit_action exit_xsetbv(struct vcpu *v);
/* vmx/exit_ept.c */
enum exit_action exit_ept_violation(struct vcpu *v);
enum exit_action exit_ept_misconfig(struct vcpu *v);
/* vmx/exit_io.c */
enum exit_action exit_io_instruction(struct vcpu *v);
/* vmx/interrupts.c */
enum exit_action exit_external_interrupt(struct vcpu *v);
enum exit_action exit_interrupt_window(struct vcpu *v);
enum exit_action exit_hlt(struct vcpu *v);
enum exit_action exit_monitor_mwait(struct vcpu *v);
/* vmx/nmi.c */
enum exit_action exit_exception_nmi(struct vcpu *v);
enum exit_action exit_nmi_window(struct vcpu *v);
/* vmx/stopwatch.c */
enum exit_action exit_preemption_timer(struct vcpu *v);

#endif
