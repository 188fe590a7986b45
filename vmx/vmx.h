/* The vmx module's entry points for the boot flow and for the modules above it (apic).
 *
 * Boot order (kernel/main.c): vmx_probe() -> vmx_setup() (VMXON, EPT, VMCS, guest image)
 * -> apic_setup() (adds its controls, pages and exit handlers) -> on each AP, through
 * smp_run(): vmx_vcpu_create() -> apic_vcpu_setup() -> vmx_run() -> vmx_run(vCPU 0) on the boot
 * CPU. vmx_run() never returns. */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/options.h"
#include "kernel/panic.h"
#include "vmx/vmx_caps.h"

struct mb2_info;
struct page_pool;

/* Read and report the VMX capabilities; returns STATUS_OK when vmxlab can run a guest here,
 * else the status to stop with (the reason is logged). */
int vmx_probe(void);
const struct vmx_caps *vmx_caps(void);

/* VMX root operation on the calling CPU, after vmx_probe() (its capabilities are taken to hold
 * for every CPU): IA32_FEATURE_CONTROL (locked if the firmware did not; *locked_fc then true),
 * the CR0/CR4 fixed bits, CR4.VMXE, then VMXON with the zeroed page at vmxon_pa (SDM Vol.3C
 * 23.7 "Enabling and Entering VMX Operation"). Returns 0 in VMX root operation, else 1
 * (VMfailInvalid), 2 (VMfailValid) or one of the two below; logs nothing, so that an
 * application processor can call it while the boot CPU waits for it (kernel/smp.c). */
#define VMX_ENABLE_NO_VMX 3     /* CPUID.1:ECX.VMX clear */
#define VMX_ENABLE_LOCKED_OFF 4 /* IA32_FEATURE_CONTROL locked without VMX outside SMX */
int vmx_enable_this_cpu(uint64_t vmxon_pa, bool *locked_fc);
const char *vmx_enable_result_text(int result);

struct vmx_guest_image {
    const void *data;   /* the module, where GRUB put it */
    uint32_t size;
    uint8_t boot_drive; /* DL at entry */
};

/* VMXON, EPT, VMCS and the guest's initial state. Stops vmxlab on failure. */
void vmx_setup(const struct options *opts, const struct mb2_info *mbi, struct page_pool *pool,
               const struct vmx_guest_image *guest);
/* vCPU `id` (0 .. VMX_MAX_VCPUS-1), whose local APIC ID is `id`; vCPU 0 is the BSP. */
struct vcpu *vmx_vcpu(unsigned id);
/* vCPU `id` (1 ..) on the calling CPU, which will run it: its VMCS, in the INIT state,
 * waiting for SIPI. */
struct vcpu *vmx_vcpu_create(unsigned id);
/* Run vCPU v on the calling CPU (the CPU that created it): take its requests, enter the guest
 * and dispatch exits until a handler stops vmxlab (vmx/vcpu_run.c). */
__attribute__((noreturn)) void vmx_run(struct vcpu *v);

/* For modules above vmx, between vmx_setup() and vmx_run(): */
uint64_t vmx_alloc_page(void);                 /* a zeroed 4 KiB page, hidden from the guest */
/* Set/clear bits of a control field of v's VMCS, which must be the current VMCS (SDM A.3-A.5
 * adjusted); false (and *missing) when the CPU cannot set a wanted bit; nothing is written then. */
struct vcpu;
bool vmx_ctl_change(struct vcpu *v, enum vmx_ctl ctl, uint32_t set, uint32_t clear, uint32_t *missing);
/* Map one 4 KiB guest-physical page in EPT (split a large page if needed) and INVEPT. */
void vmx_ept_map_page(uint64_t gpa, uint64_t hpa, uint64_t perms, unsigned memtype);

#endif
