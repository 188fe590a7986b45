/* The log: one line format that people read and tools parse (docs/log-format.md):
 *   [<tsc, 12 columns>] <L> <module>: <text>
 * L is E W I D T (error warn info debug trace). The banner and the final status line are
 * printed raw (log_raw), so that a capture tool can cut a stream into boots. */
#ifndef KERNEL_LOG_H
#define KERNEL_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

extern enum log_level log_threshold;

static inline int log_enabled(enum log_level lvl) { return lvl <= log_threshold; }
void klog(enum log_level lvl, const char *module, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vklog(enum log_level lvl, const char *module, const char *fmt, va_list ap);
void log_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(mod, ...) klog(LOG_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...) klog(LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) klog(LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...)                                                            \
    do {                                                                               \
        if (log_enabled(LOG_DEBUG))                                                    \
            klog(LOG_DEBUG, mod, __VA_ARGS__);                                         \
    } while (0)
#define log_trace(mod, ...)                                                            \
    do {                                                                               \
        if (log_enabled(LOG_TRACE))                                                    \
            klog(LOG_TRACE, mod, __VA_ARGS__);                                         \
    } while (0)

#endif
