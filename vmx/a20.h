/* The guest's A20 line (vmx/a20.c): the gate of a20_gate.h, one per machine, and its effect on
 * guest-physical addresses, emulated in EPT while the machine's own A20 stays on. */
#ifndef VMX_A20_H
#define VMX_A20_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib.h"
#include "vmx/a20_gate.h"

#define A20_WRAP_START 0x100000ull  /* the 1 MiB..2 MiB that wraps onto 0..1 MiB (EPT) */
#define A20_WRAP_END 0x200000ull
#define A20_WRAP_PAGES ((A20_WRAP_END - A20_WRAP_START) / 0x1000)

struct a20_state {
    /* the gate and the machine's 8042 and port 0x92 behind it: one vCPU at a time, from the
     * guest's access to the end of vmxlab's (the controller's state is one for all vCPUs) */
    struct spinlock lock;
    struct a20_gate gate;
    bool wrap_ready;                   /* the first 2 MiB are 4 KiB entries (a20_setup) */
    bool wrapped;                      /* 1 MiB..2 MiB points at 0..1 MiB in EPT now */
    bool told;                         /* the one-time info line about A20 off */
    uint64_t saved[A20_WRAP_PAGES];    /* 1 MiB..2 MiB's own EPT entries while A20 is off */
    uint64_t changes;                  /* the guest's A20 changes (statistics) */
};

struct vcpu;

/* Where vmxlab itself finds guest-physical `gpa` (a chunk of it never crosses a 4 KiB page):
 * 1 MiB..2 MiB is 0..1 MiB while the guest's A20 is off, as EPT translates it. */
static inline uint64_t a20_wrap(const struct a20_state *a, uint64_t gpa)
{
    bool in = gpa >= A20_WRAP_START && gpa < A20_WRAP_END;
    return in && __atomic_load_n(&a->wrapped, __ATOMIC_RELAXED) ? gpa - A20_WRAP_START : gpa;
}

/* At setup, after EPT is built: split the first 2 MiB into 4 KiB entries. */
void a20_setup(void);

/* With the lock held, after a20_gate_out() changed gate.off: the wrap on or off in EPT, the
 * TLBs of every vCPU flushed, the log line. `insn` and `value` are the guest's write. */
void a20_changed(struct vcpu *v, const char *insn, uint32_t value, const char *what);

/* A machine reset (on_reset=restart): the guest's A20 on again, nothing pending, as Bochs's
 * reset leaves it. Takes the lock. */
void a20_machine_reset(struct vcpu *v);

#endif
