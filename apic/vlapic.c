/* The virtual local APIC's registers: SDM Vol.3A Table 10-1 as data (offset, access, writable
 * bits, reset value), and the few registers whose reads or writes do more than store a value. */
#include "apic/vlapic.h"
#include "apic/icr.h"
#include "vmx/exit_path.h"


enum access { RO, RW, WO };

struct reg_def {
    uint16_t offset;
    uint8_t count;       /* 8 for ISR/TMR/IRR: consecutive 16-byte slots */
    uint8_t access;
    uint32_t writable;   /* bits a write may change; the rest keep their reset value */
    uint32_t reset;      /* value after power-up and after INIT (SDM 10.4.7.1, 10.4.7.3) */
    const char *name;
};

/* SDM Vol.3A Table 10-1 "Local APIC Register Address Map" (xAPIC, max LVT entry 5). */
static const struct reg_def regs[] = {
    {APIC_ID, 1, RO, 0, 0, "ID"},                    /* model-specific R/W; vmxlab: the vCPU number */
    {APIC_VERSION, 1, RO, 0, VLAPIC_VERSION, "version"},
    {APIC_TPR, 1, RW, 0x000000FFu, 0, "TPR"},
    {APIC_APR, 1, RO, 0, 0, "APR"},                  /* computed: vlapic_apr() */
    {APIC_PPR, 1, RO, 0, 0, "PPR"},                  /* computed: vlapic_ppr() */
    {APIC_EOI, 1, WO, 0xFFFFFFFFu, 0, "EOI"},
    {APIC_RRD, 1, RO, 0, 0, "RRD"},
    {APIC_LDR, 1, RW, 0xFF000000u, 0, "LDR"},
    {APIC_DFR, 1, RW, 0xF0000000u, 0xFFFFFFFFu, "DFR"},          /* 27:0 read as 1 */
    {APIC_SVR, 1, RW, 0x000003FFu, 0x000000FFu, "SVR"},          /* vector, enable, focus */
    {APIC_ISR, 8, RO, 0, 0, "ISR"},
    {APIC_TMR, 8, RO, 0, 0, "TMR"},
    {APIC_IRR, 8, RO, 0, 0, "IRR"},
    {APIC_ESR, 1, RW, 0, 0, "ESR"},                  /* a write latches the errors: esr_write() */
    {APIC_ICR_LOW, 1, RW, ICR_LOW_WRITABLE, 0, "ICR low"},
    {APIC_ICR_HIGH, 1, RW, ICR_HIGH_WRITABLE, 0, "ICR high"},
    {APIC_LVT_TIMER, 1, RW, 0x000300FFu, APIC_LVT_MASKED, "LVT timer"},   /* no TSC-deadline mode */
    {APIC_LVT_THERMAL, 1, RW, 0x000107FFu, APIC_LVT_MASKED, "LVT thermal"},
    {APIC_LVT_PERF, 1, RW, 0x000107FFu, APIC_LVT_MASKED, "LVT performance"},
    {APIC_LVT_LINT0, 1, RW, 0x0001A7FFu, APIC_LVT_MASKED, "LVT LINT0"},   /* remote IRR read-only */
    {APIC_LVT_LINT1, 1, RW, 0x0001A7FFu, APIC_LVT_MASKED, "LVT LINT1"},
    {APIC_LVT_ERROR, 1, RW, 0x000100FFu, APIC_LVT_MASKED, "LVT error"},
    {APIC_TIMER_INITIAL, 1, RW, 0xFFFFFFFFu, 0, "timer initial count"},
    {APIC_TIMER_CURRENT, 1, RO, 0, 0, "timer current count"},            /* computed */
    {APIC_TIMER_DIVIDE, 1, RW, 0x0000000Bu, 0, "timer divide configuration"},
};
#define NREGS (sizeof(regs) / sizeof(regs[0]))

/* The register at each 16-byte slot of the page's first KiB (every register of Table 10-1
 * lies there): index + 1 into regs[], 0 for none; and the page's first KiB after a reset (the
 * registers' reset values in their slots, 0 elsewhere). Built from regs[] once, by the first
 * vlapic_setup (the BSP's, before any AP runs), or on first use in host tests, so a lookup on
 * the exit path is one load and a reset one copy. */
#define NSLOTS 64
static uint8_t slot_reg[NSLOTS];
static uint32_t reset_image[NSLOTS * 4];
static bool slots_built;

static void build_slots(void)
{
    for (unsigned i = 0; i < NREGS; i++)
        for (unsigned k = 0; k < regs[i].count; k++) {
            slot_reg[(regs[i].offset >> 4) + k] = (uint8_t)(i + 1);
            reset_image[(regs[i].offset + 0x10u * k) / 4] = regs[i].reset;
        }
    slots_built = true;
}

