/*
 * test_apic_exits.c - the apic module's exit handlers against the fake VMCS, CPU, physical
 * APIC and guest memory (tests/unit/fake_vmcs.h): APIC-write exits (56, apicv) and
 * APIC-access exits (44, the decode path: vmxlab fetches, decodes and emulates the guest's
 * instruction) for LVT, TPR, EOI and ICR writes, MOV CR8 on the decode path, and an access
 * through the guest's own page tables. The tests named defectN_* are issue 9's defects
 * (docs/interrupts.md).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "apic/apic_internal.h"
#include "kernel/panic.h"
#include "tests/unit/fake_vmcs.h"
#include "vmx/exit.h"
#include "vmx/exit_handlers.h"
#include "vmx/inject.h"
#include "vmx/vmx_internal.h"


static uint32_t vpage[1024] __attribute__((aligned(4096)));
static struct vcpu *v;
static struct apic_vcpu *a;

/* Guest code and page tables live here (guest-physical = the test's address). */
#define GUEST_MEM 0x20000000ull
#define GUEST_MEM_SIZE 0x10000u
static uint8_t *mem;

/* SDM 27.2.1, Table 27-6: an APIC-access exit's qualification, offset in bits 11:0, access
 * type in 15:12 (0 linear read, 1 linear write). */
#define ACCESS_WRITE_Q(off) ((uint64_t)(off) | 1ull << 12)
/* SDM 24.8.3 entry interruption information of an external interrupt (type 0) */
#define EXTINT_INFO(vec) ((1u << 31) | (vec))
#define RFLAGS_IF_BIT (1ull << 9)

static int group_setup(void **s)
{
    (void)s;
    mem = fake_guest_memory(GUEST_MEM, GUEST_MEM_SIZE);
    return 0;
}

static void setup_path(enum apic_path path)
{
    fake_reset();
    memset(&apic, 0, sizeof(apic));
    memset(mem, 0, GUEST_MEM_SIZE);
    v = &vmx.vcpus[0];
    a = apic_of(v);
    apic.path = path;
    apic.nvcpus = 1;
    vlapic_setup(&a->vl, vpage, 0, 0);
    apic_irq_setup();
    apic_irq_vcpu_setup(v);
    a->start = vcpu_entry_point();
    vlapic_write(&a->vl, APIC_SVR, 4, 0x1FF); /* the guest software-enables its APIC */
    apic_irq_mode_update(v);
    fake_vmcs[VMCS_GUEST_CR0] = vmx_guest_cr0_real(CR0_ET);
    fake_vmcs[VMCS_GUEST_RFLAGS] = 0x2 | RFLAGS_IF_BIT;
    fake_vmcs[VMCS_GUEST_SS_ACCESS_RIGHTS] = 0x93;
    fake_log_clear();
}

static int setup_apicv(void **s) { (void)s, setup_path(APIC_PATH_APICV); return 0; }
static int setup_decode(void **s) { (void)s, setup_path(APIC_PATH_DECODE); return 0; }

static void assert_log(const char *line)
{
    if (!line) {
        fake_log_dump();
        fail_msg("expected log line not found");
    }
}

/* An APIC-write exit (SDM 29.4.3.3, trap-like): the CPU has stored the value in the
 * virtual-APIC page and RIP is past the instruction already. */
static enum exit_action apic_write(uint32_t off, uint32_t value)
{
    vpage[off / 4] = value;
    fake_exit(v, EXIT_REASON_APIC_WRITE, off, 0x1000, 0);
    return apic_exit_write(v);
}

/* ---- APIC-write exits (apicv) ------------------------------------------------------------ */
/* Defect 9: the guest's local APIC timer runs (SDM 10.5.4): its LVT timer entry, divide
 * configuration and initial count reach the physical APIC timer, whose interrupt then
 * arrives as the guest's (vmxlab does not count time itself). A write to the initial count
 * starts the count; the LVT alone does not. The log says the timer was started. */
