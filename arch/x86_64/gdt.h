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

void gdt_init(void);
uint64_t gdt_base(void);
uint64_t tss_base(void);

#endif
