/* The host's GDT and TSS. VMX needs a real TR: the host-state area's TR selector must be
 * non-zero (SDM Vol.3 26.2.3, "Checks on Host Segment and Descriptor-Table Registers"). */
#ifndef ARCH_GDT_H
#define ARCH_GDT_H

#include <stdint.h>

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS 0x18

struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7]; /* ist[0] is IST1 */
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};

#define GDT_MAX_CPUS 16 /* CPUs with a GDT and TSS of their own; index 0 is the boot CPU */

/* Load CPU `cpu`'s GDT, reload CS/DS/ES/SS and LTR its TSS, on the calling CPU. */
#define GDT_IST1_SIZE 8192 /* the stack NMI and #DF switch to (IST1), per CPU */
/* Load CPU `cpu`'s GDT and TSS; ist1_top: the top of its IST1 stack (0: the boot CPU's, static;
 * an AP's comes from the page pool, so that CPUs that are not there cost no memory). */
void gdt_init_cpu(unsigned cpu, uint64_t ist1_top);
void gdt_init(void); /* the boot CPU's: gdt_init_cpu(0, 0) */
/* For the VMCS host-state area (HOST_GDTR_BASE, HOST_TR_BASE) of the CPU that runs it */
uint64_t gdt_base_of(unsigned cpu);
uint64_t tss_base_of(unsigned cpu);
uint64_t gdt_base(void); /* the boot CPU's */
uint64_t tss_base(void);

#endif
