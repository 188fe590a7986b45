/*
 * fake_vmcs.c - the fake VMCS, vmx global, CPU and log of tests/unit/fake_vmcs.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "arch/x86_64/cpu.h"
#include "kernel/acpi.h"
#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/status.h"
#include "apic/papic.h"
#include "tests/unit/fake_vmcs.h"
#include "vmx/exit.h"
#include "vmx/inject.h"
#include "vmx/vcpu_ops.h"
#include "vmx/vmx.h"
#include "vmx/vmx_caps.h"
#include "vmx/vmx_internal.h"

#define WEAK __attribute__((weak))

/* ---- VMCS ------------------------------------------------------------------------------ */
uint64_t fake_vmcs[FAKE_VMCS_FIELDS];
unsigned fake_vmcs_written[FAKE_VMCS_FIELDS];

static uint64_t *slot(uint64_t field)
{
    if (field >= FAKE_VMCS_FIELDS)
        fail_msg("VMCS field encoding 0x%llx out of range", (unsigned long long)field);
    return &fake_vmcs[field];
}

uint64_t vmcs_read(uint64_t field) { return *slot(field); }
void vmcs_write(uint64_t field, uint64_t value)
{
    *slot(field) = value;
    fake_vmcs_written[field]++;
}
uint64_t vmcs_read_hot(uint64_t field) { return vmcs_read(field); }
void vmcs_write_hot(uint64_t field, uint64_t value) { vmcs_write(field, value); }

/* ---- vmx (vmx/setup.c's globals and helpers) ------------------------------------------ */
struct vmx_state vmx;
struct fake_cpu fake_cpu;

const struct vmx_caps *vmx_caps(void) { return &vmx.caps; }
struct vcpu *vmx_vcpu(unsigned id) { return id < VMX_MAX_VCPUS ? &vmx.vcpus[id] : 0; }

static const uint32_t ctl_field[VMX_CTL_COUNT] = {
    [VMX_CTL_PIN] = VMCS_CTRL_PIN_BASED, [VMX_CTL_PROC] = VMCS_CTRL_PROC_BASED,
    [VMX_CTL_PROC2] = VMCS_CTRL_PROC_BASED2, [VMX_CTL_EXIT] = VMCS_CTRL_EXIT, [VMX_CTL_ENTRY] = VMCS_CTRL_ENTRY,
};

/* as vmx/setup.c: v->ctl and the VMCS field together; the fake CPU refuses ctl_refuse bits */
bool vmx_ctl_change(struct vcpu *v, enum vmx_ctl ctl, uint32_t set, uint32_t clear, uint32_t *missing)
{
    if (set & fake_cpu.ctl_refuse[ctl]) {
        if (missing)
            *missing = set & fake_cpu.ctl_refuse[ctl];
        return false;
    }
    v->ctl[ctl] = (v->ctl[ctl] | set) & ~clear;
    vmcs_write(ctl_field[ctl], v->ctl[ctl]);
    return true;
}

/* vmx/setup.c's: what vmxlab loads for a CR0/CR4 the guest wants (the fixed bits forced) */
uint64_t vmx_guest_cr0_real(uint64_t wanted)
{
    return vmx_cr_apply_fixed(wanted, vmx_guest_cr0_fixed0(&vmx.caps, true), vmx.caps.cr0_fixed1);
}
uint64_t vmx_guest_cr4_real(uint64_t wanted)
{
    return vmx_cr_apply_fixed(wanted, vmx.caps.cr4_fixed0, vmx.caps.cr4_fixed1);
}
void vmx_flush_vpid(struct vcpu *v) { (void)v, fake_cpu.flush_vpid++; }
void vmx_flush_tlb(struct vcpu *v) { (void)v, fake_cpu.flush_tlb++; }
WEAK void msr_bitmap_intercept(uint32_t msr, bool read, bool write) { (void)msr, (void)read, (void)write; }
WEAK struct vcpu_start vcpu_entry_point(void)
{
    return (struct vcpu_start){vmx.opts.entry_cs, (uint32_t)vmx.opts.entry_cs << 4, vmx.opts.entry_ip};
}
WEAK struct vcpu_start vcpu_reset_vector(void) { return (struct vcpu_start){0xF000, 0xFFFF0000, 0xFFF0}; }

