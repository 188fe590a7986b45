/* Option table and parser. */
#include "kernel/options.h"

enum kind { K_ENUM, K_ADDR, K_SEGOFF, K_UINT };

struct opt_def {
    const char *key;
    enum kind kind;
    const char *values; /* K_ENUM: "a|b|c", index = stored value; others: a description */
    const char *def;
    const char *help;
};

enum opt_id { O_LOG, O_VGA, O_GUEST_LOAD, O_GUEST_ENTRY, O_GUEST_UNREAL, O_ON_TRIPLE, O_INIT, O_APIC, O_DEBUG, O_EXITS_MAX,
              O_ON_RESET, O_EPT_HOLES, O_GUEST_DRIVE, O_GUEST_STOP, O_SCREEN_DUMP,
              O_CPUS };

static const struct opt_def defs[] = {
    [O_LOG] = {"log", K_ENUM, "error|warn|info|debug|trace", "info", "log level on the serial console (trace: every exit decoded)"},
    [O_VGA] = {"vga", K_ENUM, "off|on", "on", "vmxlab's status line on the VGA text screen"},
    [O_GUEST_LOAD] = {"guest.load", K_ADDR, "address 0x500..0x9ffff", "0x7c00", "physical address the guest image is copied to"},
    [O_GUEST_ENTRY] = {"guest.entry", K_SEGOFF, "SEG:OFF in hex", "0000:7c00", "real-mode entry point (default: the load address)"},
    [O_GUEST_UNREAL] = {"guest.unreal", K_ENUM, "0|1", "1", "1: 4 GiB segment limits (big real mode); 0: 64 KiB limits"},
    [O_ON_TRIPLE] = {"on_triple", K_ENUM, "halt|restart", "halt", "what a guest triple fault does"},
    [O_INIT] = {"init", K_ENUM, "entry|reset-vector", "entry", "where a trapped INIT restarts the vCPU"},
    [O_APIC] = {"apic", K_ENUM, "auto|apicv|decode|passthrough", "auto", "how the guest's local APIC is virtualized"},
    [O_DEBUG] = {"debug", K_ENUM, "none|fault|bad-guest-state", "none", "fault: a #UD in vmxlab; bad-guest-state: corrupt a VMCS guest field"},
    [O_EXITS_MAX] = {"exits.max", K_UINT, "number, 0 = no limit", "0", "stop the guest after this many VM exits"},
    [O_ON_RESET] = {"on_reset", K_ENUM, "halt|restart", "halt", "what a guest's machine reset (0x64, 0xCF9, 0x92, RESET_REG) does"},
    [O_EPT_HOLES] = {"ept.holes", K_ENUM, "ones|stop", "ones", "guest-physical holes (no RAM, no device): reads all ones and writes dropped, or stop the guest"},
    [O_GUEST_STOP] = {"guest.stop", K_UINT, "millions of TSC ticks, 0 = no limit", "0", "stop the guest after this much guest time (VMX-preemption timer)"},
    [O_SCREEN_DUMP] = {"screen.dump", K_ENUM, "0|1", "0", "1: the VGA text screen on the serial log when vmxlab stops"},
    [O_CPUS] = {"cpus", K_UINT, "number, 0 = all", "0", "start at most this many CPUs, the boot CPU included (the others stay in wait-for-SIPI)"},
    [O_GUEST_DRIVE] = {"guest.drive", K_UINT, "BIOS drive 0x00..0xff", "auto", "DL at guest entry (auto: 0x80 for a boot sector, else GRUB's boot drive)"},
};

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Copy s (bounded) into err; returns the new length. */
static size_t append(char *err, size_t len, size_t n, const char *s, size_t slen)
{
    for (size_t i = 0; i < slen && s[i] && n + 1 < len; i++)
        err[n++] = s[i];
    if (len)
        err[n < len ? n : len - 1] = 0;
    return n;
}

static bool bad(char *err, size_t len, const char *what, const char *word, size_t wlen, const struct opt_def *d)
{
    size_t n = 0;
    n = append(err, len, n, what, (size_t)-1);
    n = append(err, len, n, " '", 2);
    n = append(err, len, n, word, wlen);
    if (d) {
        n = append(err, len, n, "' (accepted: ", (size_t)-1);
        n = append(err, len, n, d->values, (size_t)-1);
        n = append(err, len, n, ")", 1);
    } else {
        n = append(err, len, n, "' (known: ", (size_t)-1);
        for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
            n = append(err, len, n, defs[i].key, (size_t)-1);
            n = append(err, len, n, ", ", 2);
        }
        n = append(err, len, n, "help)", (size_t)-1);
    }
    return false;
}