static void test_defect9_lvt_timer_to_physical(void **s)
{
    (void)s;
    assert_int_equal(apic_write(APIC_TIMER_DIVIDE, 0x3), EXIT_RESUME);
    assert_int_equal(apic_write(APIC_LVT_TIMER, (1u << 17) | 0xEC), EXIT_RESUME); /* periodic, 0xEC */
    assert_int_equal(fake_papic[APIC_LVT_TIMER / 4], (1u << 17) | 0xEC);
    assert_int_equal(fake_papic[APIC_TIMER_DIVIDE / 4], 0x3);
    assert_int_equal(fake_papic[APIC_TIMER_INITIAL / 4], 0);
    assert_int_equal(apic_write(APIC_TIMER_INITIAL, 100000), EXIT_RESUME);
    assert_int_equal(fake_papic[APIC_TIMER_INITIAL / 4], 100000);
    assert_log(fake_log_find('I', "intr", "timer periodic", "vector 0xec", "initial count 100000", (char *)0));
    assert_int_equal(fake_vmcs_written[VMCS_GUEST_RIP], 0); /* trap-like: RIP already past */
}

/* The physical timer is written only when its LVT or divide value changes: the guest's
 * rewrite of the same LVT value reaches no physical register (a stale value planted in the
 * fake shows it was not written), a new value does, and after the vCPU's INIT
 * (apic_irq_reset) vmxlab no longer knows the physical values and writes them again. */
static void test_timer_rewrite_skips_physical(void **s)
{
    (void)s;
    assert_int_equal(apic_write(APIC_LVT_TIMER, 0x000200EC), EXIT_RESUME);
    assert_int_equal(fake_papic[APIC_LVT_TIMER / 4], 0x000200EC);
    fake_papic[APIC_LVT_TIMER / 4] = 0xDEAD;
    fake_papic[APIC_TIMER_DIVIDE / 4] = 0xBEEF;
    assert_int_equal(apic_write(APIC_LVT_TIMER, 0x000200EC), EXIT_RESUME);
    assert_int_equal(fake_papic[APIC_LVT_TIMER / 4], 0xDEAD);
    assert_int_equal(fake_papic[APIC_TIMER_DIVIDE / 4], 0xBEEF);
    assert_int_equal(apic_write(APIC_LVT_TIMER, 0x000000EC), EXIT_RESUME);
    assert_int_equal(fake_papic[APIC_LVT_TIMER / 4], 0x000000EC);
    assert_int_equal(fake_papic[APIC_TIMER_DIVIDE / 4], 0xBEEF);
    assert_int_equal(apic_write(APIC_TIMER_DIVIDE, 0x3), EXIT_RESUME);
    assert_int_equal(fake_papic[APIC_TIMER_DIVIDE / 4], 0x3);
    apic_irq_reset(v);
    assert_int_equal(fake_papic[APIC_LVT_TIMER / 4], APIC_LVT_MASKED);
    fake_papic[APIC_TIMER_DIVIDE / 4] = 0xBEEF;
    assert_int_equal(apic_write(APIC_LVT_TIMER, 0x000000EC), EXIT_RESUME);
    assert_int_equal(fake_papic[APIC_LVT_TIMER / 4], 0x000000EC);
    assert_int_equal(fake_papic[APIC_TIMER_DIVIDE / 4], 0x3);
}

/* An LVT write of all ones: software sets only the writable bits (SDM 10.5.1, Figure 10-8:
 * LINT0's vector 7:0, delivery mode 10:8, pin polarity 13, trigger mode 15, mask 16; the
 * delivery status 12 and remote IRR 14 are read-only, the rest reserved). */
static void test_lvt_lint0_write(void **s)
{
    (void)s;
    apic_write(APIC_LVT_LINT0, 0xFFFFFFFFu);
    assert_int_equal(vlapic_reg(&a->vl, APIC_LVT_LINT0), 0x1A7FFu);
}

/* Defect 5: a level-triggered interrupt from the physical APIC (an I/O APIC line: its TMR bit
 * set) owes the physical APIC an EOI when the guest's handler retires it (SDM 10.8.5: until
 * then the I/O APIC sends no more on that line). The path end to end: the exit acknowledges
 * it (27.2.2), vmxlab makes it pending in the virtual APIC and injects it, the guest's EOI
 * write (APIC-write exit at 0xB0) retires it, and vmxlab writes the physical EOI then, once. */
