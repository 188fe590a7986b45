/* vmxlab's options, given as key=value words on the multiboot2 command line.
 * One table (options.c) is the single source of truth for keys, accepted values,
 * defaults and help text. Pure logic: unit-tested on the host. */
#ifndef KERNEL_OPTIONS_H
#define KERNEL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum opt_log { OPT_LOG_ERROR, OPT_LOG_WARN, OPT_LOG_INFO, OPT_LOG_DEBUG, OPT_LOG_TRACE };
enum opt_on_triple { OPT_TRIPLE_HALT, OPT_TRIPLE_RESTART };
enum opt_on_reset { OPT_RESET_HALT, OPT_RESET_RESTART };
enum opt_init { OPT_INIT_ENTRY, OPT_INIT_RESET_VECTOR };
enum opt_apic { OPT_APIC_AUTO, OPT_APIC_APICV, OPT_APIC_DECODE, OPT_APIC_PASSTHROUGH };
enum opt_debug { OPT_DEBUG_NONE, OPT_DEBUG_FAULT, OPT_DEBUG_BAD_GUEST_STATE };
enum opt_ept_holes { OPT_HOLES_ONES, OPT_HOLES_STOP };

struct options {
    int log;             /* enum opt_log */
    bool vga;
    uint32_t guest_load; /* physical address the guest image is copied to */
    bool entry_given;
    uint16_t entry_cs, entry_ip;
    bool guest_unreal;   /* 4 GiB segment limits (big real mode) */
    int on_triple;       /* enum opt_on_triple */
    int on_reset;        /* enum opt_on_reset */
    int init;            /* enum opt_init */
    int apic;            /* enum opt_apic */
    int debug;           /* enum opt_debug */
    uint32_t exit_limit; /* stop after this many exits (0: no limit) */
    int ept_holes;       /* enum opt_ept_holes */
    bool drive_given;    /* guest.drive given: DL at entry is `drive` */
    uint8_t drive;
    uint32_t guest_stop_mtsc; /* guest.stop: millions of TSC ticks of guest time (0: no limit) */
    bool screen_dump;         /* screen.dump: the VGA text screen on the log at the stop */
    uint32_t cpus;            /* cpus: CPUs to start, the boot CPU included (0: every one the MADT lists) */
    bool help;
};

/* Parse a command line into *o (defaults first). On a bad word, writes one line naming
 * the key and the accepted values into err and returns false. The first word is skipped
 * when it is a file path (GRUB may pass the kernel's path). */
bool options_parse(const char *cmdline, struct options *o, char *err, size_t errlen);

/* The longest command line vmxlab keeps (kernel/main.c copies it out of the boot information,
 * which the guest may later overwrite). */
#define OPTIONS_CMDLINE_MAX 511

/* Copy the multiboot2 command line src into dst (OPTIONS_CMDLINE_MAX + 1 bytes). A longer one
 * is refused, not cut: the options at its end would be dropped without a word. On refusal,
 * writes one line naming its length and the limit into err and returns false. */
bool options_take_cmdline(const char *src, char dst[OPTIONS_CMDLINE_MAX + 1], char *err, size_t errlen);

/* Every option with its accepted values, default and meaning, one call per line. */
void options_help(void (*line)(void *ctx, const char *text), void *ctx);

#endif