static inline __attribute__((always_inline)) const struct reg_def *find(uint32_t offset, unsigned *index)
{
    if (__builtin_expect(!slots_built, 0))
        build_slots();
    if (offset >= NSLOTS * 0x10u)
        return 0;
    unsigned i = slot_reg[offset >> 4];
    if (!i)
        return 0;
    const struct reg_def *d = &regs[i - 1];
    if (index)
        *index = ((offset & 0xFF0u) - d->offset) >> 4;
    return d;
}

static uint32_t *reg(const struct vlapic *a, uint32_t offset) { return &a->page[(offset & 0xFF0u) / 4]; }

const char *vlapic_reg_name(uint32_t offset)
{
#define EIGHT(n) {n "[0]", n "[1]", n "[2]", n "[3]", n "[4]", n "[5]", n "[6]", n "[7]"}
    static const char *const banks[3][8] = {EIGHT("ISR"), EIGHT("TMR"), EIGHT("IRR")};
#undef EIGHT
    unsigned idx = 0;
    const struct reg_def *d = find(offset, &idx);
    if (!d)
        return 0;
    if (d->count == 1)
        return d->name;
    return banks[d->offset == APIC_ISR ? 0 : d->offset == APIC_TMR ? 1 : 2][idx];
}

bool vlapic_enabled(const struct vlapic *a) { return *reg(a, APIC_SVR) & APIC_SVR_ENABLE; }

void vlapic_error(struct vlapic *a, uint32_t esr_bits) { a->esr_pending |= esr_bits; }

/* ---- priorities (SDM 10.8.3.1, 10.6.2.4) ---- */

static int highest_in(const struct vlapic *a, uint32_t base)
{
    const uint32_t *p = &a->page[base / 4]; /* the 8 registers, 16 bytes apart */
    /* mostly all zero: one test for that (8 loads, no branches) before the search */
    if (!(p[0] | p[4] | p[8] | p[12] | p[16] | p[20] | p[24] | p[28]))
        return -1;
    for (int r = 7; r >= 0; r--) {
        uint32_t v = p[4 * r];
        if (v)
            return r * 32 + 31 - __builtin_clz(v);
    }
    return -1;
}
int vlapic_highest_irr(const struct vlapic *a) { return highest_in(a, APIC_IRR); }
int vlapic_highest_isr(const struct vlapic *a) { return highest_in(a, APIC_ISR); }
int vlapic_last_eoi(const struct vlapic *a) { return a->last_eoi; }

/* PPR: the TPR when its class is at least the highest in-service class, else that class. */
uint32_t vlapic_ppr(const struct vlapic *a)
{
    uint32_t tpr = *reg(a, APIC_TPR) & 0xFF;
    int isrv = vlapic_highest_isr(a);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
    return (tpr & 0xF0) >= isr_class ? tpr : isr_class;
}

/* APR: as the SDM's formula for the arbitration priority. */
uint32_t vlapic_apr(const struct vlapic *a)
{
    uint32_t tpr = *reg(a, APIC_TPR) & 0xFF;
    int i = vlapic_highest_isr(a), r = vlapic_highest_irr(a);
    uint32_t isrv = i < 0 ? 0 : (uint32_t)i, irrv = r < 0 ? 0 : (uint32_t)r;
    if ((tpr >> 4) >= (irrv >> 4) && (tpr >> 4) > (isrv >> 4))
        return tpr;
    uint32_t hi = (tpr & isrv & 0xF0) > (irrv & 0xF0) ? (tpr & isrv & 0xF0) : (irrv & 0xF0);
    return hi;
}

/* Keep the page's PPR current: with APIC-register virtualization the CPU reads it there. */
static void update_ppr(struct vlapic *a) { *reg(a, APIC_PPR) = vlapic_ppr(a); }

static void set_bit(struct vlapic *a, uint32_t base, uint8_t v, bool on)
{
    uint32_t *r = reg(a, base + 0x10u * (v >> 5)), m = 1u << (v & 31);
    *r = on ? *r | m : *r & ~m;
}

static bool test_bit(const struct vlapic *a, uint32_t base, uint8_t v)
{
    return (*reg(a, base + 0x10u * (v >> 5)) >> (v & 31)) & 1u;
}

#define ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)

bool vlapic_set_irr(struct vlapic *a, uint8_t vector, bool level)
{
    if (vector < 16) {      /* SDM 10.5.2: vectors 0-15 are reserved; the APIC records the error */
        vlapic_error(a, ESR_RECEIVE_ILLEGAL_VECTOR);
        return false;
    }
    if (test_bit(a, APIC_IRR, vector))
        return false;
    set_bit(a, APIC_IRR, vector, true);
    set_bit(a, APIC_TMR, vector, level);
    return true;
}