static void test_defect5_level_eoi_forwarded(void **s)
{
    (void)s;
    fake_papic_set(0x100, 0x71); /* physical ISR */
    fake_papic_set(0x180, 0x71); /* physical TMR: level */
    fake_vmcs[VMCS_EXIT_INTERRUPTION_INFO] = EXTINT_INFO(0x71);
    fake_exit(v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, 0x1000, 0);
    assert_int_equal(exit_external_interrupt(v), EXIT_RESUME);
    assert_int_equal(fake_papic_eois, 0);          /* not yet: the guest has not handled it */
    intr_before_entry(v);
    assert_int_equal(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO], EXTINT_INFO(0x71));
    assert_int_equal(vlapic_highest_isr(&a->vl), 0x71);
    assert_int_equal(apic_write(APIC_EOI, 0), EXIT_RESUME);
    assert_int_equal(vlapic_highest_isr(&a->vl), -1);
    assert_int_equal(fake_papic_eois, 1);
    apic_write(APIC_EOI, 0);                       /* nothing in service: nothing more owed */
    assert_int_equal(fake_papic_eois, 1);
}

/* Edge-triggered (TMR clear): the physical EOI is sent at once, on the exit (the CPU's
 * acknowledge moved it to the physical ISR; the guest's EOI goes to its virtual APIC). */
static void test_edge_eoi_at_once(void **s)
{
    (void)s;
    fake_papic_set(0x100, 0x41);
    fake_vmcs[VMCS_EXIT_INTERRUPTION_INFO] = EXTINT_INFO(0x41);
    fake_exit(v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, 0x1000, 0);
    exit_external_interrupt(v);
    assert_int_equal(fake_papic_eois, 1);
    intr_before_entry(v);
    apic_write(APIC_EOI, 0);
    assert_int_equal(fake_papic_eois, 1);
}

/* Defect 8: INIT resets the local APIC, IRR and ISR included (SDM 10.4.7.3): a self-IPI still
 * pending when the guest sends itself INIT is never delivered. The guest's sequence as APIC-
 * write exits on ICR low (SDM 10.6.1: a fixed IPI with the "self" shorthand, then INIT to its
 * own APIC ID 0); after the INIT the guest enables its APIC again and sets IF: nothing comes. */
static void test_defect8_init_clears_pending_self_ipi(void **s)
{
    (void)s;
    fake_vmcs[VMCS_GUEST_RFLAGS] = 0x2;                 /* IF=0: the IPI stays pending */
    assert_int_equal(apic_write(APIC_ICR_LOW, (1u << 18) | 0x50), EXIT_RESUME);
    assert_int_equal(v->requests, VCPU_REQ_IRQ);    /* posted; taken before the next entry */
    v->requests = 0;
    apic_take_requests(v, VCPU_REQ_IRQ);
    assert_int_equal(vlapic_highest_irr(&a->vl), 0x50);
    intr_before_entry(v);
    assert_false(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] & (1u << 31));

    vpage[APIC_ICR_HIGH / 4] = 0;                       /* destination APIC ID 0: itself */
    assert_int_equal(apic_write(APIC_ICR_LOW, 0x00004500), EXIT_RESUME); /* INIT, assert */
    /* a request to itself, which its run loop takes before the next entry (vmx/vcpu_reset.c) */
    assert_int_equal(v->requests, VCPU_REQ_INIT);
    v->requests = 0;
    apic_take_requests(v, VCPU_REQ_INIT);
    assert_int_equal(v->init_count, 1);
    assert_int_equal(vlapic_highest_irr(&a->vl), -1);
    assert_false(vlapic_enabled(&a->vl));               /* SVR back to its reset value */
    assert_log(fake_log_find('I', "vcpu0", "INIT reset #1", (char *)0));

    vlapic_write(&a->vl, APIC_SVR, 4, 0x1FF);
    apic_irq_mode_update(v);
    fake_vmcs[VMCS_GUEST_RFLAGS] = 0x2 | RFLAGS_IF_BIT;
    intr_before_entry(v);
    assert_false(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] & (1u << 31));
}

/* Two vCPUs (SDM 8.4.4.1 "Typical BSP Initialization Sequence"): the BSP's INIT and SIPI to
 * APIC ID 1 leave vcpu1 requests and touch nothing of its state (it runs on another CPU); it
 * takes them before its next entry, INIT before SIPI, so an OS that sends the SIPI right after
 * the INIT (Linux on current CPUs, init_udelay=0) starts it at VV00:0000 (SDM 8.4.2). A SIPI
 * for a vCPU that is not waiting is ignored; a fixed IPI is posted, then pending in its IRR. */
