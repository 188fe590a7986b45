/* The xAPIC Interrupt Command Register: decode (SDM Vol.3A 10.6.1, Figure 10-12) and decide
 * what a guest's IPI means for vmxlab's vCPUs, by the valid combinations of SDM Table 10-3
 * (Pentium 4 and Xeon xAPIC; newer editions number it Table 11-3 or 10-6).
 *
 * Pure logic, unit-tested on the host (tests/unit/test_icr.c). The caller acts on the decision;
 * nothing here ever touches a physical APIC. */
#ifndef APIC_ICR_H
#define APIC_ICR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ICR low (offset 0x300) fields */
#define ICR_VECTOR_MASK        0x000000FFu  /* 7:0 */
#define ICR_DELIVERY_MODE_SHIFT 8           /* 10:8 */
#define ICR_DEST_LOGICAL       (1u << 11)
#define ICR_DELIVERY_PENDING   (1u << 12)   /* read-only: send pending */
#define ICR_LEVEL_ASSERT       (1u << 14)
#define ICR_TRIGGER_LEVEL      (1u << 15)
#define ICR_SHORTHAND_SHIFT    18           /* 19:18 */
#define ICR_LOW_WRITABLE       0x000CCFFFu  /* everything but delivery status and reserved bits */
/* ICR high (offset 0x310): destination in bits 31:24 */
#define ICR_DEST_SHIFT         24
#define ICR_HIGH_WRITABLE      0xFF000000u

enum icr_delivery {
    ICR_DM_FIXED = 0, ICR_DM_LOWEST = 1, ICR_DM_SMI = 2, ICR_DM_RESERVED3 = 3,
    ICR_DM_NMI = 4, ICR_DM_INIT = 5, ICR_DM_STARTUP = 6, ICR_DM_RESERVED7 = 7,
};

enum icr_shorthand { ICR_SH_NONE = 0, ICR_SH_SELF = 1, ICR_SH_ALL_INCL = 2, ICR_SH_ALL_EXCL = 3 };

struct icr {
    uint8_t vector;
    uint8_t delivery;     /* enum icr_delivery */
    bool logical;         /* destination mode: 0 physical, 1 logical */
    bool pending;         /* delivery status (as read) */
    bool level_assert;    /* level: 1 assert, 0 de-assert */
    bool trigger_level;   /* trigger mode: 1 level, 0 edge */
    uint8_t shorthand;    /* enum icr_shorthand */
    uint8_t dest;         /* ICR high 31:24 (xAPIC) */
};

void icr_decode(uint32_t low, uint32_t high, struct icr *out);
const char *icr_delivery_name(unsigned delivery);   /* "INIT", "SIPI", "fixed", ... */
const char *icr_shorthand_name(unsigned shorthand); /* "none", "self", ... */

/* The vCPUs a destination can name. vCPU i has APIC ID i (vmxlab's convention). */
#define ICR_MAX_VCPUS 8
struct icr_vcpu_view {
    uint32_t ldr;         /* logical destination register (31:24 logical ID) */
    uint32_t dfr;         /* destination format register (31:28: 1111 flat, 0000 cluster) */
    bool wait_for_sipi;   /* in the (software) wait-for-SIPI state */
    bool apic_enabled;    /* SVR bit 8: a software-disabled APIC accepts no fixed interrupts */
};
struct icr_env {
    unsigned self;        /* the sender's vCPU number = APIC ID */
    unsigned nvcpus;      /* vCPUs 0..nvcpus-1 exist */
    struct icr_vcpu_view vcpu[ICR_MAX_VCPUS];
};

enum icr_action {
    ICR_DELIVER_INIT,     /* INIT every vCPU in .targets (Table 9-1 reset) */
    ICR_DELIVER_SIPI,     /* start every vCPU in .targets at .vector<<8:0000 */
    ICR_DELIVER_FIXED,    /* interrupt .vector for every vCPU in .targets */
    ICR_DELIVER_NMI,      /* NMI for every vCPU in .targets */
    ICR_IGNORED,          /* valid, but has no effect (.why says why) */
    ICR_INVALID,          /* not a valid combination: refused, .why = the rule, .esr bits */
    ICR_DROPPED,          /* no vCPU matches the destination (.why) */
};

struct icr_decision {
    enum icr_action action;
    struct icr icr;
    uint32_t targets;     /* bit i: vCPU i */
    uint8_t vector;
    uint32_t esr;         /* error-status bits the sender's APIC records (SDM 10.5.3) */
    const char *why;      /* for IGNORED, INVALID, DROPPED; NULL otherwise */
};

#define ESR_SEND_ILLEGAL_VECTOR (1u << 5)   /* SDM 10.5.3, Figure 10-9 */

void icr_classify(uint32_t low, uint32_t high, const struct icr_env *env, struct icr_decision *d);

/* One log line, without the module prefix:
 *   "ICR 0x00004500 dest 00 -> INIT to vcpu0"
 *   "ICR 0x00044500 dest 00 -> refused: INIT with the self shorthand is not a valid combination (SDM Table 10-3)"
 * Returns the length the full text needs, like snprintf. */
int icr_describe(const struct icr_decision *d, uint32_t low, uint32_t high, char *buf, size_t len);

#endif
