/* Bring-up of the physical CPUs (smp.h). The boot CPU (BSP) starts one application processor
 * (AP) at a time: INIT, 10 ms, SIPI, 200 us, SIPI, 200 us (SDM Vol.3A 8.4.4.1 "Typical BSP
 * Initialization Sequence"; the second SIPI is ignored by an AP that already left the
 * wait-for-SIPI state, 10.6.1), then waits for the AP to report that it is parked. The AP
 * logs nothing itself: it writes its progress into its struct smp_cpu, and the BSP, which
 * is the only CPU printing, says what happened, so that lines never interleave.
 *
 * The trampoline page. A SIPI can only start a CPU at VV000h, below 1 MiB, in real mode; that
 * memory belongs to the guest. vmxlab borrows one page of base memory and gives it back: the
 * page is saved, the trampoline copied in, and after the last AP the saved bytes are put back.
 * It does not take the page for good, as vmx/biosmem.c takes the INT 15h stub's KiB by lowering
 * the BDA word at 0x413, because the page is needed only here, before the guest image is
 * placed and before any guest code runs; keeping it would shrink the guest's base memory and
 * its E820 map for nothing. An AP that did not answer in time is sent INIT again before the
 * page is given back, which puts it back in wait-for-SIPI (SDM 8.4.1), so no late AP can run
 * what the guest later keeps in that page. */
#include "kernel/smp.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_local.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/pit.h"
#include "kernel/acpi.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/multiboot2.h"
#include "kernel/panic.h"

#define AP_STACK 16384
#define AP_TIMEOUT_MS 100    /* from the first SIPI to "parked": Bochs needs well under 1 ms */
#define EFER_LMA (1ull << 10) /* read-only status: not written by the trampoline */
#define MSR_EFER 0xC0000080u

_Static_assert(ACPI_MAX_CPUS <= GDT_MAX_CPUS, "one GDT and TSS per CPU the MADT can list");

/* the parameter block at ap_tramp_data (arch/x86_64/ap_trampoline.asm) */
struct __attribute__((packed)) ap_tramp_params {
    uint32_t cr3, efer;
    uint64_t entry, stack, arg;
};
extern const uint8_t ap_tramp_start[], ap_tramp_end[], ap_tramp_data[];

enum ap_state { AP_SENT, AP_LONG_MODE, AP_PARKED, AP_VMX_FAILED, AP_RUNNING };

struct smp_cpu {
    unsigned index;           /* cpuN in the log, GDT/TSS slot N; 0 is the boot CPU */
    uint32_t apic_id;         /* from the MADT */
    volatile uint32_t state;  /* enum ap_state, written by the AP */
    uint32_t seen_apic_id;    /* what the AP's own APIC ID register says */
    uint64_t vmxon_pa;
    uint64_t stack_pa;        /* AP_STACK, then the IST1 stack, from the page pool */
    int vmx_result;
    bool locked_fc;
    const struct smp_vmx_ops *vmx;
    uint64_t lapic;
    void (*volatile work)(unsigned index); /* smp_run(): what the parked CPU runs */
};

_Static_assert(GDT_MAX_CPUS <= CPU_LOCAL_MAX, "a cpu_local slot per CPU");

/* cpus[i] is CPU i of the log, which runs vCPU i: the boot CPU is 0, the APs that came up are
 * numbered on from 1 in the order of the CPU list, with no gaps */
static struct smp_cpu cpus[GDT_MAX_CPUS];
static unsigned cpus_up = 1;
static uint64_t lapic_base;
static uint8_t saved_page[PAGE_SIZE];

void ap_main(struct smp_cpu *c);
__attribute__((noreturn)) void ap_main(struct smp_cpu *c)
{
    cpu_local_init(c->index);
    gdt_init_cpu(c->index, (uint64_t)phys_to_virt(c->stack_pa) + AP_STACK + GDT_IST1_SIZE);
    idt_load();
    c->seen_apic_id = lapic_id(c->lapic);
    __atomic_store_n(&c->state, AP_LONG_MODE, __ATOMIC_RELEASE);
    c->vmx_result = c->vmx->enable(c->vmxon_pa, &c->locked_fc);
    __atomic_store_n(&c->state, c->vmx_result ? AP_VMX_FAILED : AP_PARKED, __ATOMIC_RELEASE);
    /* parked: a halted CPU costs Bochs nothing; INIT is blocked in VMX root (SDM 23.8), so
     * only an NMI (smp_kick) or an SMI wakes it. smp_run() gives it its vCPU to run. */
    for (;;) {
        cli();
        void (*fn)(unsigned) = c->work;
        if (fn)
            fn(c->index);
        cpu_idle_halt();
    }
}

unsigned smp_cpu_count(void) { return cpus_up; }