static uint32_t vpage1[1024] __attribute__((aligned(4096)));
static void test_init_sipi_to_another_vcpu(void **s)
{
    (void)s;
    struct vcpu *ap = &vmx.vcpus[1];
    struct apic_vcpu *aa = apic_of(ap);
    apic.nvcpus = 2;
    vlapic_setup(&aa->vl, vpage1, 1, 0);
    aa->start = vcpu_entry_point();
    vpage[APIC_ICR_HIGH / 4] = 1u << 24;                  /* destination APIC ID 1 */
    assert_int_equal(apic_write(APIC_ICR_LOW, 0x00004500), EXIT_RESUME);   /* INIT */
    assert_int_equal(apic_write(APIC_ICR_LOW, 0x00004609), EXIT_RESUME);   /* SIPI, vector 09 */
    assert_int_equal(ap->requests, VCPU_REQ_INIT | VCPU_REQ_SIPI);
    assert_int_equal(v->requests, 0);
    assert_int_equal(ap->init_count, 0);                  /* nothing done on the sender's CPU */
    assert_int_equal(vpage[APIC_ICR_LOW / 4] & (1u << 12), 0); /* delivery status idle */
    assert_log(fake_log_find('I', "apic", "ICR 0x00004500 dest 01 -> INIT to vcpu1", (char *)0));

    ap->requests = 0;
    apic_take_requests(ap, VCPU_REQ_INIT | VCPU_REQ_SIPI);  /* on vcpu1's CPU */
    assert_int_equal(ap->init_count, 1);
    assert_false(ap->wait_for_sipi);
    assert_int_equal(fake_vmcs[VMCS_GUEST_CS_SELECTOR], 0x0900);
    assert_int_equal(fake_vmcs[VMCS_GUEST_CS_BASE], 0x9000);
    assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 0);
    assert_log(fake_log_find('I', "vcpu1", "INIT reset #1 (INIT IPI from vcpu0): waits for SIPI", (char *)0));
    assert_log(fake_log_find('I', "vcpu1", "SIPI vector 0x09: starts at 0900:0000", (char *)0));

    /* running now: a second SIPI is ignored at the sender */
    assert_int_equal(apic_write(APIC_ICR_LOW, 0x00004609), EXIT_RESUME);
    assert_int_equal(ap->requests, 0);
    /* a fixed IPI needs the target's APIC software-enabled (SDM 10.4.7.2) */
    vlapic_write(&aa->vl, APIC_SVR, 4, 0x1FF);
    assert_int_equal(apic_write(APIC_ICR_LOW, 0x00000061), EXIT_RESUME);
    assert_int_equal(ap->requests, VCPU_REQ_IRQ);
    assert_int_equal(vlapic_highest_irr(&aa->vl), -1);    /* posted, not yet in its IRR */
    ap->requests = 0;
    apic_take_requests(ap, VCPU_REQ_IRQ);
    assert_int_equal(vlapic_highest_irr(&aa->vl), 0x61);
    apic.nvcpus = 1;
}

/* TPR virtualization (SDM 29.1.2): a vector the guest's TPR blocks (class 4 under TPR 0x50)
 * waits, and vmxlab sets the TPR threshold to its class, so the guest's TPR write that drops
 * below it exits (reason 43, trap-like, after the write); the next entry injects it. */
static void test_tpr_below_threshold(void **s)
{
    (void)s;
    vlapic_write(&a->vl, APIC_TPR, 4, 0x50);
    apic_irq_post(v, 0x45, false);
    intr_before_entry(v);
    assert_false(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] & (1u << 31));
    assert_int_equal(fake_vmcs[VMCS_TPR_THRESHOLD], 4);

    vpage[APIC_TPR / 4] = 0x30;                 /* the guest's write, stored by the CPU */
    fake_exit(v, EXIT_REASON_TPR_BELOW_THRESHOLD, 0, 0x1000, 0);
    exit_handler_t h = exit_handler_get(EXIT_REASON_TPR_BELOW_THRESHOLD);
    assert_non_null(h);
    assert_int_equal(h(v), EXIT_RESUME);
    intr_before_entry(v);
    assert_int_equal(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO], EXTINT_INFO(0x45));
    assert_int_equal(vlapic_highest_isr(&a->vl), 0x45);
}

/* `sti; hlt` with an interrupt pending in the virtual APIC: STI's shadow kept it from being
 * injected before the HLT (SDM 24.4.2 Table 24-3, 26.3.1.5), but it is deliverable once the
 * HLT begins, and a CPU leaves HLT for it at once (SDM Vol.2 HLT). vmxlab must not re-enter
 * the guest in the HLT activity state, which nothing would end (Linux's console stalled on a
 * UART interrupt left pending so); it injects the vector. */
