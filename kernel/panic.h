/* One way to stop. vmxlab_stop() ends every run: stop hooks (exit statistics, the VGA
 * status), then the final line `vmxlab: halted status=N`, then power-off. panic() and every
 * CPU exception go through the fatal funnel: what happened, the registers, a symbolized
 * backtrace, the dump hooks (e.g. the VM-exit history), then vmxlab_stop(STATUS_INTERNAL). */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <stdint.h>
#include "arch/x86_64/idt.h"

/* Exit statuses (the final line and the emulator's exit code carry them). */
enum vmxlab_status {
    STATUS_OK = 0,          /* the guest finished and asked for status 0 */
    STATUS_GUEST_FAILED = 1,/* the guest reported failure, or was stopped for what it did */
    STATUS_BAD_INPUT = 2,   /* bad option, bad or missing guest module, bad boot info */
    STATUS_NO_VMX = 3,      /* the CPU cannot run vmxlab (no VMX, disabled, features missing) */
    STATUS_INTERNAL = 4,    /* panic or exception inside vmxlab */
};

__attribute__((noreturn)) void vmxlab_stop(int status);
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
__attribute__((noreturn)) void fatal_trap(struct trap_frame *f);

void stop_hook_register(void (*fn)(int status));
void fatal_hook_register(void (*fn)(void));

/* Symbols for backtraces: the ELF section headers GRUB passes (multiboot2 tag 9). */
void symbols_init(const void *section_headers, uint32_t count, uint32_t entsize);
/* Where GRUB put .symtab (range[0]) and .strtab (range[1]), physical [start, end); zeroes
 * when absent. The page pool must not hand these pages out: backtraces read them to the end. */
void symbols_ranges(uint64_t range[2][2]);
/* "name+0xoff" for a kernel address, or NULL. */
const char *symbol_name(uint64_t addr, uint64_t *offset);
void backtrace_print(uint64_t rbp);

#endif