void vlapic_ack(struct vlapic *a, uint8_t vector)
{
    set_bit(a, APIC_IRR, vector, false);
    set_bit(a, APIC_ISR, vector, true);
    update_ppr(a);
}

/* ---- timer (SDM 10.5.4) ---- */

static uint32_t divisor(uint32_t dcr)
{
    unsigned code = ((dcr & 8u) >> 1) | (dcr & 3u);   /* bits 3, 1:0 */
    return code == 7 ? 1 : 2u << code;
}

uint32_t vlapic_timer_divisor(const struct vlapic *a) { return divisor(*reg(a, APIC_TIMER_DIVIDE)); }

void vlapic_set_current_count(struct vlapic *a, uint32_t (*fn)(void)) { a->current_count = fn; }

/* The current count: from the timer that really runs it when there is one (vmxlab: the
 * physical APIC's, apic/irq.c), else from the clock() ticks since the initial count was
 * written (the model the host unit tests use). Without either it stays at the initial count. */
static uint32_t timer_current(const struct vlapic *a)
{
    uint32_t init = *reg(a, APIC_TIMER_INITIAL);
    if (a->current_count)
        return a->current_count();
    if (!init || !a->clock)
        return init;
    uint64_t ticks = (a->clock() - a->timer_start) / divisor(*reg(a, APIC_TIMER_DIVIDE));
    bool periodic = *reg(a, APIC_LVT_TIMER) & (1u << 17);
    if (periodic)
        return init - (uint32_t)(ticks % init);
    return ticks >= init ? 0 : init - (uint32_t)ticks;
}

/* ---- reset ---- */

void vlapic_reset(struct vlapic *a)
{
    /* the registers span offsets 000H-3F0H (SDM Table 10-1); the rest of the page stays 0 */
    if (__builtin_expect(!slots_built, 0))
        build_slots();
    __builtin_memcpy(a->page, reset_image, sizeof(reset_image));
    *reg(a, APIC_ID) = (uint32_t)a->id << 24;   /* the one register INIT keeps */
    a->esr_pending = 0;
    a->timer_start = 0;
    a->last_eoi = -1;
    update_ppr(a);
}

void vlapic_setup(struct vlapic *a, void *page, unsigned id, uint64_t (*clock)(void))
{
    a->page = page;
    a->id = id;
    a->clock = clock;
    a->current_count = 0;
    vlapic_reset(a);
}

/* ---- reads ---- */