void smp_kick(unsigned index)
{
    if (index < cpus_up && lapic_base)
        lapic_send_ipi(lapic_base, (uint8_t)cpus[index].apic_id, ICR_DM_NMI | ICR_LEVEL_ASSERT);
}

void smp_ap_ready(unsigned index)
{
    __atomic_store_n(&cpus[index].state, AP_RUNNING, __ATOMIC_RELEASE);
}

bool smp_run(unsigned index, void (*fn)(unsigned index))
{
    struct smp_cpu *c = &cpus[index];
    if (!index || index >= cpus_up)
        return false;
    c->work = fn;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    smp_kick(index);
    for (unsigned us = 0; us < AP_TIMEOUT_MS * 1000; us += 100) {
        if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == AP_RUNNING)
            return true;
        pit_delay_us(100);
    }
    return false;
}

static bool overlaps(uint64_t a, uint64_t b, uint64_t s, uint64_t e) { return a < e && s < b; }

/* A page of usable base memory at or above 4 KiB (the IVT and BDA are below), below conv_top,
 * that holds none of GRUB's hand-over (the multiboot2 information, the modules), or 0. */
static uint64_t pick_page(const struct mb2_info *mbi, uint64_t info_phys, uint32_t conv_top)
{
    for (uint64_t pa = 0x1000; pa + PAGE_SIZE <= conv_top; pa += PAGE_SIZE) {
        bool usable = false, taken = overlaps(pa, pa + PAGE_SIZE, info_phys, info_phys + mbi->total_size);
        for (unsigned i = 0; i < mbi->mmap_count; i++)
            if (mbi->mmap[i].type == 1 && mbi->mmap[i].base <= pa &&
                mbi->mmap[i].base + mbi->mmap[i].length >= pa + PAGE_SIZE)
                usable = true;
        for (unsigned i = 0; i < mbi->module_count; i++)
            taken |= overlaps(pa, pa + PAGE_SIZE, mbi->modules[i].start, mbi->modules[i].end);
        if (usable && !taken)
            return pa;
    }
    return 0;
}

/* INIT-SIPI-SIPI to one AP and the wait for it; true when it reported back (parked or not). */
static bool start_ap(struct smp_cpu *c, uint64_t lapic, uint64_t page, unsigned *us_taken)
{
    uint8_t *copy = phys_to_virt(page);
    struct ap_tramp_params *p = (struct ap_tramp_params *)(copy + (ap_tramp_data - ap_tramp_start));
    p->cr3 = (uint32_t)read_cr3();
    p->efer = (uint32_t)(rdmsr(MSR_EFER) & ~EFER_LMA);
    p->entry = (uint64_t)ap_main;
    p->stack = (uint64_t)phys_to_virt(c->stack_pa) + AP_STACK;
    p->arg = (uint64_t)c;
    c->state = AP_SENT;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint8_t vector = (uint8_t)(page >> 12);
    uint8_t dest = (uint8_t)c->apic_id;
    /* INIT, level assert (ICR 0x4500): the AP resets and waits for a SIPI. The level-deassert
     * INIT of the P6-era sequence is not sent: P4 and later ignore it (SDM 10.6.1). */
    lapic_send_ipi(lapic, dest, ICR_DM_INIT | ICR_LEVEL_ASSERT);
    pit_delay_us(10000);
    for (int i = 0; i < 2; i++) { /* two SIPIs, as 8.4.4.1 says; the second finds the AP running */
        lapic_send_ipi(lapic, dest, ICR_DM_STARTUP | ICR_LEVEL_ASSERT | vector);
        pit_delay_us(200);
    }
    *us_taken = 400;
    while (*us_taken < AP_TIMEOUT_MS * 1000) {
        uint32_t s = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
        if (s == AP_PARKED || s == AP_VMX_FAILED)
            return true;
        pit_delay_us(100);
        *us_taken += 100;
    }
    lapic_send_ipi(lapic, dest, ICR_DM_INIT | ICR_LEVEL_ASSERT); /* back to wait-for-SIPI */
    return false;
}