static void test_sti_hlt_virtual_interrupt_ready(void **s)
{
    (void)s;
    apic_irq_post(v, 0x40, false);
    fake_vmcs[VMCS_GUEST_INTERRUPTIBILITY_STATE] = GUEST_INTR_STATE_STI;
    intr_before_entry(v);                       /* the STI shadow: an interrupt window */
    assert_false(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] & (1u << 31));
    fake_exit(v, EXIT_REASON_HLT, 0, 0x3000, 1);
    assert_int_equal(exit_hlt(v), EXIT_RESUME);
    assert_int_equal(fake_vmcs[VMCS_GUEST_ACTIVITY_STATE], GUEST_ACTIVITY_ACTIVE);
    assert_int_equal(fake_vmcs[VMCS_GUEST_INTERRUPTIBILITY_STATE], 0);
    intr_before_entry(v);
    assert_int_equal(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO], EXTINT_INFO(0x40));
}

/* ---- APIC-access exits (decode path) ----------------------------------------------------- */
/* The guest's instruction at CS:RIP, in guest memory; a 16-bit real-mode guest with DS based
 * at the APIC page (big real mode), so [disp16] is the register. */
static void guest_insn16(const uint8_t *bytes, size_t n, uint64_t ds_base)
{
    memcpy(mem, bytes, n);
    fake_vmcs[VMCS_GUEST_CS_BASE] = GUEST_MEM;
    fake_vmcs[VMCS_GUEST_CS_SELECTOR] = (uint16_t)(GUEST_MEM >> 4);
    fake_vmcs[VMCS_GUEST_CS_ACCESS_RIGHTS] = 0x9B;    /* 16-bit code (D=0) */
    fake_vmcs[VMCS_GUEST_DS_BASE] = ds_base;
}

/* A TPR write (SDM 10.8.3.1) as a fault-like APIC-access exit (SDM 29.4.1): vmxlab decodes
 * `mov [0x80], eax` (66 89 06 80 00), writes EAX to the virtual TPR, moves RIP past the five
 * bytes (the exit left it on the instruction), and the log names the register. */
static void test_access_tpr_write(void **s)
{
    (void)s;
    static const uint8_t mov[] = {0x66, 0x89, 0x06, 0x80, 0x00};
    guest_insn16(mov, sizeof(mov), 0xFEE00000u);
    v->gpr[GPR_RAX] = 0x50;
    fake_exit(v, EXIT_REASON_APIC_ACCESS, ACCESS_WRITE_Q(APIC_TPR), 0, 0);
    assert_int_equal(apic_exit_access(v), EXIT_RESUME);
    assert_int_equal(vlapic_reg(&a->vl, APIC_TPR), 0x50);
    assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 5);
    assert_log(fake_log_find('D', "apic", "exit 44", "TPR", "0x00000050", (char *)0));

    /* the TPR now blocks class 4 (SDM 10.8.3.1): a vector 0x45 stays pending */
    apic_irq_post(v, 0x45, false);
    intr_before_entry(v);
    assert_false(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] & (1u << 31));
}

/* The TPR write's work depends on its class (apic/vlapic.c): only a lower class can unblock
 * a pending vector (SDM 10.8.3.1). Through every kind of TPR write (the same value, the same
 * class, a higher class, a lower class that still blocks, one that unblocks) vector 0x45
 * waits exactly while its class 4 is not above the PPR's, and the PPR follows the ISR. */
static void tpr_exit(uint32_t value)
{
    static const uint8_t mov[] = {0x66, 0x89, 0x06, 0x80, 0x00}; /* mov [0x80], eax */
    guest_insn16(mov, sizeof(mov), 0xFEE00000u);
    v->gpr[GPR_RAX] = value;
    fake_exit(v, EXIT_REASON_APIC_ACCESS, ACCESS_WRITE_Q(APIC_TPR), 0, 0);
    assert_int_equal(apic_exit_access(v), EXIT_RESUME);
    assert_int_equal(vlapic_reg(&a->vl, APIC_TPR), value);
}

static bool injected(void)
{
    fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] = 0;
    intr_before_entry(v);
    return fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] & (1u << 31);
}

