/* State shared by the files of the apic module (not for other modules). */
#ifndef APIC_INTERNAL_H
#define APIC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "apic/vlapic.h"
#include "kernel/options.h"
#include "vmx/exit.h"
#include "vmx/exit_path.h"
#include "vmx/insn_decode.h"
#include "vmx/vcpu.h"
#include "vmx/vcpu_ops.h"

enum apic_path {
    APIC_PATH_APICV,       /* TPR shadow + APIC-register virtualization (no virtual-interrupt delivery) */
    APIC_PATH_DECODE,      /* virtualize APIC accesses only: every access is an exit 44 */
    APIC_PATH_PASSTHROUGH, /* the seed: the guest reaches the physical APIC */
};

/* One vCPU's local APIC and what vmxlab keeps beside it (apic_of(v)). */
struct apic_vcpu {
    struct vlapic vl;          /* the vCPU's local APIC */
    uint64_t vapic_pa;         /* the vlapic's page (apicv: the VMCS virtual-APIC page) */
    uint64_t base_msr;         /* the guest's IA32_APIC_BASE on this vCPU */
    /* what other vCPUs (or this one) sent it, taken on its own CPU (ipi.c): fixed vectors
     * posted (one bit per vector, set atomically), the SIPI vector, whether the INIT came from
     * the vCPU itself; the entry point of its last start */
    uint64_t posted[4];
    uint8_t sipi_vector;
    unsigned fixed_ipi_lines;  /* fixed IPIs it sent that were logged at info (apic_ipi_loud) */
    bool init_self;
    uint8_t init_from;
    struct vcpu_start start;
    /* INIT exits (reason 3) in a row with no guest instruction between them (passthrough) */
    unsigned init_streak;
    uint64_t init_streak_exit; /* v->exits_total at the last INIT exit */

    /* access.c: the last instruction decoded for an APIC-access exit, by its 16 fetched
     * bytes (the 15 of CS:RIP and a zero) and the code mode */
    struct {
        bool valid;
        uint8_t mode;
        uint64_t bytes[2];
        struct insn in;
    } last_insn;

    /* interrupts (apic/irq.c) */
    bool virtualized;          /* the guest's APIC is enabled: external interrupts exit */
    uint64_t eoi_owed[4];      /* level-triggered vectors in service in the physical APIC */
    /* the physical timer's LVT and divide configuration as apic_timer_sync last wrote them
     * (ptimer_known false: unknown, write both) */
    bool ptimer_known;
    uint32_t ptimer_lvt, ptimer_dcr;
    struct {
        uint64_t lapic, level, extint, spurious, eoi_forwarded, timer_starts, ipis_sent;
    } stats;
};

/* What is machine-wide: the trap path, the options, the APIC-access page (one page serves
 * every VMCS: the CPU never writes it, SDM 29.4), and one struct apic_vcpu per vCPU. */
struct apic_state {
    enum apic_path path;
    int init_restart;          /* enum opt_init */
    uint64_t access_pa;        /* the APIC-access page EPT maps at the guest's APIC base */
    unsigned nvcpus;           /* vCPUs 0..nvcpus-1 have a virtual APIC */
    struct apic_vcpu vcpu[VMX_MAX_VCPUS];
};

extern struct apic_state apic;


/* vCPU v's local APIC (vCPU i has APIC ID i) */
static inline struct apic_vcpu *apic_of(const struct vcpu *v) { return &apic.vcpu[v->id]; }

#define APIC_GUEST_BASE 0xFEE00000ull
#define INIT_STREAK_MAX 16     /* passthrough: stop after this many INIT exits in a row */

const char *apic_path_name(enum apic_path p);

/* ipi.c: act on a write to ICR low (the value is in the vlapic) */
enum exit_action apic_send_ipi(struct vcpu *v);
/* ipi.c: the INIT reset of a vCPU (Table 9-1 state, virtual APIC reset but for its ID) */
void apic_init_reset(struct vcpu *v, const char *why);
/* ipi.c: the requests vmx hands back on the target's CPU (vcpu_request_handler_set) */
void apic_take_requests(struct vcpu *v, uint32_t req);
/* ipi.c: exit handlers for INIT (3) and SIPI (4) */
enum exit_action apic_exit_init_signal(struct vcpu *v);
enum exit_action apic_exit_sipi(struct vcpu *v);

/* irq.c: the guest's interrupts (see the file's comment) */
void apic_irq_setup(void);                      /* once, machine-wide */
void apic_irq_vcpu_setup(struct vcpu *v);       /* each vCPU, on its CPU */
void apic_irq_mode_update(struct vcpu *v);     /* after an SVR write or a reset */
void apic_irq_post(struct vcpu *v, uint8_t vector, bool level); /* make a vector pending */
void apic_irq_reevaluate(struct vcpu *v);      /* after an EOI or TPR write */
void apic_irq_guest_eoi(struct vcpu *v, int vector);
void apic_irq_reset(struct vcpu *v);           /* INIT */
void apic_timer_sync(struct vcpu *v, uint32_t offset); /* after a timer register write */
void apic_logical_sync(struct vcpu *v);        /* after an LDR/DFR write */

/* cr8.c: MOV CR8 against the virtual TPR on the decode path */
void apic_cr8_setup(struct vcpu *v);

/* access.c: exit handlers for APIC access (44) and APIC write (56) */
enum exit_action apic_exit_access(struct vcpu *v);
enum exit_action apic_exit_write(struct vcpu *v);

/* apic.c: act on what a vlapic write did */
enum exit_action apic_write_effect(struct vcpu *v, uint32_t offset, enum vlapic_effect e);

/* Should this INIT-related line be logged at info level? The first few and every 100th: a
 * storm of 1,000 INITs stays readable. */
static inline bool apic_log_this_init(unsigned count) { return count <= 3 || count % 100 == 0; }

/* Should a line about the IPI in icr_low (its ICR write, its delivery) be at info level? INIT
 * by the rule above; SIPI, NMI and the other rare kinds always; fixed and lowest-priority IPIs
 * (an SMP OS sends thousands: reschedule, function calls) for the first three of a vCPU, then
 * at debug (each info line costs the guest the UART's time). */
#define APIC_FIXED_IPI_LINES 3
static inline bool apic_ipi_loud(const struct vcpu *v, uint32_t icr_low)
{
    unsigned mode = (icr_low >> 8) & 7u;
    if (mode == 5)
        return apic_log_this_init(v->init_count + 1);
    return mode > 1 || apic_of(v)->fixed_ipi_lines < APIC_FIXED_IPI_LINES;
}

#endif
