/* The processor state after INIT (SDM Vol.3A 9.1, Table 9-1), as data a student can hold next
 * to the manual, and a builder that turns it into VMCS field/value pairs for a vCPU reset.
 *
 * Pure logic: no VMCS access here (vmx/vcpu_reset.c writes the pairs), so the same code runs
 * in the kernel and in the host unit test (tests/unit/test_init_state.c). */
#ifndef VMX_INIT_STATE_H
#define VMX_INIT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmx/vcpu.h"

/* What the table's values depend on. */
struct init_params {
    /* Restart point: init=reset-vector gives F000:FFF0 with CS base FFFF0000 (the table's
     * value); init=entry gives the guest image's entry point (vcpu_entry_point()). */
    uint16_t cs_selector;
    uint32_t cs_base;
    uint32_t rip;
    /* The guest's CR0 before the INIT, as the guest sees it (read shadow merged over the
     * guest/host mask): INIT keeps CD and NW. */
    uint64_t old_cr0;
    /* EDX after INIT: the processor signature, CPUID.1:EAX. */
    uint32_t signature;
    /* CR0/CR4 bits VMX forces underneath the read shadows (SDM A.7, A.8). For CR0 pass the
     * fixed0 adjusted for unrestricted guest (vmx_guest_cr0_fixed0(caps, true)): PE and PG
     * are exempt, NE stays. For CR4, VMXE. */
    uint64_t cr0_fixed0, cr0_fixed1;
    uint64_t cr4_fixed0, cr4_fixed1;
    /* The VM-entry controls in force: the result has "IA-32e mode guest" cleared. */
    uint32_t entry_controls;
    /* The activity state to enter with (GUEST_ACTIVITY_*). vmxlab always passes ACTIVE and
     * models wait-for-SIPI in software (docs: Bochs 2.7 never leaves the hardware state). */
    uint32_t activity_state;
};

/* Where a table value comes from. */
enum init_value {
    INIT_CONST,          /* .value */
    INIT_START_CS_SEL,   /* params.cs_selector */
    INIT_START_CS_BASE,  /* params.cs_base */
    INIT_START_RIP,      /* params.rip */
    INIT_SIGNATURE,      /* params.signature */
    INIT_CR0_GUEST,      /* table CR0 | VMX-forced bits: the real CR0 the guest runs with */
    INIT_CR0_SHADOW,     /* table CR0: what the guest reads */
    INIT_CR4_GUEST,      /* 0 | VMX-forced bits (VMXE) */
    INIT_CR4_SHADOW,     /* 0 */
    INIT_ENTRY_CTLS,     /* params.entry_controls without IA-32e mode guest */
    INIT_ACTIVITY,       /* params.activity_state */
};

/* Where the value goes. */
enum init_sink {
    INIT_SINK_VMCS,      /* a VMCS field: .field */
    INIT_SINK_GPR,       /* struct vcpu gpr[.field] (RSP also goes to VMCS_GUEST_RSP) */
    INIT_SINK_CPU,       /* a register VM entry does not load (CR2, DR0-DR3, DR6): .field = enum init_cpu_reg */
};

enum init_cpu_reg { INIT_REG_CR2, INIT_REG_DR0, INIT_REG_DR1, INIT_REG_DR2, INIT_REG_DR3, INIT_REG_DR6,
                    INIT_REG_COUNT };

struct init_item {
    enum init_sink sink;
    uint32_t field;
    enum init_value source;
    uint64_t value;
};

#define INIT_ROW_ITEMS 8

/* One row of Table 9-1 (or of the VMX side a software INIT must also reset). */
struct init_row {
    const char *item;      /* the table's "Register" column */
    const char *after_init;/* the table's "INIT" column, in the manual's words */
    const char *powerup;   /* NULL when power-up/RESET gives the same; else what it gives */
    struct init_item items[INIT_ROW_ITEMS];
    unsigned nitems;
};

extern const struct init_row init_table[];
extern const size_t init_table_rows;

/* State INIT leaves alone (Table 9-1 rows that read "unchanged"): listed for the log and the
 * docs; vmxlab writes nothing for them. */
extern const char *const init_unchanged[];
extern const size_t init_unchanged_count;

/* One VMCS write. */
struct init_field {
    uint32_t field;        /* VMCS_* encoding */
    uint64_t value;
    const char *item;      /* the table row it implements */
};

/* Registers that are not VMCS fields. */
struct init_regs {
    uint64_t gpr[GPR_COUNT];    /* x86 order (vmx/vcpu.h); RSP also in the VMCS */
    uint64_t cpu[INIT_REG_COUNT];
};

/* Fill out[0..max) with the VMCS writes of an INIT; returns how many there are (when that is
 * more than max, only max were written: call again with room). */
size_t init_state_build(const struct init_params *p, struct init_field *out, size_t max);

/* The registers of an INIT that live outside the VMCS. */
void init_state_regs(const struct init_params *p, struct init_regs *r);

/* The table's CR0 after INIT: CD and NW from old_cr0, ET set, every other bit 0. */
uint64_t init_state_cr0(uint64_t old_cr0);

/* The restart point of the reset vector: F000:FFF0, CS base FFFF0000 (Table 9-1). */
#define INIT_RESET_CS_SELECTOR 0xF000u
#define INIT_RESET_CS_BASE 0xFFFF0000u
#define INIT_RESET_RIP 0xFFF0u

#endif
