/* A virtual CPU: the guest's general registers (saved by vmx/entry.asm on every exit), the
 * VMCS it runs on, and the software state vmxlab keeps beside the VMCS. */
#ifndef VMX_VCPU_H
#define VMX_VCPU_H

#include <stdbool.h>
#include <stdint.h>
#include "vmx/vmx_defs.h"

/* Order of struct vcpu_regs: the x86 register numbering (SDM Vol.2 Table 2-1 "reg" field),
 * so an instruction decoder's register index addresses it directly. */
enum vcpu_gpr { GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
                GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15, GPR_COUNT };

#define VMX_MAX_VCPUS 8   /* vCPU i has local APIC ID i */
#define VCPU_HELD_MAX 16 /* external-interrupt vectors held for injection */
#define EXIT_HISTORY 64 /* a power of two: the ring's index is the exit count's low bits */
#define CPUID_TABLE_BASIC 32  /* leaves 0-1FH */
#define CPUID_TABLE_EXT 9     /* leaves 80000000H-80000008H */

struct init_cache;

/* The last EXIT_HISTORY exits, exit n (from 1) in slot (n - 1) % EXIT_HISTORY: one array per
 * field, so that the exit path stores each with one instruction (index scaled by the field's
 * size). The qualification only for the exits that have one (vmx/exit.c exit_reads[]). */
struct exit_history {
    uint32_t reason[EXIT_HISTORY];          /* full exit reason field */
    uint16_t cs[EXIT_HISTORY];
    uint64_t rip[EXIT_HISTORY];
    uint64_t qualification[EXIT_HISTORY];
};

struct vcpu {
    /* guest GPRs; gpr[GPR_RSP] is a shadow: the real RSP lives in the VMCS (read on demand) */
    uint64_t gpr[GPR_COUNT];
    uint8_t launched;    /* VMLAUNCH done on the current VMCS (then VMRESUME); entry.asm */
    /* INIT/SIPI state in software (Bochs 2.7 never leaves hardware wait-for-SIPI on one CPU) */
    bool wait_for_sipi;  /* entry.asm looks at it before each entry */
    uint8_t entry_zero[2]; /* always 0: entry.asm reads launched .. requests as one 8-byte word */
    /* requests to this vCPU, from another vCPU's exit handler or its own, taken on its own
     * CPU before the next VM entry (entry.asm looks, vmx/vcpu_reset.c takes them; as KVM's
     * kvm_apic_accept_events and Jailhouse's x86_check_events) */
    uint32_t requests;   /* VCPU_REQ_* (vcpu_ops.h), set and taken atomically */

    unsigned id;         /* vCPU number = its local APIC ID */
    char tag[8];         /* "vcpu0": the module name of this vCPU's log lines (vcpu_tag()) */
    uint64_t vmcs_pa;
    /* the VMCS's own settings (each vCPU has its VMCS, SDM 24.1) */
    uint32_t ctl[VMX_CTL_COUNT]; /* control fields as written to this VMCS */
    uint16_t vpid;               /* 0: VPID not used */
    /* its I/O bitmap A (ports 0-7FFF, SDM 24.6.4): a copy of the machine's, with port 0x60
     * marked while an 8042 command waits for its data byte (vmx/exit_io.c). Its own, because
     * a bitmap may change only while no CPU runs a guest with it (SDM 24.11.4) */
    uint64_t io_bitmap_a_pa;

    /* per-exit values read once by the dispatcher (SDM 24.9 exit-information fields); the
     * others (instruction length, CS, ...) only by the handlers that use them */
    uint32_t exit_reason;      /* basic reason, bits 15:0 (the full field: history.reason[]) */
    /* only for the exits that have one (SDM 27.2.1: "for all other VM exits, this field is
     * cleared"; vmx/exit.c exit_reads[]): for the others it is not read, and holds an older
     * exit's value */
    uint64_t exit_qualification;
    uint64_t rip;

    /* interrupts held for the guest (SDM 25.2 "acknowledge interrupt on exit"): newest last */
    uint8_t held[VCPU_HELD_MAX];
    /* What the next VM entry may have to deliver. The five live in one word so that the exit
     * path tests them with one comparison (entry_work == 0: nothing to do, vmx_internal.h). */
    union {
        struct {
            bool event_set;      /* an event is set up for the next VM entry */
            /* the interrupt controller above vmx (apic) has a virtual interrupt for this vCPU
             * that vmx must inject (vmx/inject.h, struct intr_controller); with
             * virtual-interrupt delivery the CPU does that itself and this stays false */
            bool virq;
            bool nmi_pending;    /* an NMI held for the guest until it can take it (vmx/nmi.c) */
            uint8_t nheld;       /* entries of held[] in use */
            /* IDT-vectoring information of the last exit (SDM 24.9.3): an event to re-inject;
             * 0 when not valid (the exit path stores 0 rather than an invalid field's
             * undefined bits, SDM 27.2.4) */
            uint32_t idt_info;
        };
        uint64_t entry_work;
    };
    unsigned nmis_injected;

    unsigned init_count;
    struct init_cache *init_cache; /* the last INIT's VMCS writes (vmx/vcpu_reset.c) */
    uint32_t kicks_owed;    /* NMI kicks sent to it and not yet seen in an NMI exit (atomic) */
    volatile bool idle;     /* waits with HLT in VMX root operation */
    volatile bool stopped;  /* halted for good: vmxlab is stopping */
    uint64_t kicks;         /* statistics: kicks that made it exit */
    uint64_t idle_waits;
    unsigned hlt_if0_waits;  /* HLTs with IF=0 that wait for another vCPU (interrupts.c) */

    /* the guest's TSC (vmx/tsc.c): the VMCS TSC offset and its IA32_TSC_ADJUST */
    uint64_t tsc_offset;
    uint64_t tsc_adjust;

    /* statistics and history */
    uint64_t exits_total;
    uint64_t exit_counts[80];
    struct exit_history history;
    uint64_t exits_explained[2]; /* bit r: exit reason r was explained in the log (exit_explain.c) */
    /* exit_path[r]: how the dispatcher takes exit reason r on this vCPU (vmx/exit.c): 0 the
     * long way (the first exit of r, log=trace, exits.max), else EXIT_PATH_SHORT with the
     * fields r has to read (exit_reads[]) */
    uint8_t exit_path[EXIT_REASON_COUNT];

    /* the guest's CPUID answers for the leaves that take no subleaf, built once before the
     * first entry (vmx/cpuid.c); bit i of *_valid: leaf i (0x80000000 + i) is in the table */
    uint32_t cpuid_basic[4][CPUID_TABLE_BASIC]; /* [CPUID_EAX..CPUID_EDX][leaf]: one load per register */
    uint32_t cpuid_ext[4][CPUID_TABLE_EXT];
    uint32_t cpuid_basic_valid, cpuid_ext_valid;
    uint32_t cpuid_short;  /* the basic leaves exit_cpuid() answers alone: valid, not leaf 1, not at log=debug */

    int stop_status;           /* set by a handler that returns EXIT_STOP */
    uint64_t hole_accesses;    /* guest accesses to guest-physical holes (vmx/exit_ept.c) */
};

/* The name that opens a line about this vCPU: "vcpu0", "vcpu1", ... */
static inline const char *vcpu_tag(const struct vcpu *v) { return v->tag; }

#endif