static void test_access_tpr_classes(void **s)
{
    (void)s;
    tpr_exit(0x50);
    apic_irq_post(v, 0x45, false);
    assert_false(injected());
    static const uint32_t blocking[] = {0x50, 0x5F, 0x60, 0x60, 0x4F, 0x40};
    for (unsigned k = 0; k < sizeof(blocking) / sizeof(blocking[0]); k++) {
        tpr_exit(blocking[k]);
        assert_int_equal(vlapic_reg(&a->vl, APIC_PPR), blocking[k]);
        assert_false(injected());
    }
    tpr_exit(0x3F);                                 /* class 3: 0x45 is deliverable */
    assert_true(injected());
    assert_int_equal(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO], EXTINT_INFO(0x45));
    assert_int_equal(vlapic_reg(&a->vl, APIC_PPR), 0x40);   /* the in-service class */
    tpr_exit(0x3F);
    assert_int_equal(vlapic_reg(&a->vl, APIC_PPR), 0x40);
    tpr_exit(0x10);
    assert_int_equal(vlapic_reg(&a->vl, APIC_PPR), 0x40);
    apic_irq_post(v, 0x46, false);                  /* class 4 again, under 0x45 in service */
    assert_false(injected());
    tpr_exit(0x10);
    assert_false(injected());
    assert_int_equal(vlapic_write(&a->vl, APIC_EOI, 4, 0), VLAPIC_EOI);
    assert_int_equal(apic_write_effect(v, APIC_EOI, VLAPIC_EOI), EXIT_RESUME);
    assert_int_equal(vlapic_reg(&a->vl, APIC_PPR), 0x10);
    assert_true(injected());
    assert_int_equal(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO], EXTINT_INFO(0x46));
}

/* The one-entry decode cache (access.c): the same bytes at CS:RIP reuse the last decoding,
 * other bytes there (code the guest rewrote) are decoded afresh: after `mov [0x80], eax`
 * twice, `mov [0x80], ecx` at the same address must store ECX, and a one byte shorter
 * `mov [0x80], ah` must store AH and move RIP by its own length. */
static void test_access_decode_cache_follows_the_bytes(void **s)
{
    (void)s;
    static const uint8_t eax[] = {0x66, 0x89, 0x06, 0x80, 0x00}; /* mov [0x80], eax */
    static const uint8_t ecx[] = {0x66, 0x89, 0x0E, 0x80, 0x00}; /* mov [0x80], ecx */
    static const uint8_t ah[] = {0x88, 0x26, 0x80, 0x00};        /* mov [0x80], ah */
    guest_insn16(eax, sizeof(eax), 0xFEE00000u);
    v->gpr[GPR_RAX] = 0x10;
    v->gpr[GPR_RCX] = 0x30;
    for (unsigned k = 0; k < 2; k++) {
        v->gpr[GPR_RAX] = 0x10 + k;
        fake_exit(v, EXIT_REASON_APIC_ACCESS, ACCESS_WRITE_Q(APIC_TPR), 0, 0);
        assert_int_equal(apic_exit_access(v), EXIT_RESUME);
        assert_int_equal(vlapic_reg(&a->vl, APIC_TPR), 0x10 + k);
    }
    guest_insn16(ecx, sizeof(ecx), 0xFEE00000u);
    fake_exit(v, EXIT_REASON_APIC_ACCESS, ACCESS_WRITE_Q(APIC_TPR), 0, 0);
    assert_int_equal(apic_exit_access(v), EXIT_RESUME);
    assert_int_equal(vlapic_reg(&a->vl, APIC_TPR), 0x30);
    guest_insn16(ah, sizeof(ah), 0xFEE00000u);
    v->gpr[GPR_RAX] = 0x2040;
    fake_exit(v, EXIT_REASON_APIC_ACCESS, ACCESS_WRITE_Q(APIC_TPR), 0, 0);
    assert_int_equal(apic_exit_access(v), EXIT_RESUME);
    assert_int_equal(vlapic_reg(&a->vl, APIC_TPR), 0x20);
    assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 4);
}

/* An EOI write as exit 44: the in-service vector is retired (SDM 10.8.5) and a lower one
 * that waited is injected at the next entry. */