uint32_t vlapic_read(struct vlapic *a, uint32_t offset, unsigned size)
{
    const struct reg_def *d = find(offset, 0);
    if (!d) {
        vlapic_error(a, ESR_ILLEGAL_REGISTER);
        return 0;
    }
    unsigned byte = offset & 0xF;
    if (byte >= 4 || d->access == WO)
        return 0;
    uint32_t v;
    switch (d->offset) {
    case APIC_PPR: v = vlapic_ppr(a); break;
    case APIC_APR: v = vlapic_apr(a); break;
    case APIC_TIMER_CURRENT: v = timer_current(a); break;
    default: v = *reg(a, offset); break;
    }
    v >>= 8 * byte;
    return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

/* ---- writes ---- */

static void mask_all_lvts(struct vlapic *a)
{
    for (uint32_t o = APIC_LVT_TIMER; o <= APIC_LVT_ERROR; o += 0x10)
        *reg(a, o) |= APIC_LVT_MASKED;
}

/* Bits a write cannot change never leave their reset value in this model (delivery status
 * and remote IRR stay 0): taking them from the reset value, not from *r, also gives the right
 * result after an APIC-write exit, where the CPU already stored the raw value. */
static inline enum vlapic_effect lvt_write(struct vlapic *a, const struct reg_def *d, uint32_t *r, uint32_t value)
{
    uint32_t v = (d->reset & ~d->writable) | (value & d->writable);
    if (!vlapic_enabled(a))
        v |= APIC_LVT_MASKED;   /* SDM 10.4.7.2: the mask cannot be cleared while software-disabled */
    *r = v;
    return VLAPIC_WROTE;
}

/* Store `value` (a full 32-bit register value) with the register's rules. */
static EXIT_PATH_FN enum vlapic_effect apply(struct vlapic *a, const struct reg_def *d, uint32_t offset, uint32_t value)
{
    uint32_t *r = reg(a, offset);
    if (d->offset >= APIC_LVT_TIMER && d->offset <= APIC_LVT_ERROR) /* the most written: no switch */
        return lvt_write(a, d, r, value);
    switch (d->offset) {
    case APIC_EOI: {    /* SDM 10.8.5: retire the highest-priority in-service interrupt */
        int v = vlapic_highest_isr(a);
        a->last_eoi = v;
        if (v >= 0) {
            set_bit(a, APIC_ISR, (uint8_t)v, false);
            set_bit(a, APIC_TMR, (uint8_t)v, false);
        }
        *r = 0;
        update_ppr(a);
        return VLAPIC_EOI;
    }
    case APIC_ESR:      /* SDM 10.5.3: a write makes the errors since the last write readable */
        *r = a->esr_pending;
        a->esr_pending = 0;
        return VLAPIC_WROTE;
    case APIC_DFR:
        *r = (value & d->writable) | 0x0FFFFFFFu;
        return VLAPIC_WROTE;
    case APIC_SVR:
        *r = value & d->writable;
        if (!(value & APIC_SVR_ENABLE)) {   /* SDM 10.4.7.2: software disable masks every LVT */
            mask_all_lvts(a);
            return VLAPIC_DISABLED;
        }
        return VLAPIC_WROTE;
    case APIC_ICR_LOW:
        *r = (value & d->writable) | ICR_DELIVERY_PENDING;
        return VLAPIC_SEND_IPI;
    case APIC_TIMER_INITIAL:
        *r = value;
        a->timer_start = a->clock ? a->clock() : 0;
        return VLAPIC_TIMER_ARMED;
    case APIC_TPR:      /* after an APIC-write exit: never (vlapic_write has the TPR) */
        *r = value & d->writable;
        update_ppr(a);
        return VLAPIC_WROTE;
    }
    /* the others: the writable bits, the rest from the reset value (as lvt_write) */
    *r = (d->reset & ~d->writable) | (value & d->writable);
    return VLAPIC_WROTE;
}

EXIT_PATH_FN enum vlapic_effect vlapic_write(struct vlapic *a, uint32_t offset, unsigned size, uint32_t value)
{
    const struct reg_def *d = find(offset, 0);
    if (!d) {
        vlapic_error(a, ESR_ILLEGAL_REGISTER);
        return VLAPIC_ILLEGAL;
    }
    unsigned byte = offset & 0xF;
    if (byte >= 4)
        return VLAPIC_ILLEGAL;
    if (d->access == RO)
        return VLAPIC_READ_ONLY;
    if (size < 4 || byte) {     /* merge a partial write into the register */
        uint32_t keep = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
        keep <<= 8 * byte;
        value = (*reg(a, offset) & ~keep) | ((value << (8 * byte)) & keep);
    }
    /* the two most written registers without apply's call */
    uint32_t *r = reg(a, offset);
    if (d->offset >= APIC_LVT_TIMER && d->offset <= APIC_LVT_ERROR)
        return lvt_write(a, d, r, value);
    if (d->offset == APIC_TPR) {
        /* A pending vector is deliverable when its class is above the PPR's (SDM 10.8.3.1
         * "Task and Processor Priorities"): only a lower TPR class can unblock one. The same
         * value again changes nothing, not even the PPR (a function of the TPR and the ISR,
         * recomputed at each ISR change). The writes come from the decode path and MOV to
         * CR8; with the TPR shadow the CPU writes the TPR itself, with no APIC-write exit
         * (SDM 29.4.3.2 "APIC-Write Emulation": offset 080H is TPR virtualization, 29.1.2). */
        uint32_t old = *r;
        value &= d->writable;
        if (value == old)
            return VLAPIC_NO_EFFECT;
        *r = value;
        update_ppr(a);
        return (value & 0xF0) < (old & 0xF0) ? VLAPIC_WROTE : VLAPIC_NO_EFFECT;
    }
    return apply(a, d, offset, value);
}

EXIT_PATH_FN enum vlapic_effect vlapic_write_done(struct vlapic *a, uint32_t offset)
{
    const struct reg_def *d = find(offset, 0);
    if (!d || (offset & 0xF) >= 4)
        return VLAPIC_ILLEGAL;
    if (d->access == RO) {
        /* The CPU stores a write to the ID in the page before the exit (Bochs does; the SDM
         * lists 020H among the virtualized writes): put the model's value back. */
        if (d->offset == APIC_ID)
            *reg(a, APIC_ID) = (uint32_t)a->id << 24;
        else if (d->offset == APIC_VERSION)
            *reg(a, APIC_VERSION) = VLAPIC_VERSION;
        return VLAPIC_READ_ONLY;
    }
    return apply(a, d, offset, *reg(a, offset));
}


void vlapic_icr_done(struct vlapic *a)
{
    *reg(a, APIC_ICR_LOW) &= ~ICR_DELIVERY_PENDING;
}