/* what the handlers' files reach in files a test does not link */
exit_handler_t fake_handlers[EXIT_REASON_COUNT];
WEAK void exit_handler_set(unsigned reason, exit_handler_t fn)
{
    if (reason < EXIT_REASON_COUNT)
        fake_handlers[reason] = fn;
}
WEAK exit_handler_t exit_handler_get(unsigned reason)
{
    return reason < EXIT_REASON_COUNT ? fake_handlers[reason] : 0;
}
const struct intr_controller *fake_intr_controller;
WEAK void intr_controller_set(const struct intr_controller *c) { fake_intr_controller = c; }
WEAK void vcpu_wake(struct vcpu *v) { (void)v, fake_cpu.wakes++; }
WEAK bool biosmem_vmcall(struct vcpu *v) { (void)v; return false; }
WEAK void stop_hook_register(void (*fn)(int)) { (void)fn; }
WEAK void fatal_hook_register(void (*fn)(void)) { (void)fn; }
/* exit.c's table names every handler; those of files a test does not link fail if called */
#define UNLINKED_HANDLER(name)                                                          \
    WEAK enum exit_action name(struct vcpu *v)                                          \
    {                                                                                   \
        (void)v;                                                                        \
        fail_msg(#name ": its file is not linked into this test");                      \
        return EXIT_STOP;                                                               \
    }
UNLINKED_HANDLER(exit_io_instruction)
UNLINKED_HANDLER(exit_ept_violation)
UNLINKED_HANDLER(exit_ept_misconfig)
UNLINKED_HANDLER(exit_preemption_timer)
/* requests between vCPUs: vmx/vcpu_reset.c has the real ones (a test that links it sends
 * them for real); these stand in where it is not linked. Taking them in a loop is the run
 * loop's. */
WEAK void vcpu_take_requests(struct vcpu *v) { (void)v; fail_msg("vcpu_take_requests: the run loop, not linked"); }
WEAK void vcpu_request(struct vcpu *from, struct vcpu *to, uint32_t req)
{
    (void)from;
    to->requests |= req;   /* no kick: a host test has no other CPU */
}
WEAK void vcpu_request_handler_set(void (*fn)(struct vcpu *v, uint32_t req)) { (void)fn; }
WEAK void smp_kick(unsigned index) { (void)index; }   /* a host test has no other CPU */
WEAK void cpu_idle_halt(void) { fail_msg("cpu_idle_halt: a vCPU waiting for SIPI, not for host tests"); }
WEAK void vcpu_halt_for_good(struct vcpu *v) { (void)v; fail_msg("vcpu_halt_for_good: the run loop"); abort(); }
WEAK void inject_nmi(struct vcpu *v) { (void)v; fail_msg("inject_nmi: vmx/nmi.c is not linked"); }
WEAK void intr_before_entry_work(struct vcpu *v) { (void)v; fail_msg("intr_before_entry_work: not linked"); }
/* the run loop (entry.asm) and the backtrace's symbols (kernel/panic.c): not on the host */
WEAK void vmx_loop(struct vcpu *v) { (void)v; fail_msg("vmx_loop: the world switch, not for host tests"); abort(); }
WEAK const char *symbol_name(uint64_t addr, uint64_t *offset) { (void)addr, (void)offset; return 0; }
WEAK uint64_t vmx_alloc_page(void) { fail_msg("vmx_alloc_page: setup code, not for host tests"); return 0; }
WEAK void vmx_ept_map_page(uint64_t gpa, uint64_t hpa, uint64_t perms, unsigned memtype)
{
    (void)gpa, (void)hpa, (void)perms, (void)memtype;
    fail_msg("vmx_ept_map_page: setup code, not for host tests");
}
/* setup-time code of files a test links for their handlers (exit_io.c's io_setup) */
WEAK const struct acpi_s5 *acpi_found(void) { fail_msg("acpi_found: setup code, not for host tests"); return 0; }
WEAK uint64_t pool_alloc_pages(struct page_pool *p, unsigned count)
{
    (void)p, (void)count;
    fail_msg("pool_alloc_pages: setup code, not for host tests");
    return 0;
}
WEAK void vmx_guest_initial_state(struct vcpu *v, const struct options *o, uint8_t boot_drive)
{
    (void)v, (void)o, (void)boot_drive;
    fail_msg("vmx_guest_initial_state: vmx/setup.c is not linked into host tests");
}
WEAK int vmx_enter(struct vcpu *v) { (void)v; fail_msg("vmx_enter: a host test enters no guest"); return 1; }
WEAK unsigned ept_table_pages(const struct ept *e) { (void)e; return 0; }
WEAK char __image_start[1], __image_end[1];
WEAK void status_detail_set(void (*fn)(char *buf, unsigned long len)) { (void)fn; }

/* ---- CPU ------------------------------------------------------------------------------- */
#define CPUID_LEAVES 32
static struct {
    uint32_t leaf, subleaf;
    struct cpuid_regs r;
} cpuid_table[CPUID_LEAVES];
static unsigned cpuid_count;

void fake_cpuid_set(uint32_t leaf, uint32_t subleaf, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
    for (unsigned i = 0; i < cpuid_count; i++)
        if (cpuid_table[i].leaf == leaf && cpuid_table[i].subleaf == subleaf) {
            cpuid_table[i].r = (struct cpuid_regs){eax, ebx, ecx, edx};
            return;
        }
    if (cpuid_count == CPUID_LEAVES)
        fail_msg("fake_cpuid_set: more than %d leaves", CPUID_LEAVES);
    cpuid_table[cpuid_count++] = (typeof(cpuid_table[0])){leaf, subleaf, {eax, ebx, ecx, edx}};
}

struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    for (unsigned i = 0; i < cpuid_count; i++)
        if (cpuid_table[i].leaf == leaf && cpuid_table[i].subleaf == subleaf)
            return cpuid_table[i].r;
    return (struct cpuid_regs){0, 0, 0, 0};
}

