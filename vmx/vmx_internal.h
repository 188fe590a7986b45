/* State shared by the files of the vmx module (not for modules above it). */
#ifndef VMX_INTERNAL_H
#define VMX_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/memory.h"
#include "kernel/options.h"
#include "vmx/a20.h"
#include "vmx/cpuid_view.h"
#include "vmx/e820.h"
#include "vmx/ept.h"
#include "vmx/exit.h"
#include "vmx/exit_path.h"
#include "vmx/io_decode.h"
#include "vmx/vcpu.h"
#include "vmx/vmx_caps.h"
#include "vmx/vmx_defs.h"

struct vmx_state {
    struct vmx_caps caps;
    struct options opts;
    struct page_pool *pool;
    struct ept ept;
    uint64_t eptp;
    uint64_t vmxon_pa;
    uint64_t msr_bitmap_pa;
    uint64_t cr0_mask, cr4_mask;     /* guest/host masks: the bits vmxlab owns */
    uint64_t hidden_start, hidden_end; /* vmxlab's memory, not mapped for the guest */
    struct e820_entry guest_map[80]; /* what INT 15h E820 tells the guest */
    size_t guest_map_count;
    uint32_t bios_hook_linear;       /* INT 15h stub's VMCALL address (0: none) */
    uint64_t bios_hook_rip;          /* its offset in the stub's segment, compared first (exit_vmcall) */
    uint64_t io_bitmap_pa[2];        /* I/O bitmaps A and B (exit_io.c); each vCPU copies A */
    struct a20_state a20;            /* the guest's A20 gate and its wrap in EPT (a20.c) */
    struct io_watch io_watch;        /* the reset and ACPI sleep ports */
    uint8_t boot_drive;              /* DL at guest entry */
    uint64_t guest_copy_pa;          /* on_reset=restart: the guest image as loaded */
    uint32_t guest_copy_size;
    unsigned guest_restarts;
    uint64_t ones_page_pa;           /* ept.holes=ones: the read-only page of all ones (0: none yet) */
    unsigned hole_pages;             /* guest-physical hole pages mapped to it */
    struct cpuid_view cpuid;         /* what the guest's CPUID shows and hides (cpuid.c) */
    uint32_t cpuid_proc2;            /* the secondary controls the CPUID view needs (cpuid.c) */
    /* one per vCPU; vCPU i has APIC ID i and runs on CPU i; vcpus[0] is the BSP */
    struct vcpu vcpus[VMX_MAX_VCPUS];
    unsigned nvcpus;                 /* vCPUs 0 .. nvcpus-1 exist */
};

extern struct vmx_state vmx;

/* guest.stop (stopwatch.c): after setup_controls, adds the VMX-preemption timer's controls
 * (v->ctl and the VMCS) and writes its count */
void stopwatch_setup(struct vcpu *v);

/* entry.asm: the run loop (never returns) and where the CPU goes on a VM exit (HOST_RIP) */
__attribute__((noreturn)) void vmx_loop(struct vcpu *v);
void vmx_exit_stub(void);
/* exit.c, called by entry.asm: after each exit; when an entry instruction failed */
void vmx_exit_handle(struct vcpu *v);
enum exit_action vmx_exit_dispatch(struct vcpu *v); /* the dispatcher alone (host tests) */
void exit_table_finish(void);                       /* before the first entry (and in host tests) */
__attribute__((noreturn)) void vmx_entry_failed(struct vcpu *v, int how, int which);

/* The exit path's VMCS access: VMREAD/VMWRITE inline, with one branch on CF|ZF; a failure
 * goes to the checked vmcs_read()/vmcs_write() (vmcs.c), which repeats the instruction and
 * stops vmxlab naming the field and the VM-instruction error (docs/performance.md). */
uint64_t vmcs_read(uint64_t field);
void vmcs_write(uint64_t field, uint64_t value);
/* vmx/vcpu_reset.c: build v's INIT state once, at setup (vcpu_init_reset writes it) */
void vcpu_init_prepare(struct vcpu *v);
/* vmx/vcpu_run.c: v halts for good, vmxlab is stopping (a VCPU_REQ_STOP) */
__attribute__((noreturn)) void vcpu_halt_for_good(struct vcpu *v);

#ifdef VMXLAB_HOST_TEST
/* host tests: the fake VMCS (tests/unit/fake_vmcs.c) */
uint64_t vmcs_read_hot(uint64_t field);
void vmcs_write_hot(uint64_t field, uint64_t value);
#else
static inline uint64_t vmcs_read_hot(uint64_t field)
{
    uint64_t v;
    bool bad;
    __asm__ volatile("vmread %2, %0" : "=r"(v), "=@ccbe"(bad) : "r"(field));
    return __builtin_expect(bad, 0) ? vmcs_read(field) : v;
}
static inline void vmcs_write_hot(uint64_t field, uint64_t value)
{
    bool bad;
    __asm__ volatile("vmwrite %2, %1" : "=@ccbe"(bad) : "r"(field), "rm"(value));
    if (__builtin_expect(bad, 0))
        vmcs_write(field, value);
}
#endif

/* The exit path's own fields (EXIT_PATH_FIELDS), read and written without the test.
 * VMREAD and VMWRITE fail only outside VMX operation, without a current VMCS, for a field
 * the CPU does not support, or (VMWRITE) for a read-only field (SDM Vol.3C 30.3 "VMX
 * Instructions", VMREAD and VMWRITE, Operation). On the exit path the VMCS is current by
 * construction (the exit happened on it, and a VM exit leaves it current: SDM 27 "VM
 * Exits"); every one of these fields exists on every VMX processor (SDM Appendix B), and
 * vmx_run() reads each once with the checked vmcs_read() before the first entry, so a CPU
 * that lacked one would stop vmxlab there, naming it. vmx_run()'s list: */
