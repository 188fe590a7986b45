/* Log lines to the serial console. */
#include "kernel/log.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_local.h"
#include "arch/x86_64/serial.h"
#include "kernel/lib.h"
#include <stdbool.h>

enum log_level log_threshold = LOG_INFO;

static const char level_letter[] = {'E', 'W', 'I', 'D', 'T'};

/* One line at a time on the UART, whichever CPU writes it: a spin lock around the write. The
 * CPU that holds it may log again (a fault inside the log, the fatal funnel): then it writes
 * without waiting for itself. */
static volatile int line_owner = -1;

static bool line_lock(void)
{
    int me = (int)this_cpu();
    if (__atomic_load_n(&line_owner, __ATOMIC_RELAXED) == me)
        return false;
    int free = -1;
    while (!__atomic_compare_exchange_n(&line_owner, &free, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        free = -1;
        cpu_relax();
    }
    return true;
}

static void line_unlock(bool taken)
{
    if (taken)
        __atomic_store_n(&line_owner, -1, __ATOMIC_RELEASE);
}

static void write_line(const char *text, size_t len)
{
    bool taken = line_lock();
    serial_write(text, len);
    serial_write("\n", 1);
    line_unlock(taken);
}

/* A line logged by CPU N > 0 (which runs vCPU N) names it before the module: "vcpu1 apic: ...";
 * the boot CPU's lines (vCPU 0's) keep the plain format, the one every single-CPU log has. A
 * module that is already the vCPU's name ("vcpu1: ready ...") is not repeated. */
void vklog(enum log_level lvl, const char *module, const char *fmt, va_list ap)
{
    char line[512], who[12] = "";
    if (!log_enabled(lvl))
        return;
    unsigned cpu = this_cpu();
    if (cpu) {
        snprintf(who, sizeof(who), "vcpu%u", cpu);
        size_t w = strlen(who);
        if (!strcmp(who, module))
            who[0] = 0;
        else
            who[w] = ' ', who[w + 1] = 0;
    }
    int n = snprintf(line, sizeof(line), "[%12llu] %c %s%s: ", (unsigned long long)rdtsc(), level_letter[lvl], who,
                     module);
    if (n < (int)sizeof(line))
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    write_line(line, strlen(line));
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
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    write_line(line, strlen(line));
}
