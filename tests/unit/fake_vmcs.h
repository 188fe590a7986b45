/*
 * fake_vmcs.h - the machine under vmxlab's exit handlers, faked for host tests.
 *
 * A host test links a handler's own source file (vmx/exit_cr.c, apic/access.c, ...) with
 * fake_vmcs.c and compiles both with -DVMXLAB_HOST_TEST, which turns the privileged
 * instructions of arch/x86_64/cpu.h and the inline VMREAD/VMWRITE of vmx/vmx_internal.h into
 * calls answered here:
 *
 *   VMCS     fake_vmcs[encoding]: vmcs_read/_hot and vmcs_write/_hot read and write it;
 *            fake_vmcs_written[encoding] counts the writes. vmx_ctl_change() keeps v->ctl
 *            and the control field in step, as vmx/setup.c does.
 *   vmx      the module's global (struct vmx_state vmx): capabilities of a Bochs
 *            corei7_skylake_x (docs/bochs.md), the CR0/CR4 guest/host masks setup.c derives.
 *   CPU      CPUID answers a test sets (fake_cpuid_set), MSRs, CR2/CR4, DR0-DR6, XCR0,
 *            the TSC, I/O ports.
 *   log      every klog() line, formatted "L module: text" (L = E W I D T, as on the serial
 *            console): a test asserts on what a handler said (the log is a product).
 *   stops    panic() and vmxlab_stop() fail the test with their message.
 *
 * Functions other files of vmx define (exit_handler_set, intr_controller_set, vcpu_wake, the
 * handlers of exit.c's table, ...) are weak here: a test that links the real file gets the
 * real one. fake_reset() puts everything back (not the static state of the linked files: MSR
 * hooks, the CPUID filter, the interrupt controller); call it first in every test.
 */
#ifndef TESTS_UNIT_FAKE_VMCS_H
#define TESTS_UNIT_FAKE_VMCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/log.h"
#include "vmx/exit.h"
#include "vmx/vcpu.h"
#include "vmx/vmx_defs.h"

/* VMCS field encodings are below 0x7000 (SDM Vol.3D Appendix B). */
#define FAKE_VMCS_FIELDS 0x7000u
extern uint64_t fake_vmcs[FAKE_VMCS_FIELDS];
extern unsigned fake_vmcs_written[FAKE_VMCS_FIELDS];

struct fake_cpu {
    uint64_t cr0, cr2, cr3, cr4;   /* vmxlab's (host) control registers */
    uint64_t dr[8];                /* DR0-DR7 as last written (host = guest for DR0-3, DR6) */
    uint64_t xcr0;
    unsigned xsetbv_count;
    /* I/O ports: IN returns port[p] (a test sets what the device answers); OUT stores there
     * and counts */
    uint32_t port[0x10000];
    unsigned outs;
    uint64_t tsc;                  /* rdtsc() returns it and adds tsc_step */
    uint64_t tsc_step;
    /* vmx/setup.c's TLB flushes, counted */
    unsigned flush_vpid, flush_tlb;
    unsigned wakes;                /* vcpu_wake() calls (when interrupts.c is not linked) */
    /* control bits the fake CPU refuses to set (vmx_ctl_change returns false, *missing) */
    uint32_t ctl_refuse[VMX_CTL_COUNT];
};
extern struct fake_cpu fake_cpu;

/* The handler table when vmx/exit.c is not linked (exit_handler_set/get), and the interrupt
 * controller the apic module registered when vmx/interrupts.c is not. */
extern exit_handler_t fake_handlers[EXIT_REASON_COUNT];
extern const struct intr_controller *fake_intr_controller;

/* The physical local APIC vmxlab runs on (apic/papic.h): its register page; EOI writes
 * counted; fake_papic_set sets a vector's bit in a bank (ISR 0x100, TMR 0x180, IRR 0x200). */
extern uint32_t fake_papic[1024];
extern unsigned fake_papic_eois;
void fake_papic_set(uint32_t bank, uint8_t vector);

/* Guest-physical memory [pa, pa+len), mapped at the same address in the test process (as
 * vmxlab sees it: kernel/lib.h phys_to_virt), zeroed; pa page-aligned, above 64 KiB, below
 * 4 GiB. Once per address per process. */
void *fake_guest_memory(uint64_t pa, size_t len);

/* Everything back to the start: VMCS zero, vmx with the capabilities below, no CPUID
 * leaves, no MSRs, empty log (threshold LOG_DEBUG), fake_cpu zero with CR4.OSXSAVE set. */
void fake_reset(void);

/* CPUID(leaf, subleaf) answers these; a leaf never set answers zeros. */
void fake_cpuid_set(uint32_t leaf, uint32_t subleaf, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx);
/* rdmsr() of an MSR never set fails the test: a handler read an MSR it should not have. */
void fake_msr_set(uint32_t msr, uint64_t value);
uint64_t fake_msr_get(uint32_t msr);

/* A vCPU at a VM exit: the exit-information fields in the fake VMCS and in struct vcpu, as
 * exit_dispatch() leaves them. */
void fake_exit(struct vcpu *v, uint32_t reason, uint64_t qualification, uint64_t rip, uint32_t insn_len);

/* The log. */
unsigned fake_log_count(void);
const char *fake_log_line(unsigned i);      /* "I exit: ..." */
/* The first line of that level and module whose text contains every one of the NULL-ended
 * strings, or NULL (level: 'E' 'W' 'I' 'D' 'T'). */
const char *fake_log_find(char level, const char *module, ...) __attribute__((sentinel));
void fake_log_clear(void);
/* Print the log (for a failing test). */
void fake_log_dump(void);

/* The entry interruption-information field of an injected exception (SDM 24.8.3, Table
 * 24-16): valid, type, vector, deliver-error-code, as a test expects it written. */
static inline uint32_t fake_entry_info(void) { return (uint32_t)fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO]; }

#endif