#define EXIT_PATH_FIELDS                                                                                      \
    VMCS_EXIT_REASON, VMCS_EXIT_QUALIFICATION, VMCS_GUEST_RIP, VMCS_IDT_VECTORING_INFO, VMCS_GUEST_CS_SELECTOR, \
        VMCS_EXIT_INSTRUCTION_LENGTH, VMCS_GUEST_INTERRUPTIBILITY_STATE, VMCS_GUEST_RFLAGS, VMCS_GUEST_CR4, VMCS_GUEST_SS_ACCESS_RIGHTS
#ifdef VMXLAB_HOST_TEST
/* host tests: the fake VMCS, as the checked accessors */
static inline uint64_t vmcs_read_exit(uint64_t field) { return vmcs_read(field); }
static inline void vmcs_write_exit(uint64_t field, uint64_t value) { vmcs_write(field, value); }
#else
static inline uint64_t vmcs_read_exit(uint64_t field)
{
    uint64_t v;
    __asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
    return v;
}
static inline void vmcs_write_exit(uint64_t field, uint64_t value)
{
    __asm__ volatile("vmwrite %1, %0" ::"r"(field), "rm"(value) : "cc");
}
#endif


/* exit.c: RIP past an instruction vmxlab carried out (vcpu_skip_instruction(), inline) */
void skip_rules_rare(uint64_t intr);
static inline void vcpu_skip_hot(struct vcpu *v, uint64_t len)
{
    v->rip += len;
    vmcs_write_exit(VMCS_GUEST_RIP, v->rip);
    /* an instruction that completes ends STI/MOV-SS blocking (SDM 24.4.2, Table 24-3), and
     * with RFLAGS.TF it owes a single-step trap (SDM 18.3.1.4): both rare, one call site for
     * them, so that the common path needs no stack frame */
    uint64_t intr = vmcs_read_exit(VMCS_GUEST_INTERRUPTIBILITY_STATE);
    if (__builtin_expect(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS), 0))
        goto rare;
    if (__builtin_expect(vmcs_read_exit(VMCS_GUEST_RFLAGS) & RFLAGS_TF, 0))
        goto rare;
    return;
rare:
    skip_rules_rare(intr);
}
/* the VM-exit instruction length (SDM 27.2.5): read only by the handlers that skip */
static inline void vcpu_skip_instruction_hot(struct vcpu *v)
{
    vcpu_skip_hot(v, vmcs_read_exit(VMCS_EXIT_INSTRUCTION_LENGTH)); /* 32 bits, zero-extended by VMREAD */
}

/* setup.c */
void vmx_guest_initial_state(struct vcpu *v, const struct options *o, uint8_t boot_drive);
/* the CR0/CR4 value vmxlab really loads for a value the guest wants (owned bits forced) */
uint64_t vmx_guest_cr0_real(uint64_t wanted);
uint64_t vmx_guest_cr4_real(uint64_t wanted);
void msr_bitmap_intercept(uint32_t msr, bool read, bool write);

/* cpuid.c: decides the guest's CPUID view; returns the secondary controls it needs */
uint32_t vmx_cpuid_setup(void);
/* cpuid.c: the vCPU's table of CPUID answers, once every filter is installed (before its first entry) */
void vmx_cpuid_table_build(struct vcpu *v);

/* setup.c: INVVPID of the vCPU's VPID (single context when the CPU has it) */
void vmx_flush_vpid(struct vcpu *v);

/* tsc.c: "use TSC offsetting" and the TSC MSR hooks (after setup_controls) */
void vmx_tsc_setup(struct vcpu *v);

/* exit.c */
void exit_stats_log(struct vcpu *v);
void exit_history_log(struct vcpu *v);
/* exit.c: does this (full) exit reason save an exit qualification (SDM 27.2.1)? */
bool exit_has_qualification(uint32_t full);
void vcpu_log_registers(struct vcpu *v);
void memory_stats_log(void);
/* vcpu_reset.c: take the vCPU's requests before an entry; while it waits for SIPI, HLT in root */
void vcpu_take_requests(struct vcpu *v);

/* exit_io.c: I/O bitmaps for the reset and power-off ports; on_reset=restart's image copy */
struct vmx_guest_image;
void io_setup(const struct vmx_guest_image *guest);
void io_vcpu_setup(struct vcpu *v); /* the bitmaps in v's VMCS, the current one */

/* nmi.c: a held NMI injected, or NMI-window exiting on, before a VM entry */
void nmi_before_entry(struct vcpu *v);

/* interrupts.c: the event for the next entry, when there may be one to deliver */
void intr_before_entry_work(struct vcpu *v);

/* Before every entry; the common case (nothing to deliver: no event set, no interrupted
 * delivery to re-inject, nothing held, no NMI) is one test of one word, inline in the exit
 * path (docs/performance.md). */
static inline void intr_before_entry(struct vcpu *v)
{
    if (__builtin_expect(v->entry_work != 0, 0))
        intr_before_entry_work(v);
}

/* biosmem.c: the guest's view of memory (INT 15h E820/E801/88h) */
void biosmem_install(void);
bool biosmem_vmcall(struct vcpu *v); /* true when the VMCALL was the INT 15h stub's */
/* exit_basic.c: which hypercall exit_vmcall() answers itself (none at log=debug); exit_table_finish() */
void hypercall_setup(void);

/* guest memory access (guest-physical == host-physical below 4 GiB; EPT is an identity map) */
bool guest_linear_to_phys(struct vcpu *v, uint64_t linear, uint64_t len, uint64_t *pa);

#endif
