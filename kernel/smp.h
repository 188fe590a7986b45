/* Bring-up of the physical CPUs (issue 10, first step): vmxlab starts every application
 * processor (AP) the ACPI MADT lists, up to cpus=N, with its own INIT-SIPI-SIPI (SDM Vol.3A
 * 8.4.4.1 "Typical BSP Initialization Sequence"), takes it through a real-mode trampoline to
 * long mode on vmxlab's page tables with its own stack, GDT and TSS, puts it in VMX root
 * operation and parks it with HLT. No AP runs a guest yet. docs/apic-init.md tells the story. */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <stdbool.h>
#include <stdint.h>

struct acpi_madt;
struct mb2_info;
struct page_pool;

/* VMX root operation on the calling CPU with the zeroed VMXON region at vmxon_pa: 0 on
 * success, else a result that `why` turns into words. kernel/ does not include vmx/: main.c
 * hands these in (vmx_enable_this_cpu, vmx_enable_result_text). */
struct smp_vmx_ops {
    int (*enable)(uint64_t vmxon_pa, bool *locked_fc);
    const char *(*why)(int result);
};

/* Start the APs, one at a time, each fully parked (or given up on) before the next. Must run
 * before the guest image is placed and before any guest code runs: it borrows one page of
 * base memory and gives it back as it was. `max_cpus` is cpus=N (0: all), `conv_top` the top
 * of the base memory vmxlab may borrow from, `info_phys` the multiboot2 information (not to
 * be overwritten). Returns the number of CPUs in the count, the boot CPU included. */
unsigned smp_start(const struct acpi_madt *madt, unsigned max_cpus, const struct smp_vmx_ops *vmx,
                   struct page_pool *pool, const struct mb2_info *mbi, uint64_t info_phys, uint32_t conv_top);

/* The CPUs that came up, the boot CPU included: CPU i runs vCPU i (0 .. count-1). */
unsigned smp_cpu_count(void);
/* Run fn(index) on parked CPU `index` (1 .. count-1) and wait until it calls smp_ap_ready()
 * (false when it did not within 100 ms). fn does not return: it runs the CPU's vCPU. */
bool smp_run(unsigned index, void (*fn)(unsigned index));
void smp_ap_ready(unsigned index);
/* Wake CPU `index`: an NMI IPI (SDM Vol.3A 10.6.1, delivery mode NMI). A CPU in VMX non-root
 * operation takes a VM exit for it ("NMI exiting"), one in root operation its NMI handler,
 * which ends an idle HLT (arch/x86_64/cpu_local.h). vmxlab's only use of a physical IPI once a
 * guest runs: never INIT or SIPI. */
void smp_kick(unsigned index);

#endif