static bool parse_number(const char *s, size_t n, int base, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (base == 0) {
        base = 10;
        if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
            base = 16, s += 2, n -= 2;
    }
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        if (d >= (unsigned)base)
            return false;
        v = v * (unsigned)base + d;
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

static bool enum_index(const char *values, const char *v, size_t vlen, int *out)
{
    int idx = 0;
    const char *p = values;
    while (*p) {
        size_t l = 0;
        while (p[l] && p[l] != '|')
            l++;
        if (l == vlen) {
            size_t i = 0;
            while (i < l && p[i] == v[i])
                i++;
            if (i == l) {
                *out = idx;
                return true;
            }
        }
        p += l;
        if (*p == '|')
            p++;
        idx++;
    }
    return false;
}

static bool store(struct options *o, size_t which, const char *v, size_t vlen)
{
    const struct opt_def *d = &defs[which];
    int e = 0;
    uint64_t n = 0;
    switch (d->kind) {
    case K_ENUM:
        if (!enum_index(d->values, v, vlen, &e))
            return false;
        break;
    case K_ADDR:
        if (!parse_number(v, vlen, 0, 0x9FFFF, &n) || n < 0x500)
            return false;
        break;
    case K_UINT:
        if (!parse_number(v, vlen, 0, 0xFFFFFFFF, &n))
            return false;
        break;
    case K_SEGOFF: {
        size_t colon = 0;
        uint64_t seg, off;
        while (colon < vlen && v[colon] != ':')
            colon++;
        if (colon == vlen || !parse_number(v, colon, 16, 0xFFFF, &seg) ||
            !parse_number(v + colon + 1, vlen - colon - 1, 16, 0xFFFF, &off))
            return false;
        o->entry_given = true;
        o->entry_cs = (uint16_t)seg;
        o->entry_ip = (uint16_t)off;
        return true;
    }
    }
    switch (which) {
    case O_LOG: o->log = e; break;
    case O_VGA: o->vga = e == 1; break;
    case O_GUEST_LOAD: o->guest_load = (uint32_t)n; break;
    case O_GUEST_UNREAL: o->guest_unreal = e == 1; break;
    case O_ON_TRIPLE: o->on_triple = e; break;
    case O_INIT: o->init = e; break;
    case O_APIC: o->apic = e; break;
    case O_DEBUG: o->debug = e; break;
    case O_EXITS_MAX: o->exit_limit = (uint32_t)n; break;
    case O_ON_RESET: o->on_reset = e; break;
    case O_EPT_HOLES: o->ept_holes = e; break;
    case O_GUEST_STOP: o->guest_stop_mtsc = (uint32_t)n; break;
    case O_SCREEN_DUMP: o->screen_dump = e == 1; break;
    case O_CPUS: o->cpus = (uint32_t)n; break;
    case O_GUEST_DRIVE:
        if (n > 0xFF)
            return false;
        o->drive_given = true;
        o->drive = (uint8_t)n;
        break;
    }
    return true;
}

/* n in decimal at err + len; returns the new length */
static size_t append_uint(char *err, size_t len, size_t n, size_t v)
{
    char digits[24];
    size_t d = sizeof(digits);
    digits[--d] = 0;
    do
        digits[--d] = (char)('0' + v % 10);
    while ((v /= 10) && d);
    return append(err, len, n, digits + d, (size_t)-1);
}

bool options_take_cmdline(const char *src, char dst[OPTIONS_CMDLINE_MAX + 1], char *err, size_t errlen)
{
    size_t n = 0;
    src = src ? src : "";
    while (src[n])
        n++;
    if (errlen)
        err[0] = 0;
    if (n > OPTIONS_CMDLINE_MAX) {
        size_t e = append(err, errlen, 0, "command line of ", (size_t)-1);
        e = append_uint(err, errlen, e, n);
        e = append(err, errlen, e, " bytes is longer than the ", (size_t)-1);
        e = append_uint(err, errlen, e, OPTIONS_CMDLINE_MAX);
        append(err, errlen, e, " vmxlab takes (the options past that would be lost): shorten it", (size_t)-1);
        dst[0] = 0;
        return false;
    }
    for (size_t i = 0; i <= n; i++)
        dst[i] = src[i];
    return true;
}

bool options_parse(const char *cmdline, struct options *o, char *err, size_t errlen)
{
    *o = (struct options){.log = OPT_LOG_INFO, .vga = true, .guest_load = 0x7C00, .guest_unreal = true};
    if (errlen)
        err[0] = 0;
    const char *p = cmdline ? cmdline : "";
    bool first = true;
    for (;;) {
        while (is_space(*p))
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && !is_space(*p))
            p++;
        size_t wlen = (size_t)(p - w);
        if (first && (w[0] == '/' || w[0] == '(')) { /* the kernel's own path */
            first = false;
            continue;
        }
        first = false;
        if (wlen == 4 && w[0] == 'h' && w[1] == 'e' && w[2] == 'l' && w[3] == 'p') {
            o->help = true;
            continue;
        }
        size_t eq = 0;
        while (eq < wlen && w[eq] != '=')
            eq++;
        size_t which = sizeof(defs) / sizeof(defs[0]);
        for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
            size_t k = 0;
            while (defs[i].key[k] && k < eq && defs[i].key[k] == w[k])
                k++;
            if (k == eq && !defs[i].key[k]) {
                which = i;
                break;
            }
        }
        if (which == sizeof(defs) / sizeof(defs[0]))
            return bad(err, errlen, "unknown option", w, eq, 0);
        if (eq == wlen)
            return bad(err, errlen, "option needs a value:", w, wlen, &defs[which]);
        if (!store(o, which, w + eq + 1, wlen - eq - 1))
            return bad(err, errlen, "bad value for option:", w, wlen, &defs[which]);
    }
    if (!o->entry_given) { /* enter where the image was loaded, as a boot sector would be */
        o->entry_cs = (uint16_t)(o->guest_load > 0xFFFF ? (o->guest_load >> 4) : 0);
        o->entry_ip = (uint16_t)(o->guest_load - ((uint32_t)o->entry_cs << 4));
    }
    return true;
}

void options_help(void (*line)(void *ctx, const char *text), void *ctx)
{
    char buf[256];
    for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
        size_t n = 0;
        n = append(buf, sizeof(buf), n, defs[i].key, (size_t)-1);
        n = append(buf, sizeof(buf), n, "=", 1);
        n = append(buf, sizeof(buf), n, defs[i].values, (size_t)-1);
        n = append(buf, sizeof(buf), n, " (default ", (size_t)-1);
        n = append(buf, sizeof(buf), n, defs[i].def, (size_t)-1);
        n = append(buf, sizeof(buf), n, "): ", (size_t)-1);
        n = append(buf, sizeof(buf), n, defs[i].help, (size_t)-1);
        line(ctx, buf);
    }
}
