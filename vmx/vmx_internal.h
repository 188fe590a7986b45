/* State shared by the files of the vmx module (not for modules above it). */
#ifndef VMX_INTERNAL_H
#define VMX_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/memory.h"
#include "kernel/options.h"
#include "vmx/cpuid_view.h"
#include "vmx/e820.h"
#include "vmx/ept.h"
#include "vmx/exit.h"
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
    uint64_t io_bitmap_pa[2];        /* I/O bitmaps A and B (exit_io.c) */
    struct io_watch io_watch;        /* the reset and ACPI sleep ports */
    uint8_t boot_drive;              /* DL at guest entry */
    uint64_t guest_copy_pa;          /* on_reset=restart: the guest image as loaded */
    uint32_t guest_copy_size;
    unsigned guest_restarts;
    uint64_t ones_page_pa;           /* ept.holes=ones: the read-only page of all ones (0: none yet) */
    unsigned hole_pages;             /* guest-physical hole pages mapped to it */
    struct cpuid_view cpuid;         /* what the guest's CPUID shows and hides (cpuid.c) */
    /* one per vCPU; vCPU i has APIC ID i. Only vcpus[0] (the BSP) runs today. */
    struct vcpu vcpus[VMX_MAX_VCPUS];
};

extern struct vmx_state vmx;

/* guest.stop (stopwatch.c): after setup_controls, adds the VMX-preemption timer's controls
 * (v->ctl and the VMCS) and writes its count */
void stopwatch_setup(struct vcpu *v);

int vmx_enter(struct vcpu *v); /* entry.asm */
void vmx_exit_stub(void);

/* The exit path's VMCS access: VMREAD/VMWRITE inline, with one branch on CF|ZF; a failure
 * goes to the checked vmcs_read()/vmcs_write() (vmcs.c), which repeats the instruction and
 * stops vmxlab naming the field and the VM-instruction error (docs/performance.md). */
uint64_t vmcs_read(uint64_t field);
void vmcs_write(uint64_t field, uint64_t value);
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

/* setup.c */
void vmx_guest_initial_state(struct vcpu *v, const struct options *o, uint8_t boot_drive);
/* the CR0/CR4 value vmxlab really loads for a value the guest wants (owned bits forced) */
uint64_t vmx_guest_cr0_real(uint64_t wanted);
uint64_t vmx_guest_cr4_real(uint64_t wanted);
void msr_bitmap_intercept(uint32_t msr, bool read, bool write);

/* cpuid.c: decides the guest's CPUID view; returns the secondary controls it needs */
uint32_t vmx_cpuid_setup(void);

/* setup.c: INVVPID of the vCPU's VPID (single context when the CPU has it) */
void vmx_flush_vpid(struct vcpu *v);

/* tsc.c: "use TSC offsetting" and the TSC MSR hooks (after setup_controls) */
void vmx_tsc_setup(struct vcpu *v);

/* exit.c */
enum exit_action exit_dispatch(struct vcpu *v);
void exit_stats_log(struct vcpu *v);
void exit_history_log(struct vcpu *v);
void vcpu_log_registers(struct vcpu *v);

/* exit_io.c: I/O bitmaps for the reset and power-off ports; on_reset=restart's image copy */
struct vmx_guest_image;
void io_setup(const struct vmx_guest_image *guest);

/* nmi.c: a held NMI injected, or NMI-window exiting on, before a VM entry */
void nmi_before_entry(struct vcpu *v);

/* interrupts.c */
void intr_before_entry(struct vcpu *v);

/* biosmem.c: the guest's view of memory (INT 15h E820/E801/88h) */
void biosmem_install(void);
bool biosmem_vmcall(struct vcpu *v); /* true when the VMCALL was the INT 15h stub's */

/* guest memory access (guest-physical == host-physical below 4 GiB; EPT is an identity map) */
bool guest_linear_to_phys(struct vcpu *v, uint64_t linear, uint64_t len, uint64_t *pa);

#endif
