/* Fuzz target: the command-line option parser (kernel/options.c), which reads what GRUB's
 * menu or a user typed.
 *
 * Input: the command line itself (any bytes; a NUL ends it early, as in the kernel).
 *
 * Properties (kernel/options.h):
 *   - a failure names the problem in one NUL-terminated line, also in a small buffer;
 *   - a success leaves every field in its documented range, and without guest.entry the
 *     entry point is the load address;
 *   - a success re-parses to the same values from the canonical line this target writes
 *     (every option spelt out), so no value is lost or changed between spelling and parsing;
 *   - the kernel's path in front (GRUB passes it) changes nothing. */
#include "tests/fuzz/fuzz_common.h"
#include "kernel/options.h"

static const char *const log_names[] = {"error", "warn", "info", "debug", "trace"};
static const char *const triple_names[] = {"halt", "restart"};
static const char *const init_names[] = {"entry", "reset-vector"};
static const char *const apic_names[] = {"auto", "apicv", "decode", "passthrough"};
static const char *const debug_names[] = {"none", "fault", "bad-guest-state"};
static const char *const holes_names[] = {"ones", "stop"};

#define IN_RANGE(v, names) ((v) >= 0 && (size_t)(v) < sizeof(names) / sizeof(names[0]))

static bool same(const struct options *a, const struct options *b)
{
#define F(x) (a->x == b->x)
    return F(log) && F(vga) && F(guest_load) && F(entry_given) && F(entry_cs) && F(entry_ip) && F(guest_unreal) &&
           F(on_triple) && F(on_reset) && F(init) && F(apic) && F(debug) && F(exit_limit) && F(ept_holes) &&
           F(drive_given) && F(drive) && F(guest_stop_mtsc) && F(screen_dump) && F(cpus) && F(help);
#undef F
}

static void canonical(const struct options *o, char *buf, size_t len)
{
    int n = snprintf(buf, len,
                     "log=%s vga=%s guest.load=0x%x guest.unreal=%d on_triple=%s on_reset=%s init=%s apic=%s "
                     "debug=%s exits.max=%u ept.holes=%s guest.stop=%u screen.dump=%d cpus=%u",
                     log_names[o->log], o->vga ? "on" : "off", o->guest_load, o->guest_unreal,
                     triple_names[o->on_triple], triple_names[o->on_reset], init_names[o->init],
                     apic_names[o->apic], debug_names[o->debug], o->exit_limit, holes_names[o->ept_holes],
                     o->guest_stop_mtsc, o->screen_dump, o->cpus);
    if (o->entry_given)
        n += snprintf(buf + n, len - (size_t)n, " guest.entry=%x:%x", o->entry_cs, o->entry_ip);
    if (o->drive_given)
        n += snprintf(buf + n, len - (size_t)n, " guest.drive=0x%x", o->drive);
    if (o->help)
        n += snprintf(buf + n, len - (size_t)n, " help");
    FUZZ_CHECK((size_t)n < len, "canonical line too long");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fuzz_strdup(data, size);
    struct options o, again;
    char err[512];
    memset(err, 0x55, sizeof(err));
    bool ok = options_parse(line, &o, err, sizeof(err));
    FUZZ_CHECK(fuzz_terminated(err, sizeof(err)), "err not NUL-terminated");

    /* the same verdict into a small exact-size buffer, truncated but terminated */
    size_t small_len = 1 + size % 48;
    char *small = malloc(small_len);
    FUZZ_CHECK(small, "malloc");
    FUZZ_CHECK(options_parse(line, &again, small, small_len) == ok, "verdict depends on the error buffer");
    FUZZ_CHECK(fuzz_terminated(small, small_len) && !strncmp(small, err, strlen(small)),
               "small err \"%.*s\" is not a prefix of \"%s\"", (int)small_len, small, err);
    free(small);

    if (!ok) {
        FUZZ_CHECK(!strncmp(err, "unknown option '", 16) || !strncmp(err, "option needs a value: '", 23) ||
                       !strncmp(err, "bad value for option: '", 23),
                   "failure without its one line: \"%s\"", err);
        free(line);
        return 0;
    }
    FUZZ_CHECK(err[0] == 0, "success with an error text \"%s\"", err);
    FUZZ_CHECK(IN_RANGE(o.log, log_names) && IN_RANGE(o.on_triple, triple_names) &&
                   IN_RANGE(o.on_reset, triple_names) && IN_RANGE(o.init, init_names) &&
                   IN_RANGE(o.apic, apic_names) && IN_RANGE(o.debug, debug_names) &&
                   IN_RANGE(o.ept_holes, holes_names),
               "an enum out of range");
    FUZZ_CHECK(o.guest_load >= 0x500 && o.guest_load <= 0x9FFFF, "guest.load 0x%x outside 0x500..0x9ffff",
               o.guest_load);
    if (!o.entry_given)
        FUZZ_CHECK(((uint32_t)o.entry_cs << 4) + o.entry_ip == o.guest_load,
                   "default entry %04x:%04x is not the load address 0x%x", o.entry_cs, o.entry_ip, o.guest_load);

    char canon[1024];
    canonical(&o, canon, sizeof(canon));
    FUZZ_CHECK(options_parse(canon, &again, err, sizeof(err)), "canonical line \"%s\" refused: %s", canon, err);
    FUZZ_CHECK(same(&o, &again), "\"%s\" parses to other values than the line it was written from", canon);

    const char *p = line;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p != '/' && *p != '(') {
        char *with_path = malloc(size + 32);
        FUZZ_CHECK(with_path, "malloc");
        snprintf(with_path, size + 32, "/boot/vmxlab.elf %s", line);
        FUZZ_CHECK(options_parse(with_path, &again, err, sizeof(err)) && same(&o, &again),
                   "the kernel path in front changes the result (%s)", err);
        free(with_path);
    }
    free(line);
    return 0;
}