#define MSRS 32
static struct {
    uint32_t msr;
    uint64_t value;
} msr_table[MSRS];
static unsigned msr_count;

void fake_msr_set(uint32_t msr, uint64_t value)
{
    for (unsigned i = 0; i < msr_count; i++)
        if (msr_table[i].msr == msr) {
            msr_table[i].value = value;
            return;
        }
    if (msr_count == MSRS)
        fail_msg("fake_msr_set: more than %d MSRs", MSRS);
    msr_table[msr_count].msr = msr, msr_table[msr_count].value = value;
    msr_count++;
}

uint64_t fake_msr_get(uint32_t msr)
{
    for (unsigned i = 0; i < msr_count; i++)
        if (msr_table[i].msr == msr)
            return msr_table[i].value;
    fail_msg("rdmsr(0x%x): an MSR the test did not set", msr);
    return 0;
}

void outb(uint16_t port, uint8_t v) { fake_cpu.port[port] = v, fake_cpu.outs++; }
void outw(uint16_t port, uint16_t v) { fake_cpu.port[port] = v, fake_cpu.outs++; }
void outl(uint16_t port, uint32_t v) { fake_cpu.port[port] = v, fake_cpu.outs++; }
uint8_t inb(uint16_t port) { return (uint8_t)fake_cpu.port[port]; }
uint16_t inw(uint16_t port) { return (uint16_t)fake_cpu.port[port]; }
uint32_t inl(uint16_t port) { return fake_cpu.port[port]; }
uint64_t rdmsr(uint32_t msr) { return fake_msr_get(msr); }
void wrmsr(uint32_t msr, uint64_t v) { fake_msr_set(msr, v); }
uint64_t rdtsc(void)
{
    uint64_t t = fake_cpu.tsc;
    fake_cpu.tsc += fake_cpu.tsc_step;
    return t;
}
uint64_t read_cr0(void) { return fake_cpu.cr0; }
uint64_t read_cr2(void) { return fake_cpu.cr2; }
uint64_t read_cr3(void) { return fake_cpu.cr3; }
uint64_t read_cr4(void) { return fake_cpu.cr4; }
void write_cr0(uint64_t v) { fake_cpu.cr0 = v; }
void write_cr2(uint64_t v) { fake_cpu.cr2 = v; }
void write_cr3(uint64_t v) { fake_cpu.cr3 = v; }
void write_cr4(uint64_t v) { fake_cpu.cr4 = v; }
void write_dr0(uint64_t v) { fake_cpu.dr[0] = v; }
void write_dr1(uint64_t v) { fake_cpu.dr[1] = v; }
void write_dr2(uint64_t v) { fake_cpu.dr[2] = v; }
void write_dr3(uint64_t v) { fake_cpu.dr[3] = v; }
void write_dr6(uint64_t v) { fake_cpu.dr[6] = v; }
void xsetbv(uint32_t index, uint64_t value)
{
    if (index != 0)
        fail_msg("xsetbv(%u): only XCR0 exists", index);
    fake_cpu.xcr0 = value;
    fake_cpu.xsetbv_count++;
}

