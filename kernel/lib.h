/* The few libc pieces a freestanding kernel needs. */
#ifndef KERNEL_LIB_H
#define KERNEL_LIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* printf subset: %c %s %d %i %u %x %X %p %%, flags '-' '0', width, precision for %s,
 * length modifiers hh h l ll z. Always NUL-terminates; returns the untruncated length. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Physical memory below 4 GiB is identity-mapped (arch/x86_64/boot.asm). The empty asm
 * hides the constant from the compiler, which otherwise warns about "arrays" at low addresses. */
static inline void *phys_to_virt(uint64_t pa)
{
    void *p;
    __asm__("" : "=r"(p) : "0"(pa));
    return p;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))

/* A spin lock for the little state vCPUs share at run time (vmx/exit_ept.c's hole pages):
 * one CPU at a time; the others wait with PAUSE. */
struct spinlock {
    volatile int locked;
};
static inline void spin_lock(struct spinlock *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
}
static inline void spin_unlock(struct spinlock *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }

#endif