static void test_access_eoi_write(void **s)
{
    (void)s;
    static const uint8_t mov[] = {0x66, 0x89, 0x06, 0xB0, 0x00}; /* mov [0xB0], eax */
    apic_irq_post(v, 0x61, false);
    intr_before_entry(v);
    assert_int_equal(vlapic_highest_isr(&a->vl), 0x61);
    apic_irq_post(v, 0x51, false);                 /* below the one in service: waits */
    fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] = 0;
    v->event_set = false;
    intr_before_entry(v);
    assert_int_equal(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO], 0);

    guest_insn16(mov, sizeof(mov), 0xFEE00000u);
    fake_exit(v, EXIT_REASON_APIC_ACCESS, ACCESS_WRITE_Q(APIC_EOI), 0, 0);
    assert_int_equal(apic_exit_access(v), EXIT_RESUME);
    assert_int_equal(vlapic_highest_isr(&a->vl), -1);
    intr_before_entry(v);
    assert_int_equal(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO], EXTINT_INFO(0x51));
}

/* The CPU reported one offset, the decoded operand is another: vmxlab must not emulate the
 * wrong register; it stops the guest and says so. */
static void test_access_operand_mismatch(void **s)
{
    (void)s;
    static const uint8_t mov[] = {0x66, 0x89, 0x06, 0x80, 0x00}; /* the TPR */
    guest_insn16(mov, sizeof(mov), 0xFEE00000u);
    fake_exit(v, EXIT_REASON_APIC_ACCESS, ACCESS_WRITE_Q(APIC_EOI), 0, 0);
    assert_int_equal(apic_exit_access(v), EXIT_STOP);
    assert_int_equal(v->stop_status, STATUS_GUEST_FAILED);
    assert_log(fake_log_find('E', "apic", "exit 44", "APIC offset 0x0b0", (char *)0));
}

/* Defect 12: an OS reaches its APIC through its own page tables (SDM 4.3: 32-bit paging, a
 * 4 MiB page with CR4.PSE): linear 0x00600080 -> physical 0xFEE00080. vmxlab must translate
 * the fetch and the operand through them, as the CPU did. */
static void test_defect12_access_through_guest_paging(void **s)
{
    (void)s;
    static const uint8_t mov[] = {0x89, 0x05, 0x80, 0x00, 0x60, 0x00}; /* mov [0x00600080], eax */
    uint32_t *pd = (uint32_t *)(mem + 0x1000);
    /* PDE: P, R/W, PS (bit 7), base in bits 31:22 (SDM 4.3, Table 4-4) */
    pd[GUEST_MEM >> 22] = (uint32_t)GUEST_MEM | 0x83;   /* code, identity */
    pd[0x00400000 >> 22] = 0xFEC00000u | 0x83;           /* 0x00400000-0x007FFFFF -> 0xFEC00000 */
    memcpy(mem + 0x100, mov, sizeof(mov));
    fake_vmcs[VMCS_GUEST_CR0] = vmx_guest_cr0_real(CR0_PE | CR0_PG | CR0_ET);
    fake_vmcs[VMCS_GUEST_CR3] = GUEST_MEM + 0x1000;
    fake_vmcs[VMCS_GUEST_CR4] = vmx_guest_cr4_real(CR4_PSE);
    fake_vmcs[VMCS_GUEST_CS_BASE] = 0;
    fake_vmcs[VMCS_GUEST_CS_ACCESS_RIGHTS] = 0xC09B;   /* 32-bit code (D=1, G=1) */
    fake_vmcs[VMCS_GUEST_DS_BASE] = 0;
    v->gpr[GPR_RAX] = 0x30;
    fake_exit(v, EXIT_REASON_APIC_ACCESS, ACCESS_WRITE_Q(APIC_TPR), GUEST_MEM + 0x100, 0);
    assert_int_equal(apic_exit_access(v), EXIT_RESUME);
    assert_int_equal(vlapic_reg(&a->vl, APIC_TPR), 0x30);
    assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], GUEST_MEM + 0x106);
}

/* ---- MOV CR8 on the decode path (exit 28 with CR number 8, SDM Table 27-3) --------------- */
static enum exit_action vmx_cr_sentinel(struct vcpu *vc)
{
    (void)vc;
    return EXIT_STOP; /* vmx's handler: CR0/CR4 only */
}
#define CRQ(cr, type, reg) ((uint64_t)(cr) | (uint64_t)(type) << 4 | (uint64_t)(reg) << 8)

