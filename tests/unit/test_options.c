/* kernel/options.c on the host: every key, the defaults, help, and the exact one-line
 * message a bad word produces (it is what a student reads on the serial console). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/options.h"

static struct options o;
static char err[512];

static void ok(const char *cmdline)
{
    bool r = options_parse(cmdline, &o, err, sizeof(err));
    if (!r)
        fail_msg("'%s' refused: %s", cmdline, err);
}

static void refused(const char *cmdline, const char *message)
{
    assert_false(options_parse(cmdline, &o, err, sizeof(err)));
    assert_string_equal(err, message);
}

static void defaults(void **state)
{
    (void)state;
    const char *empty[] = {"", "   ", NULL, "\t\n"};
    for (unsigned i = 0; i < 4; i++) {
        ok(empty[i]);
        assert_int_equal(o.log, OPT_LOG_INFO);
        assert_true(o.vga);
        assert_int_equal(o.guest_load, 0x7C00);
        assert_false(o.entry_given);
        assert_int_equal(o.entry_cs, 0);
        assert_int_equal(o.entry_ip, 0x7C00);
        assert_true(o.guest_unreal);
        assert_int_equal(o.on_triple, OPT_TRIPLE_HALT);
        assert_int_equal(o.on_reset, OPT_RESET_HALT);
        assert_int_equal(o.init, OPT_INIT_ENTRY);
        assert_int_equal(o.apic, OPT_APIC_AUTO);
        assert_int_equal(o.debug, OPT_DEBUG_NONE);
        assert_int_equal(o.exit_limit, 0);
        assert_int_equal(o.ept_holes, OPT_HOLES_ONES);
        assert_false(o.help);
        assert_false(o.drive_given);
        assert_int_equal(o.cpus, 0);
        assert_string_equal(err, "");
    }
}

static void every_key(void **state)
{
    (void)state;
    ok("log=trace vga=off guest.load=0x1000 guest.entry=0100:0010 guest.unreal=0 on_triple=restart "
       "init=reset-vector apic=passthrough debug=bad-guest-state exits.max=1000 on_reset=restart");
    assert_int_equal(o.log, OPT_LOG_TRACE);
    assert_false(o.vga);
    assert_int_equal(o.guest_load, 0x1000);
    assert_true(o.entry_given);
    assert_int_equal(o.entry_cs, 0x100);
    assert_int_equal(o.entry_ip, 0x10);
    assert_false(o.guest_unreal);
    assert_int_equal(o.on_triple, OPT_TRIPLE_RESTART);
    assert_int_equal(o.init, OPT_INIT_RESET_VECTOR);
    assert_int_equal(o.apic, OPT_APIC_PASSTHROUGH);
    assert_int_equal(o.debug, OPT_DEBUG_BAD_GUEST_STATE);
    assert_int_equal(o.exit_limit, 1000);
    assert_int_equal(o.on_reset, OPT_RESET_RESTART);
}

static void every_enum_value(void **state)
{
    (void)state;
    const char *logs[] = {"error", "warn", "info", "debug", "trace"};
    char line[64];
    for (int i = 0; i < 5; i++) {
        snprintf(line, sizeof(line), "log=%s", logs[i]);
        ok(line);
        assert_int_equal(o.log, i);
    }
    const char *apics[] = {"auto", "apicv", "decode", "passthrough"};
    for (int i = 0; i < 4; i++) {
        snprintf(line, sizeof(line), "apic=%s", apics[i]);
        ok(line);
        assert_int_equal(o.apic, i);
    }
    ok("vga=on guest.unreal=1 on_triple=halt init=entry debug=fault");
    assert_true(o.vga);
    assert_true(o.guest_unreal);
    assert_int_equal(o.on_triple, OPT_TRIPLE_HALT);
    assert_int_equal(o.init, OPT_INIT_ENTRY);
    assert_int_equal(o.debug, OPT_DEBUG_FAULT);
}

static void last_word_wins(void **state)
{
    (void)state;
    ok("log=debug log=warn");
    assert_int_equal(o.log, OPT_LOG_WARN);
}

static void help_word(void **state)
{
    (void)state;
    ok("help");
    assert_true(o.help);
    ok("log=debug help vga=off");
    assert_true(o.help);
    assert_false(o.vga);
    refused("helpme", "unknown option 'helpme' (known: log, vga, guest.load, guest.entry, guest.unreal, on_triple, "
                      "init, apic, debug, exits.max, on_reset, ept.holes, guest.drive, guest.stop, screen.dump, cpus, help)");
}

static void kernel_path_first_word(void **state)
{
    (void)state;
    ok("/boot/vmxlab.elf log=debug");
    assert_int_equal(o.log, OPT_LOG_DEBUG);
    ok("(cd)/boot/vmxlab.elf");
    /* only the first word may be a path */
    refused("log=debug /boot/vmxlab.elf", "unknown option '/boot/vmxlab.elf' (known: log, vga, guest.load, "
                                          "guest.entry, guest.unreal, on_triple, init, apic, debug, exits.max, on_reset, ept.holes, guest.drive, guest.stop, screen.dump, cpus, help)");
}