/* ---- the physical local APIC (apic/papic.h) --------------------------------------------- */
uint32_t fake_papic[1024];
unsigned fake_papic_eois;
void papic_setup(void) {}
uint32_t papic_read(uint32_t off) { return fake_papic[(off & 0xFFF) / 4]; }
void papic_write(uint32_t off, uint32_t val)
{
    if (off == 0x0B0) /* EOI */
        fake_papic_eois++;
    fake_papic[(off & 0xFFF) / 4] = val;
}
bool papic_test(uint32_t bank, uint8_t v) { return (fake_papic[(bank + 0x10u * (v >> 5)) / 4] >> (v & 31)) & 1; }
void fake_papic_set(uint32_t bank, uint8_t v) { fake_papic[(bank + 0x10u * (v >> 5)) / 4] |= 1u << (v & 31); }

/* ---- guest-physical memory ------------------------------------------------------------- */
/* vmxlab reaches guest-physical memory below 4 GiB at the same address (kernel/lib.h
 * phys_to_virt); a test maps the pages a handler reads there, in its own address space. */
void *fake_guest_memory(uint64_t pa, size_t len)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
    void *p = mmap((void *)(uintptr_t)pa, len, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED || p != (void *)(uintptr_t)pa)
        fail_msg("fake_guest_memory: cannot map 0x%llx bytes at 0x%llx", (unsigned long long)len,
                 (unsigned long long)pa);
    return p;
}

/* ---- log and stops --------------------------------------------------------------------- */
enum log_level log_threshold = LOG_DEBUG;
#define LOG_LINES 128
#define LOG_WIDTH 400
static char log_lines[LOG_LINES][LOG_WIDTH];
static unsigned log_count;

void vklog(enum log_level lvl, const char *module, const char *fmt, va_list ap)
{
    if (!log_enabled(lvl))
        return;
    if (log_count == LOG_LINES)
        fail_msg("fake log: more than %d lines", LOG_LINES);
    char *l = log_lines[log_count++];
    int n = snprintf(l, LOG_WIDTH, "%c %s: ", "EWIDT"[lvl], module);
    vsnprintf(l + n, LOG_WIDTH - (size_t)n, fmt, ap);
}

void klog(enum log_level lvl, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vklog(lvl, module, fmt, ap);
    va_end(ap);
}

void log_raw(const char *fmt, ...)
{
    char text[LOG_WIDTH];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    klog(LOG_INFO, "raw", "%s", text);
}

unsigned fake_log_count(void) { return log_count; }
const char *fake_log_line(unsigned i) { return i < log_count ? log_lines[i] : 0; }
void fake_log_clear(void) { log_count = 0; }
void fake_log_dump(void)
{
    for (unsigned i = 0; i < log_count; i++)
        print_message("  log[%u] %s\n", i, log_lines[i]);
}