/* Defect 10: CR8 is the TPR (SDM 10.8.6.1: CR8[3:0] = TPR[7:4]). Without the TPR shadow a MOV
 * to CR8 would write the physical TPR; vmxlab makes MOV CR8 exit (CR8-load/store exiting,
 * SDM 24.6.2) and carries it out on the virtual TPR, which the guest's MMIO TPR reads; MOV
 * from CR8 reads it back; bits 63:4 set raise #GP (SDM Vol.2 MOV CR). Other CRs still reach
 * vmx's handler. */
static void test_defect10_cr8_is_the_virtual_tpr(void **s)
{
    (void)s;
    exit_handler_set(EXIT_REASON_CR_ACCESS, vmx_cr_sentinel);
    apic_cr8_setup(v);
    assert_true(fake_vmcs[VMCS_CTRL_PROC_BASED] & CPU_BASED_CR8_LOAD_EXITING);
    assert_true(fake_vmcs[VMCS_CTRL_PROC_BASED] & CPU_BASED_CR8_STORE_EXITING);
    exit_handler_t h = exit_handler_get(EXIT_REASON_CR_ACCESS);

    v->gpr[GPR_R9] = 0x6;
    fake_exit(v, EXIT_REASON_CR_ACCESS, CRQ(8, 0, GPR_R9), 0x2000, 4);   /* mov cr8, r9 */
    assert_int_equal(h(v), EXIT_RESUME);
    assert_int_equal(vlapic_reg(&a->vl, APIC_TPR), 0x60);
    assert_int_equal(vlapic_read(&a->vl, APIC_TPR, 4), 0x60);           /* the MMIO view agrees */
    assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 0x2004);

    vlapic_write(&a->vl, APIC_TPR, 4, 0xA0);                             /* an MMIO write */
    fake_exit(v, EXIT_REASON_CR_ACCESS, CRQ(8, 1, GPR_RBX), 0x2004, 4);  /* mov rbx, cr8 */
    assert_int_equal(h(v), EXIT_RESUME);
    assert_int_equal(v->gpr[GPR_RBX], 0xA);

    v->gpr[GPR_RAX] = 0x10;
    fake_exit(v, EXIT_REASON_CR_ACCESS, CRQ(8, 0, GPR_RAX), 0x2008, 4);
    h(v);
    assert_int_equal(fake_vmcs[VMCS_ENTRY_INTERRUPTION_INFO] & 0x7FF, (3u << 8) | 13); /* #GP */
    assert_int_equal(vlapic_reg(&a->vl, APIC_TPR), 0xA0);
    assert_log(fake_log_find('I', "apic", "MOV to CR8", "reserved bits", "#GP", (char *)0));

    fake_exit(v, EXIT_REASON_CR_ACCESS, CRQ(0, 0, GPR_RAX), 0x2008, 3);  /* mov cr0, rax */
    assert_int_equal(h(v), EXIT_STOP);                                   /* vmx's */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defect9_lvt_timer_to_physical, setup_apicv),
        cmocka_unit_test_setup(test_timer_rewrite_skips_physical, setup_apicv),
        cmocka_unit_test_setup(test_lvt_lint0_write, setup_apicv),
        cmocka_unit_test_setup(test_defect5_level_eoi_forwarded, setup_apicv),
        cmocka_unit_test_setup(test_edge_eoi_at_once, setup_apicv),
        cmocka_unit_test_setup(test_defect8_init_clears_pending_self_ipi, setup_apicv),
        cmocka_unit_test_setup(test_tpr_below_threshold, setup_apicv),
        cmocka_unit_test_setup(test_init_sipi_to_another_vcpu, setup_apicv),
        cmocka_unit_test_setup(test_sti_hlt_virtual_interrupt_ready, setup_decode),
        cmocka_unit_test_setup(test_access_tpr_write, setup_decode),
        cmocka_unit_test_setup(test_access_tpr_classes, setup_decode),
        cmocka_unit_test_setup(test_access_decode_cache_follows_the_bytes, setup_decode),
        cmocka_unit_test_setup(test_access_eoi_write, setup_decode),
        cmocka_unit_test_setup(test_access_operand_mismatch, setup_decode),
        cmocka_unit_test_setup(test_defect12_access_through_guest_paging, setup_decode),
        cmocka_unit_test_setup(test_defect10_cr8_is_the_virtual_tpr, setup_decode),
    };
    return cmocka_run_group_tests(tests, group_setup, 0);
}
