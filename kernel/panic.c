/* The fatal funnel and the final stop. */
#include "kernel/panic.h"
#include <stdbool.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_local.h"
#include "arch/x86_64/power.h"
#include "kernel/lib.h"
#include "kernel/log.h"

static void (*stop_hooks[4])(int);
static void (*fatal_hooks[4])(void);
static int in_fatal;
static int stop_owner = -1; /* the CPU that is stopping vmxlab */

void stop_hook_register(void (*fn)(int))
{
    for (unsigned i = 0; i < ARRAY_SIZE(stop_hooks); i++)
        if (!stop_hooks[i]) {
            stop_hooks[i] = fn;
            return;
        }
}

void fatal_hook_register(void (*fn)(void))
{
    for (unsigned i = 0; i < ARRAY_SIZE(fatal_hooks); i++)
        if (!fatal_hooks[i]) {
            fatal_hooks[i] = fn;
            return;
        }
}

/* One CPU stops vmxlab: the first to get here (vmxlab_stop, or the fatal funnel). Another CPU
 * that gets here later halts for good: the stopping CPU's hooks ask every vCPU to halt anyway
 * (vmx/exit.c) and print each one's state. On the stopping CPU itself a second call (a hook
 * that faults) goes on, to the power-off. */
static void stop_claim(void)
{
    int me = (int)this_cpu(), none = -1;
    if (!__atomic_compare_exchange_n(&stop_owner, &none, me, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) &&
        none != me)
        for (;;)
            cpu_idle_halt();
}

void vmxlab_stop(int status)
{
    static int hooks_ran;
    cli();
    stop_claim();
    if (!hooks_ran++) /* a hook that faults must not loop */
        for (unsigned i = 0; i < ARRAY_SIZE(stop_hooks); i++)
            if (stop_hooks[i])
                stop_hooks[i](status);
    log_raw("vmxlab: halted status=%d", status);
    power_off(status);
}

/* ---- symbols ------------------------------------------------------------------------ */
struct elf64_shdr {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
};
struct elf64_sym {
    uint32_t name;
    uint8_t info, other;
    uint16_t shndx;
    uint64_t value, size;
};
#define SHT_SYMTAB 2
#define STT_FUNC 2

static const struct elf64_sym *symtab;
static uint64_t nsyms;
static const char *strtab;
static uint64_t strtab_size;

void symbols_init(const void *sh, uint32_t count, uint32_t entsize)
{
    const uint8_t *base = sh;
    if (!sh || entsize < sizeof(struct elf64_shdr))
        return;
    for (uint32_t i = 0; i < count; i++) {
        const struct elf64_shdr *s = (const void *)(base + (uint64_t)i * entsize);
        if (s->type != SHT_SYMTAB || s->link >= count || !s->addr || s->addr >= (1ull << 32))
            continue;
        const struct elf64_shdr *st = (const void *)(base + (uint64_t)s->link * entsize);
        if (!st->addr || st->addr >= (1ull << 32))
            continue;
        symtab = (const void *)s->addr; /* GRUB loaded it; physical == virtual below 4 GiB */
        nsyms = s->size / sizeof(struct elf64_sym);
        strtab = (const char *)st->addr;
        strtab_size = st->size;
    }
}

void symbols_ranges(uint64_t range[2][2])
{
    range[0][0] = (uint64_t)symtab;
    range[0][1] = (uint64_t)symtab + nsyms * sizeof(struct elf64_sym);
    range[1][0] = (uint64_t)strtab;
    range[1][1] = (uint64_t)strtab + strtab_size;
}

const char *symbol_name(uint64_t addr, uint64_t *offset)
{
    const struct elf64_sym *best = 0;
    for (uint64_t i = 0; i < nsyms; i++) {
        const struct elf64_sym *s = &symtab[i];
        if ((s->info & 0xF) != STT_FUNC || s->value > addr || s->name >= strtab_size)
            continue;
        if (!best || s->value > best->value)
            best = s;
    }
    if (!best || (best->size && addr >= best->value + best->size + 64))
        return 0;
    *offset = addr - best->value;
    return strtab + best->name;
}

static void print_addr(const char *label, uint64_t addr)
{
    uint64_t off = 0;
    const char *name = symbol_name(addr, &off);
    if (name)
        log_error("panic", "%s 0x%016llx %s+0x%llx", label, (unsigned long long)addr, name, (unsigned long long)off);
    else
        log_error("panic", "%s 0x%016llx", label, (unsigned long long)addr);
}

extern char __image_start[], __image_end[];

void backtrace_print(uint64_t rbp)
{
    uint64_t lo = (uint64_t)__image_start, hi = (uint64_t)__image_end;
    for (int depth = 0; depth < 16 && rbp >= lo && rbp + 16 <= hi && !(rbp & 7); depth++) {
        const uint64_t *frame = (const uint64_t *)rbp;
        if (!frame[1])
            break;
        print_addr("  called from", frame[1]);
        if (frame[0] <= rbp) /* frames grow upward; anything else is corrupt */
            break;
        rbp = frame[0];
    }
}

static void run_fatal_hooks(void)
{
    stop_claim();
    if (in_fatal++)
        return;
    for (unsigned i = 0; i < ARRAY_SIZE(fatal_hooks); i++)
        if (fatal_hooks[i])
            fatal_hooks[i]();
}

void panic(const char *fmt, ...)
{
    va_list ap;
    cli();
    va_start(ap, fmt);
    vklog(LOG_ERROR, "panic", fmt, ap);
    va_end(ap);
    print_addr("at", (uint64_t)__builtin_return_address(0));
    backtrace_print((uint64_t)__builtin_frame_address(0));
    run_fatal_hooks();
    vmxlab_stop(STATUS_INTERNAL);
}

void fatal_trap(struct trap_frame *f)
{
    log_error("panic", "exception %llu %s, error code 0x%llx", (unsigned long long)f->vector,
              exception_name((unsigned)f->vector), (unsigned long long)f->error_code);
    print_addr("rip", f->rip);
    log_error("panic", "cs=%04llx rflags=%016llx rsp=%016llx ss=%04llx cr2=%016llx cr3=%016llx",
              (unsigned long long)f->cs, (unsigned long long)f->rflags, (unsigned long long)f->rsp,
              (unsigned long long)f->ss, (unsigned long long)read_cr2(), (unsigned long long)read_cr3());
    log_error("panic", "rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx", (unsigned long long)f->rax,
              (unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    log_error("panic", "rsi=%016llx rdi=%016llx rbp=%016llx r8 =%016llx", (unsigned long long)f->rsi,
              (unsigned long long)f->rdi, (unsigned long long)f->rbp, (unsigned long long)f->r8);
    log_error("panic", "r9 =%016llx r10=%016llx r11=%016llx r12=%016llx", (unsigned long long)f->r9,
              (unsigned long long)f->r10, (unsigned long long)f->r11, (unsigned long long)f->r12);
    log_error("panic", "r13=%016llx r14=%016llx r15=%016llx", (unsigned long long)f->r13, (unsigned long long)f->r14,
              (unsigned long long)f->r15);
    log_error("panic", "backtrace:");
    backtrace_print(f->rbp);
    run_fatal_hooks();
    vmxlab_stop(STATUS_INTERNAL);
}