const char *fake_log_find(char level, const char *module, ...)
{
    for (unsigned i = 0; i < log_count; i++) {
        const char *l = log_lines[i];
        size_t ml = strlen(module);
        if (l[0] != level || strncmp(l + 2, module, ml) != 0 || l[2 + ml] != ':')
            continue;
        va_list ap;
        va_start(ap, module);
        bool all = true;
        for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
            if (!strstr(l + 2 + ml, s))
                all = false;
        va_end(ap);
        if (all)
            return l;
    }
    return 0;
}

void panic(const char *fmt, ...)
{
    char msg[LOG_WIDTH];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fake_log_dump();
    fail_msg("panic: %s", msg);
    abort();
}

void vmxlab_stop(int status)
{
    fake_log_dump();
    fail_msg("vmxlab_stop(%d)", status);
    abort();
}

/* ---- reset ----------------------------------------------------------------------------- */
/* Bochs 2.7 corei7_skylake_x (docs/bochs.md): CR0 FIXED0 80000021, FIXED1 ffffffff, CR4
 * FIXED0 2000 (VMXE), FIXED1 3727ff; the guest/host masks as vmx/setup.c derives them. */
void fake_reset(void)
{
    memset(fake_vmcs, 0, sizeof(fake_vmcs));
    memset(fake_vmcs_written, 0, sizeof(fake_vmcs_written));
    memset(&vmx, 0, sizeof(vmx));
    memset(&fake_cpu, 0, sizeof(fake_cpu));
    memset(fake_handlers, 0, sizeof(fake_handlers));
    memset(fake_papic, 0, sizeof(fake_papic));
    fake_papic_eois = 0;
    fake_papic[0xF0 / 4] = 0x1FF; /* vmxlab's own APIC: software-enabled */
    cpuid_count = msr_count = 0;
    log_count = 0;
    log_threshold = LOG_DEBUG;
    fake_cpu.cr4 = CR4_OSXSAVE | CR4_PAE | CR4_VMXE; /* vmxlab sets its OSXSAVE (setup.c) */
    vmx.caps.cr0_fixed0 = 0x80000021ull, vmx.caps.cr0_fixed1 = 0xFFFFFFFFull;
    vmx.caps.cr4_fixed0 = 0x2000ull, vmx.caps.cr4_fixed1 = 0x3727FFull;
    vmx.cr0_mask = (vmx_cr_host_owned_bits(vmx_guest_cr0_fixed0(&vmx.caps, true), vmx.caps.cr0_fixed1) | CR0_PG) &
                   0xFFFFFFFFull;
    vmx.cr4_mask = vmx_cr_host_owned_bits(vmx.caps.cr4_fixed0, vmx.caps.cr4_fixed1) & 0xFFFFFFFFull;
    vmcs_write(VMCS_CR0_GUEST_HOST_MASK, vmx.cr0_mask);
    vmcs_write(VMCS_CR4_GUEST_HOST_MASK, vmx.cr4_mask);
    for (unsigned i = 0; i < VMX_MAX_VCPUS; i++) {
        vmx.vcpus[i].id = i;
        snprintf(vmx.vcpus[i].tag, sizeof(vmx.vcpus[i].tag), "vcpu%u", i);
    }
    memset(fake_vmcs_written, 0, sizeof(fake_vmcs_written));
}

void fake_exit(struct vcpu *v, uint32_t reason, uint64_t qualification, uint64_t rip, uint32_t insn_len)
{
    fake_vmcs[VMCS_EXIT_REASON] = reason;
    fake_vmcs[VMCS_EXIT_QUALIFICATION] = qualification;
    fake_vmcs[VMCS_GUEST_RIP] = rip;
    fake_vmcs[VMCS_EXIT_INSTRUCTION_LENGTH] = insn_len;
    v->exit_reason = reason & EXIT_REASON_BASIC_MASK;
    v->exit_qualification = qualification;
    v->rip = rip;
    v->idt_info = (uint32_t)fake_vmcs[VMCS_IDT_VECTORING_INFO];
    v->event_set = false;
    v->exits_total++;
}
