/* A virtual xAPIC register file (SDM Vol.3A 10.4-10.6, Table 10-1) with the read and write
 * semantics of each register: read-only registers, reserved bits, write-only EOI, the ESR's
 * write-then-read protocol, LVT masks forced while the APIC is software-disabled, ICR delivery
 * status. The registers live in a 4 KiB page laid out like the APIC's MMIO page, so that with
 * APIC-register virtualization the same page is the VMCS's virtual-APIC page (SDM Vol.3C 29.1):
 * the CPU reads it directly and vmxlab applies the semantics after an APIC-write exit.
 *
 * Pure logic, unit-tested on the host (tests/unit/test_vlapic.c). */
#ifndef APIC_VLAPIC_H
#define APIC_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Register offsets (SDM Table 10-1) */
#define APIC_ID        0x020
#define APIC_VERSION   0x030
#define APIC_TPR       0x080
#define APIC_APR       0x090
#define APIC_PPR       0x0A0
#define APIC_EOI       0x0B0
#define APIC_RRD       0x0C0
#define APIC_LDR       0x0D0
#define APIC_DFR       0x0E0
#define APIC_SVR       0x0F0
#define APIC_ISR       0x100 /* 8 registers, 0x100-0x170 */
#define APIC_TMR       0x180 /* 0x180-0x1F0 */
#define APIC_IRR       0x200 /* 0x200-0x270 */
#define APIC_ESR       0x280
#define APIC_ICR_LOW   0x300
#define APIC_ICR_HIGH  0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_THERMAL 0x330
#define APIC_LVT_PERF  0x340
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE  0x3E0

/* Version register: version 14h (integrated xAPIC), max LVT entry 5 (six LVTs, no CMCI). */
#define VLAPIC_VERSION 0x00050014u

#define APIC_SVR_ENABLE   (1u << 8)
#define APIC_LVT_MASKED   (1u << 16)
#define ESR_ILLEGAL_REGISTER (1u << 7)   /* SDM 10.5.3 */

struct vlapic {
    uint32_t *page;              /* 4 KiB: register at offset X is page[X / 4] */
    unsigned id;                 /* APIC ID = vCPU number; kept across INIT */
    uint32_t esr_pending;        /* errors since the last ESR write (SDM 10.5.3) */
    uint64_t timer_start;        /* clock() when the initial count was written */
    uint64_t (*clock)(void);     /* time base for the timer's current count; may be NULL */
    int last_eoi;                /* vector the last EOI retired, -1 when none */
    uint32_t (*current_count)(void); /* when set, the timer's current count comes from it */
};

/* Bind a vlapic to its page (zeroed here), set its ID and the power-up/INIT register values. */
void vlapic_setup(struct vlapic *a, void *page, unsigned id, uint64_t (*clock)(void));

/* INIT (SDM 10.4.7.3): every register to its reset value, except the APIC ID. Also the
 * power-up values. The APIC's base address and x2APIC mode are not here: they are the
 * IA32_APIC_BASE MSR's, which INIT keeps. */
void vlapic_reset(struct vlapic *a);

/* A guest read of `size` (1, 2 or 4) bytes at `offset` in the APIC page. Reserved and
 * write-only registers read 0; an offset that names no register also sets ESR bit 7. Bytes
 * 4-15 of a register's 16-byte slot are reserved: they read 0 and ignore writes (no ESR bit). */
uint32_t vlapic_read(struct vlapic *a, uint32_t offset, unsigned size);

/* What a write did, for the caller to act on. */
enum vlapic_effect {
    VLAPIC_WROTE,        /* stored (with reserved bits cleared) */
    VLAPIC_READ_ONLY,    /* a read-only register: ignored */
    VLAPIC_ILLEGAL,      /* no register there: ignored, ESR bit 7 */
    VLAPIC_SEND_IPI,     /* ICR low written: the caller sends the IPI, then vlapic_icr_done() */
    VLAPIC_EOI,          /* the highest in-service vector was retired (vlapic_last_eoi) */
    VLAPIC_TIMER_ARMED,  /* initial count written */
    VLAPIC_DISABLED,     /* SVR bit 8 cleared: every LVT masked */
    VLAPIC_NO_EFFECT,    /* a TPR write that lowered no priority class: stored (and the PPR),
                          * but no pending interrupt can have become deliverable */
};

/* A guest write. Sub-dword writes are merged into the register (the SDM leaves them undefined;
 * real code uses 32-bit accesses). */
enum vlapic_effect vlapic_write(struct vlapic *a, uint32_t offset, unsigned size, uint32_t value);

/* The semantics of a write the CPU already stored in the page (APIC-write exit, trap-like,
 * SDM Vol.3C 29.4.3.3): re-applies the register's rules to the value found there. */
enum vlapic_effect vlapic_write_done(struct vlapic *a, uint32_t offset);

/* The raw register value (no side effects): for the log and for the caller's decisions. */
static inline uint32_t vlapic_reg(const struct vlapic *a, uint32_t offset) { return a->page[(offset & 0xFF0u) / 4]; }

/* ICR delivery status: set by a write to ICR low (send pending), cleared by this. */
void vlapic_icr_done(struct vlapic *a);

bool vlapic_enabled(const struct vlapic *a);        /* SVR bit 8 */
void vlapic_error(struct vlapic *a, uint32_t esr_bits);

/* Interrupt bookkeeping (SDM 10.8): IRR, ISR, TMR and the priorities derived from them. */
bool vlapic_set_irr(struct vlapic *a, uint8_t vector, bool level); /* false: already pending */
int vlapic_highest_irr(const struct vlapic *a);     /* -1 when none */
int vlapic_highest_isr(const struct vlapic *a);     /* -1 when none */
void vlapic_ack(struct vlapic *a, uint8_t vector);  /* IRR -> ISR: the CPU took it */
uint32_t vlapic_ppr(const struct vlapic *a);        /* SDM 10.8.3.1 */
uint32_t vlapic_apr(const struct vlapic *a);        /* SDM 10.6.2.4 */
int vlapic_last_eoi(const struct vlapic *a);        /* vector retired by the last EOI, -1 none */

/* The timer's current count from a real timer that runs it (vmxlab: the physical APIC's). */
void vlapic_set_current_count(struct vlapic *a, uint32_t (*fn)(void));
/* The divide configuration register's divisor: 1, 2, 4, ... 128 (SDM 10.5.4, Figure 10-10). */
uint32_t vlapic_timer_divisor(const struct vlapic *a);

/* "ICR low", "LVT timer", "ISR[2]", or NULL for an offset that names no register. */
const char *vlapic_reg_name(uint32_t offset);

#endif