static void unknown_key(void **state)
{
    (void)state;
    refused("colour=blue", "unknown option 'colour' (known: log, vga, guest.load, guest.entry, guest.unreal, "
                           "on_triple, init, apic, debug, exits.max, on_reset, ept.holes, guest.drive, guest.stop, screen.dump, cpus, help)");
    /* a prefix of a key is not the key */
    refused("lo=info", "unknown option 'lo' (known: log, vga, guest.load, guest.entry, guest.unreal, on_triple, "
                       "init, apic, debug, exits.max, on_reset, ept.holes, guest.drive, guest.stop, screen.dump, cpus, help)");
}

static void bad_values_name_key_and_accepted(void **state)
{
    (void)state;
    refused("apic=sometimes", "bad value for option: 'apic=sometimes' (accepted: auto|apicv|decode|passthrough)");
    refused("log=verbose", "bad value for option: 'log=verbose' (accepted: error|warn|info|debug|trace)");
    refused("vga=yes", "bad value for option: 'vga=yes' (accepted: off|on)");
    refused("guest.unreal=2", "bad value for option: 'guest.unreal=2' (accepted: 0|1)");
    refused("on_triple=reboot", "bad value for option: 'on_triple=reboot' (accepted: halt|restart)");
    refused("on_reset=reboot", "bad value for option: 'on_reset=reboot' (accepted: halt|restart)");
    refused("init=sipi", "bad value for option: 'init=sipi' (accepted: entry|reset-vector)");
    refused("debug=all", "bad value for option: 'debug=all' (accepted: none|fault|bad-guest-state)");
    refused("exits.max=-1", "bad value for option: 'exits.max=-1' (accepted: number, 0 = no limit)");
    refused("log=", "bad value for option: 'log=' (accepted: error|warn|info|debug|trace)");
    refused("log", "option needs a value: 'log' (accepted: error|warn|info|debug|trace)");
    /* the first bad word stops the parse; enum values are case-sensitive */
    refused("log=debug apic=APICV vga=maybe", "bad value for option: 'apic=APICV' (accepted: auto|apicv|decode|passthrough)");
}

static void guest_load_limits(void **state)
{
    (void)state;
    ok("guest.load=0x500");
    assert_int_equal(o.guest_load, 0x500);
    ok("guest.load=0x9ffff");
    assert_int_equal(o.guest_load, 0x9FFFF);
    ok("guest.load=31744"); /* decimal works too */
    assert_int_equal(o.guest_load, 0x7C00);
    ok("guest.load=0X7C00");
    assert_int_equal(o.guest_load, 0x7C00);
    const char *msg = "(accepted: address 0x500..0x9ffff)";
    const char *bad[] = {"guest.load=0x4ff", "guest.load=0xa0000", "guest.load=0x", "guest.load=7c00",
                         "guest.load=0x7c00z", "guest.load=0x100000000000000000"};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[128];
        snprintf(want, sizeof(want), "bad value for option: '%s' %s", bad[i], msg);
        refused(bad[i], want);
    }
}

static void ept_holes_values(void **state)
{
    (void)state;
    ok("ept.holes=stop");
    assert_int_equal(o.ept_holes, OPT_HOLES_STOP);
    ok("ept.holes=ones");
    assert_int_equal(o.ept_holes, OPT_HOLES_ONES);
    refused("ept.holes=zeros", "bad value for option: 'ept.holes=zeros' (accepted: ones|stop)");
}

static void exits_max_limits(void **state)
{
    (void)state;
    ok("exits.max=4294967295");
    assert_int_equal(o.exit_limit, 4294967295u);
    ok("exits.max=0x10");
    assert_int_equal(o.exit_limit, 16);
    refused("exits.max=4294967296", "bad value for option: 'exits.max=4294967296' (accepted: number, 0 = no limit)");
}

