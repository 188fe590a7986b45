/* Log lines to the serial console. */
#include "kernel/log.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/serial.h"
#include "kernel/lib.h"

enum log_level log_threshold = LOG_INFO;

static const char level_letter[] = {'E', 'W', 'I', 'D', 'T'};

void vklog(enum log_level lvl, const char *module, const char *fmt, va_list ap)
{
    char line[512];
    if (!log_enabled(lvl))
        return;
    int n = snprintf(line, sizeof(line), "[%12llu] %c %s: ", (unsigned long long)rdtsc(), level_letter[lvl], module);
    if (n < (int)sizeof(line))
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    size_t len = strlen(line);
    serial_write(line, len);
    serial_write("\n", 1);
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
    serial_write(line, strlen(line));
    serial_write("\n", 1);
}