unsigned smp_start(const struct acpi_madt *madt, unsigned max_cpus, const struct smp_vmx_ops *vmx,
                   struct page_pool *pool, const struct mb2_info *mbi, uint64_t info_phys, uint32_t conv_top)
{
    static bool ran;
    const char *why = "";
    /* once, at boot: a second call could send INIT to a CPU that by then runs a guest */
    if (ran)
        panic("smp_start called twice: vmxlab sends INIT and SIPI only before the guest starts");
    ran = true;
    uint64_t lapic = lapic_base = lapic_xapic_base(&why);
    if (!madt->cpu_count) {
        log_info("smp", "no CPU list (no MADT, no MP table): vmxlab runs on the boot CPU only");
        return 1;
    }
    if (!lapic) {
        log_warn("smp", "%s: no INIT-SIPI-SIPI, vmxlab runs on the boot CPU only", why);
        return 1;
    }
    uint32_t bsp_id = lapic_id(lapic);
    cpus[0] = (struct smp_cpu){.index = 0, .apic_id = bsp_id, .lapic = lapic}; /* kicked like the others */
    unsigned limit = max_cpus ? max_cpus : ACPI_MAX_CPUS, up = 1;
    uint64_t page = 0;
    bool bsp_listed = false;
    for (unsigned i = 0; i < madt->cpu_count; i++)
        bsp_listed |= madt->cpu[i].apic_id == bsp_id;
    if (bsp_listed)
        log_info("cpu0", "APIC ID %u, the boot CPU: runs the guest", bsp_id);
    else
        log_info("cpu0", "APIC ID %u, the boot CPU (not in the %s): runs the guest", bsp_id, madt->source);
    for (unsigned i = 0; i < madt->cpu_count; i++) {
        const struct acpi_cpu *m = &madt->cpu[i];
        if (m->apic_id == bsp_id)
            continue;
        unsigned n = up; /* its number if it comes up */
        char tag[8];
        snprintf(tag, sizeof(tag), "cpu%u", n);
        if (!m->enabled) {
            log_info("smp", "APIC ID %u disabled in the %s%s: not started", m->apic_id, madt->source,
                     m->online_capable ? " (online capable: hot-add is not supported)" : "");
            continue;
        }
        if (m->apic_id > 0xFF) {
            log_info("smp", "APIC ID %u needs x2APIC destinations: not started", m->apic_id);
            continue;
        }
        if (n >= limit || n >= GDT_MAX_CPUS) {
            log_info("smp", "APIC ID %u left alone: beyond cpus=%u (never sent INIT or SIPI)", m->apic_id, limit);
            continue;
        }
        if (!page) {
            if (!(page = pick_page(mbi, info_phys, conv_top))) {
                log_warn("smp", "no free page of base memory for the AP trampoline: the APs are not started");
                break;
            }
            memcpy(saved_page, phys_to_virt(page), PAGE_SIZE);
            memcpy(phys_to_virt(page), ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
            log_info("smp", "AP trampoline at 0x%llx (SIPI vector 0x%02llx), %u bytes, borrowed from base memory",
                     (unsigned long long)page, (unsigned long long)(page >> 12),
                     (unsigned)(ap_tramp_end - ap_tramp_start));
        }
        struct smp_cpu *c = &cpus[n];
        *c = (struct smp_cpu){.index = n, .apic_id = m->apic_id, .vmx = vmx, .lapic = lapic};
        c->stack_pa = pool_alloc_pages(pool, (AP_STACK + GDT_IST1_SIZE) / PAGE_SIZE);
        if (!c->stack_pa || !(c->vmxon_pa = pool_alloc_page(pool))) {
            log_warn("smp", "APIC ID %u not started: vmxlab's page pool is exhausted", m->apic_id);
            continue;
        }
        memset(phys_to_virt(c->vmxon_pa), 0, PAGE_SIZE);
        unsigned us;
        if (!start_ap(c, lapic, page, &us)) {
            const char *seen = "no sign of the trampoline";
            if (c->state == AP_LONG_MODE)
                seen = "reached long mode but not VMX root";
            log_warn("smp", "APIC ID %u did not come up: %s %u ms after INIT-SIPI-SIPI; sent INIT again (wait-for-SIPI)",
                     m->apic_id, seen, AP_TIMEOUT_MS);
            continue;
        }
        if (c->vmx_result) {
            /* it runs vmxlab's code in slot n (stack, GDT, TSS): no other CPU may get that slot */
            log_warn("smp", "APIC ID %u up, but no VMX root: %s; parked (HLT) outside VMX; no further AP is "
                            "started", m->apic_id, vmx->why(c->vmx_result));
            break;
        }
        log_info(tag, "APIC ID %u up, VMX root, parked (HLT), VMXON region 0x%llx, "
                 "answered within %u us of the first SIPI%s%s", c->seen_apic_id, (unsigned long long)c->vmxon_pa, us,
                 c->seen_apic_id != m->apic_id ? " (its table entry says another APIC ID)" : "",
                 c->locked_fc ? ", IA32_FEATURE_CONTROL locked by vmxlab" : "");
        up++;
        cpus_up = up;
    }
    if (page) {
        memcpy(phys_to_virt(page), saved_page, PAGE_SIZE);
        log_info("smp", "%u of %u CPUs up (the boot CPU included), the trampoline page 0x%llx is given back as it was",
                 up, madt->cpu_total, (unsigned long long)page);
    } else {
        log_info("smp", "%u of %u CPUs up (the boot CPU included)", up, madt->cpu_total);
    }
    return up;
}