/* guest.drive: a BIOS drive number, 0x00..0xff; without it the default is chosen at boot
 * (kernel/guestimg.c guest_drive_pick) */
static void guest_drive_values(void **state)
{
    (void)state;
    ok("guest.drive=0x80");
    assert_true(o.drive_given);
    assert_int_equal(o.drive, 0x80);
    ok("guest.drive=0x00");
    assert_true(o.drive_given);
    assert_int_equal(o.drive, 0);
    ok("guest.drive=0xff");
    assert_int_equal(o.drive, 0xFF);
    ok("guest.drive=224"); /* decimal, the CD of Bochs's BIOS */
    assert_int_equal(o.drive, 0xE0);
    const char *bad[] = {"guest.drive=0x100", "guest.drive=256", "guest.drive=hd0", "guest.drive=", "guest.drive=-1"};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[128];
        snprintf(want, sizeof(want), "bad value for option: '%s' (accepted: BIOS drive 0x00..0xff)", bad[i]);
        refused(bad[i], want);
    }
}

/* guest.stop (millions of TSC ticks of guest time) and screen.dump, for guests that never end */
static void guest_stop_and_screen_dump(void **state)
{
    (void)state;
    ok("");
    assert_int_equal(o.guest_stop_mtsc, 0);
    assert_false(o.screen_dump);
    ok("guest.stop=2500 screen.dump=1");
    assert_int_equal(o.guest_stop_mtsc, 2500);
    assert_true(o.screen_dump);
    ok("screen.dump=0");
    assert_false(o.screen_dump);
    refused("guest.stop=1e9", "bad value for option: 'guest.stop=1e9' (accepted: millions of TSC ticks, 0 = no limit)");
    refused("screen.dump=on", "bad value for option: 'screen.dump=on' (accepted: 0|1)");
}

static void guest_entry_parsing(void **state)
{
    (void)state;
    ok("guest.entry=07c0:0000");
    assert_true(o.entry_given);
    assert_int_equal(o.entry_cs, 0x7C0);
    assert_int_equal(o.entry_ip, 0);
    ok("guest.entry=ffff:FFFF");
    assert_int_equal(o.entry_cs, 0xFFFF);
    assert_int_equal(o.entry_ip, 0xFFFF);
    /* an explicit entry is kept whatever guest.load says, in either order */
    ok("guest.entry=0:7c00 guest.load=0x1000");
    assert_int_equal(o.entry_cs, 0);
    assert_int_equal(o.entry_ip, 0x7C00);
    const char *bad[] = {"guest.entry=7c00", "guest.entry=:7c00", "guest.entry=0:", "guest.entry=10000:0",
                         "guest.entry=0:10000", "guest.entry=0x0:0x7c00", "guest.entry=g:0"};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[128];
        snprintf(want, sizeof(want), "bad value for option: '%s' (accepted: SEG:OFF in hex)", bad[i]);
        refused(bad[i], want);
    }
}

static void default_entry_from_load(void **state)
{
    (void)state;
    ok("guest.load=0x1000");
    assert_false(o.entry_given);
    assert_int_equal(o.entry_cs, 0);
    assert_int_equal(o.entry_ip, 0x1000);
    ok("guest.load=0xffff");
    assert_int_equal(o.entry_cs, 0);
    assert_int_equal(o.entry_ip, 0xFFFF);
    /* above 64 KiB the segment carries the address; the offset keeps the low nibble */
    ok("guest.load=0x12345");
    assert_int_equal(o.entry_cs, 0x1234);
    assert_int_equal(o.entry_ip, 0x5);
    ok("guest.load=0x9ffff");
    assert_int_equal((uint32_t)o.entry_cs * 16 + o.entry_ip, 0x9FFFF);
}

static void small_error_buffer(void **state)
{
    (void)state;
    char small[16];
    memset(small, 'Z', sizeof(small));
    assert_false(options_parse("colour=blue", &o, small, sizeof(small)));
    assert_string_equal(small, "unknown option ");
}

/* options_help: one line per key, in table order, with accepted values and default */
static char help_lines[16][256];
static unsigned help_count;
static void collect(void *ctx, const char *text)
{
    assert_ptr_equal(ctx, &help_count);
    assert_true(help_count < 16);
    snprintf(help_lines[help_count++], sizeof(help_lines[0]), "%s", text);
}

static void help_lists_every_key(void **state)
{
    (void)state;
    help_count = 0;
    options_help(collect, &help_count);
    assert_int_equal(help_count, 16);
    assert_string_equal(help_lines[0], "log=error|warn|info|debug|trace (default info): log level on the serial "
                                       "console (trace: every exit decoded)");
    const char *keys[] = {"log=", "vga=", "guest.load=", "guest.entry=", "guest.unreal=", "on_triple=", "init=",
                          "apic=", "debug=", "exits.max=", "on_reset=", "ept.holes=", "guest.drive=",
                          "guest.stop=", "screen.dump=", "cpus="};
    for (unsigned i = 0; i < 16; i++) {
        assert_memory_equal(help_lines[i], keys[i], strlen(keys[i]));
        assert_non_null(strstr(help_lines[i], " (default "));
    }
    assert_non_null(strstr(help_lines[7], "apic=auto|apicv|decode|passthrough (default auto)"));
}

/* cpus: how many CPUs vmxlab starts, the boot CPU included; 0 (the default) is all */
static void cpus_values(void **state)
{
    (void)state;
    ok("cpus=1");
    assert_int_equal(o.cpus, 1);
    ok("cpus=0x2");
    assert_int_equal(o.cpus, 2);
    ok("cpus=0");
    assert_int_equal(o.cpus, 0);
    refused("cpus=two", "bad value for option: 'cpus=two' (accepted: number, 0 = all)");
    refused("cpus=", "bad value for option: 'cpus=' (accepted: number, 0 = all)");
}

/* The multiboot2 command line: 511 bytes are kept whole, a longer one is refused with its
 * length and the limit (it was cut at 511 without a word, dropping the options at its end). */
static void long_command_line(void **state)
{
    (void)state;
    static char line[1200], kept[OPTIONS_CMDLINE_MAX + 1];
    size_t n = 0;
    while (n + 10 <= OPTIONS_CMDLINE_MAX - 8) { /* "log=info " words, then "vga=off" at the very end */
        memcpy(line + n, "log=info ", 9);
        n += 9;
    }
    while (n < OPTIONS_CMDLINE_MAX - 7)
        line[n++] = ' ';
    memcpy(line + n, "vga=off", 8);
    assert_int_equal(strlen(line), OPTIONS_CMDLINE_MAX);
    assert_true(options_take_cmdline(line, kept, err, sizeof(err)));
    assert_string_equal(kept, line);
    ok(kept);
    assert_false(o.vga); /* the last option survived */

    memmove(line + 1, line, strlen(line) + 1);  /* 512 bytes */
    line[0] = ' ';
    assert_false(options_take_cmdline(line, kept, err, sizeof(err)));
    assert_string_equal(err, "command line of 512 bytes is longer than the 511 vmxlab takes (the options past "
                             "that would be lost): shorten it");
    memset(line, 'x', 1100);
    line[1100] = 0;
    assert_false(options_take_cmdline(line, kept, err, sizeof(err)));
    assert_string_equal(err, "command line of 1100 bytes is longer than the 511 vmxlab takes (the options past "
                             "that would be lost): shorten it");
    assert_true(options_take_cmdline(0, kept, err, sizeof(err)));
    assert_string_equal(kept, "");
    char small[12];
    assert_false(options_take_cmdline(line, kept, small, sizeof(small)));
    assert_string_equal(small, "command lin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(every_key),
        cmocka_unit_test(every_enum_value),
        cmocka_unit_test(last_word_wins),
        cmocka_unit_test(help_word),
        cmocka_unit_test(kernel_path_first_word),
        cmocka_unit_test(unknown_key),
        cmocka_unit_test(bad_values_name_key_and_accepted),
        cmocka_unit_test(guest_load_limits),
        cmocka_unit_test(exits_max_limits),
        cmocka_unit_test(ept_holes_values),
        cmocka_unit_test(guest_entry_parsing),
        cmocka_unit_test(guest_drive_values),
        cmocka_unit_test(guest_stop_and_screen_dump),
        cmocka_unit_test(cpus_values),
        cmocka_unit_test(default_entry_from_load),
        cmocka_unit_test(small_error_buffer),
        cmocka_unit_test(help_lists_every_key),
        cmocka_unit_test(long_command_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
