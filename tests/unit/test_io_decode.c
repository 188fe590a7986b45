/* vmx/io_decode.c on the host: the I/O exit qualification (SDM Vol.3 Table 27-5) and which
 * writes are resets or ACPI sleep. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmx/a20_gate.h"
#include "vmx/io_decode.h"

/* Bochs's platform: PM1a_CNT at 0xB004 (PIIX4 PM base 0xB000), \_S5 SLP_TYP 0, no PM1b */
static const struct io_watch bochs = {.pm1a_cnt = 0xB004, .slp_typa = 0};
/* a platform with PM1b, S5 = 7/5, and RESET_REG = 0xCF9 <- 0x06 */
static const struct io_watch other = {.pm1a_cnt = 0x404, .pm1b_cnt = 0x504, .slp_typa = 7, .slp_typb = 5,
                                      .reset_port = 0xCF9, .reset_value = 0x06};

static struct io_access decode(uint64_t q)
{
    struct io_access a;
    assert_true(io_qual_decode(q, &a));
    return a;
}

static void test_qual_fields(void **state)
{
    (void)state;
    /* OUT DX, AL to 0x64: size 0, direction 0, DX encoding */
    struct io_access a = decode(0x00640000);
    assert_int_equal(a.port, 0x64);
    assert_int_equal(a.size, 1);
    assert_false(a.in);
    assert_false(a.string);
    assert_false(a.rep);
    assert_false(a.immediate);
    /* IN EAX, imm8 0x92: size 3 (4 bytes), bit 3 IN, bit 6 immediate */
    a = decode(0x00920000 | 3 | 8 | 0x40);
    assert_int_equal(a.port, 0x92);
    assert_int_equal(a.size, 4);
    assert_true(a.in);
    assert_true(a.immediate);
    /* REP OUTSW to 0xCF9: size 1 (2 bytes), bit 4 string, bit 5 REP */
    a = decode(0x0CF90000 | 1 | 0x10 | 0x20);
    assert_int_equal(a.port, 0xCF9);
    assert_int_equal(a.size, 2);
    assert_true(a.string);
    assert_true(a.rep);
    assert_false(a.in);
    /* the high port byte, bits 63:32 ignored */
    a = decode(0xFFFFFFFF00000000ull | 0xFFFF0000u);
    assert_int_equal(a.port, 0xFFFF);
}

static void test_qual_bad_size(void **state)
{
    (void)state;
    struct io_access a;
    assert_false(io_qual_decode(2, &a));
    for (unsigned s = 4; s < 8; s++)
        assert_false(io_qual_decode(0x00640000 | s, &a));
}

static void test_format(void **state)
{
    (void)state;
    char buf[64];
    struct io_access a = decode(0x00640000);
    io_access_format(&a, buf, sizeof(buf));
    assert_string_equal(buf, "OUT DX, AL port 0x64");
    a = decode(0xB0050000 | 1 | 8 | 0x40);
    io_access_format(&a, buf, sizeof(buf));
    assert_string_equal(buf, "IN AX, imm8 port 0xb005");
    a = decode(0x0CF80000 | 3);
    io_access_format(&a, buf, sizeof(buf));
    assert_string_equal(buf, "OUT DX, EAX port 0xcf8");
    a = decode(0x00920000 | 0x10 | 0x20 | 8);
    io_access_format(&a, buf, sizeof(buf));
    assert_string_equal(buf, "REP INSB port 0x92");
}

static enum io_event ev(const struct io_watch *w, uint64_t q, uint32_t value, uint8_t *typ)
{
    struct io_access a = decode(q);
    return io_event_of_write(&a, value, w, typ);
}

static void test_resets(void **state)
{
    (void)state;
    uint8_t t = 0xAA;
    assert_int_equal(ev(&bochs, 0x00640000, 0xFE, &t), IO_EVENT_RESET_KBD);
    assert_int_equal(ev(&bochs, 0x00640000, 0xF0, &t), IO_EVENT_RESET_KBD); /* pulse bits 3:0 */
    assert_int_equal(ev(&bochs, 0x00640000, 0xFF, &t), IO_EVENT_NONE);      /* pulses nothing */
    assert_int_equal(ev(&bochs, 0x00640000, 0xD1, &t), IO_EVENT_NONE);      /* write output port */
    assert_int_equal(ev(&bochs, 0x00640000, 0xAE, &t), IO_EVENT_NONE);
    assert_int_equal(ev(&bochs, 0x00640000 | 8, 0xFE, &t), IO_EVENT_NONE);  /* IN */
    assert_int_equal(ev(&bochs, 0x00920000, 0x03, &t), IO_EVENT_RESET_FAST);
    assert_int_equal(ev(&bochs, 0x00920000, 0x02, &t), IO_EVENT_NONE);      /* A20 only */
    assert_int_equal(ev(&bochs, 0x0CF90000, 0x06, &t), IO_EVENT_RESET_CF9);
    assert_int_equal(ev(&bochs, 0x0CF90000, 0x0E, &t), IO_EVENT_RESET_CF9);
    assert_int_equal(ev(&bochs, 0x0CF90000, 0x04, &t), IO_EVENT_RESET_CF9);
    assert_int_equal(ev(&bochs, 0x0CF90000, 0x02, &t), IO_EVENT_NONE);      /* SYS_RST alone: no reset yet */
    /* a dword OUT to CONFIG_ADDRESS 0xCF8 covers 0xCF9 but is a PCI configuration access */
    assert_int_equal(ev(&bochs, 0x0CF80000 | 3, 0x80000400, &t), IO_EVENT_NONE);
    /* RESET_REG: RESET_VALUE is a reset even when it would not be for the port itself */
    assert_int_equal(ev(&other, 0x0CF90000, 0x06, &t), IO_EVENT_RESET_ACPI);
    struct io_watch w = {.reset_port = 0x3C0, .reset_value = 0x11};
    assert_int_equal(ev(&w, 0x03C00000, 0x11, &t), IO_EVENT_RESET_ACPI);
    assert_int_equal(ev(&w, 0x03C00000, 0x10, &t), IO_EVENT_NONE);
    assert_int_equal(t, 0xAA); /* untouched by resets */
}

static void test_sleep(void **state)
{
    (void)state;
    uint8_t t = 0xAA;
    /* OUT DX, AX to PM1a_CNT: SLP_EN | SLP_TYP 0 (Bochs's S5) | SCI_EN */
    assert_int_equal(ev(&bochs, 0xB0040000 | 1, 0x2001, &t), IO_EVENT_POWER_OFF);
    assert_int_equal(t, 0);
    /* SLP_TYP 0 without SLP_EN: no event */
    assert_int_equal(ev(&bochs, 0xB0040000 | 1, 0x0001, &t), IO_EVENT_NONE);
    /* the high byte alone, OUT DX, AL to PM1a_CNT + 1 */
    assert_int_equal(ev(&bochs, 0xB0050000, 0x20, &t), IO_EVENT_POWER_OFF);
    /* a byte OUT to the low byte never sets SLP_EN */
    assert_int_equal(ev(&bochs, 0xB0040000, 0xFF, &t), IO_EVENT_NONE);
    /* a dword OUT at PM1a_CNT - 1 puts its byte 2 on the high byte */
    assert_int_equal(ev(&bochs, 0xB0030000 | 3, 0x00200000, &t), IO_EVENT_POWER_OFF);
    /* another SLP_TYP: a sleep state, not soft-off */
    assert_int_equal(ev(&bochs, 0xB0040000 | 1, 0x2000 | (1 << 10), &t), IO_EVENT_SLEEP);
    assert_int_equal(t, 1);
    /* PM1a and PM1b each with their own SLP_TYP */
    assert_int_equal(ev(&other, 0x04040000 | 1, 0x2000 | (7 << 10), &t), IO_EVENT_POWER_OFF);
    assert_int_equal(t, 7);
    assert_int_equal(ev(&other, 0x05040000 | 1, 0x2000 | (5 << 10), &t), IO_EVENT_POWER_OFF);
    assert_int_equal(t, 5);
    assert_int_equal(ev(&other, 0x05040000 | 1, 0x2000 | (7 << 10), &t), IO_EVENT_SLEEP);
    /* an IN never is */
    assert_int_equal(ev(&bochs, 0xB0040000 | 1 | 8, 0x2000, &t), IO_EVENT_NONE);
}

static void test_ports(void **state)
{
    (void)state;
    uint16_t p[8];
    size_t n = io_watch_ports(&bochs, p);
    assert_int_equal(n, 4);
    assert_int_equal(p[0], 0x64);
    assert_int_equal(p[1], 0x92);
    assert_int_equal(p[2], 0xCF9);
    assert_int_equal(p[3], 0xB005);
    /* RESET_REG 0xCF9 is not listed twice */
    n = io_watch_ports(&other, p);
    assert_int_equal(n, 5);
    assert_int_equal(p[3], 0x405);
    assert_int_equal(p[4], 0x505);
    struct io_watch none = {0};
    assert_int_equal(io_watch_ports(&none, p), 3);
}

/* ---- the guest's A20 gate (vmx/a20_gate.c), as Bochs 2.7's devices.cc and keyboard.cc ---- */
static struct io_access port_access(uint16_t port, uint8_t size, bool in)
{
    return (struct io_access){.port = port, .size = size, .in = in, .immediate = true};
}

static void gate_out(struct a20_gate *g, uint16_t port, uint32_t value, struct a20_write *w)
{
    struct io_access a = port_access(port, 1, false);
    a20_gate_out(g, &a, value, w);
}

static uint32_t gate_in(struct a20_gate *g, uint16_t port, uint32_t machine)
{
    struct io_access a = port_access(port, 1, true);
    return a20_gate_in(g, &a, machine);
}

/* port 0x92: the guest's bit 1, the machine's always set */
static void test_a20_port92(void **state)
{
    (void)state;
    struct a20_gate g;
    struct a20_write w;
    a20_gate_reset(&g);
    assert_int_equal(gate_in(&g, 0x92, 0x02), 0x02);
    gate_out(&g, 0x92, 0x00, &w);
    assert_true(g.off);
    assert_true(w.changed);
    assert_false(w.reset);
    assert_int_equal(w.value, 0x02);                 /* out with A20 on */
    assert_int_equal(gate_in(&g, 0x92, 0x02), 0x00);
    assert_int_equal(gate_in(&g, 0x92, 0xF2), 0xF0); /* the other bits are the machine's */
    gate_out(&g, 0x92, 0x00, &w);
    assert_false(w.changed);                         /* already off */
    gate_out(&g, 0x92, 0x02, &w);
    assert_false(g.off);
    assert_true(w.changed);
    assert_int_equal(w.value, 0x02);
    /* a word access at 0x91 covers 0x92 with its high byte */
    struct io_access a = port_access(0x91, 2, false);
    a20_gate_out(&g, &a, 0x0055, &w);
    assert_true(g.off);
    assert_int_equal(w.value, 0x0255);
    a = port_access(0x91, 2, true);
    assert_int_equal(a20_gate_in(&g, &a, 0x02FF), 0x00FF);
    /* other ports pass */
    gate_out(&g, 0x80, 0x00, &w);
    assert_false(w.changed);
    assert_int_equal(gate_in(&g, 0x61, 0x02), 0x02);
}

/* the 8042: D1h then the output port byte on 0x60; D0h then the output port read from 0x60;
 * DDh/DFh; any other command cancels a pending D1h */
static void test_a20_kbd(void **state)
{
    (void)state;
    struct a20_gate g;
    struct a20_write w;
    a20_gate_reset(&g);
    assert_false(a20_gate_watches_data(&g));
    gate_out(&g, 0x60, 0xDD, &w);                    /* no D1h: a byte for the keyboard */
    assert_false(w.changed);
    assert_int_equal(w.value, 0xDD);
    gate_out(&g, 0x64, 0xD1, &w);
    assert_int_equal(w.value, 0xD1);
    assert_true(a20_gate_watches_data(&g));
    gate_out(&g, 0x60, 0xDD, &w);                    /* bit 1 clear: A20 off; bit 0 set: no reset */
    assert_true(g.off);
    assert_true(w.changed);
    assert_false(w.reset);
    assert_int_equal(w.value, 0xDF);
    assert_false(a20_gate_watches_data(&g));
    gate_out(&g, 0x60, 0xDF, &w);                    /* the D1h was used up */
    assert_true(g.off);
    /* D0h: the next read of 0x60 gets the guest's bit 1 */
    gate_out(&g, 0x64, 0xD0, &w);
    assert_true(a20_gate_watches_data(&g));
    assert_int_equal(gate_in(&g, 0x64, 0x1D), 0x1D);  /* status reads pass */
    assert_int_equal(gate_in(&g, 0x60, 0x03), 0x01);
    assert_false(a20_gate_watches_data(&g));
    assert_int_equal(gate_in(&g, 0x60, 0x03), 0x03);  /* only that one byte */
    /* D1h cancelled by another command */
    gate_out(&g, 0x64, 0xD1, &w);
    gate_out(&g, 0x64, 0xAE, &w);
    assert_false(a20_gate_watches_data(&g));
    gate_out(&g, 0x60, 0xDF, &w);
    assert_true(g.off);
    /* D1h and a byte with bit 0 clear: the CPU reset line */
    gate_out(&g, 0x64, 0xD1, &w);
    gate_out(&g, 0x60, 0xDE, &w);
    assert_true(w.reset);
    assert_false(g.off);
    /* DDh goes out as DFh; DFh as itself */
    gate_out(&g, 0x64, 0xDD, &w);
    assert_true(g.off && w.changed);
    assert_int_equal(w.value, 0xDF);
    gate_out(&g, 0x64, 0xDF, &w);
    assert_true(!g.off && w.changed);
    assert_int_equal(w.value, 0xDF);
    assert_string_equal(w.what, "8042 command 0xdf");
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(io_event_name(IO_EVENT_RESET_KBD), "keyboard controller reset");
    assert_string_equal(io_event_name(IO_EVENT_POWER_OFF), "ACPI S5 soft-off");
    assert_string_equal(io_event_name(IO_EVENT_NONE), "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qual_fields), cmocka_unit_test(test_qual_bad_size), cmocka_unit_test(test_format),
        cmocka_unit_test(test_resets),      cmocka_unit_test(test_sleep),         cmocka_unit_test(test_ports),
        cmocka_unit_test(test_names),       cmocka_unit_test(test_a20_port92),    cmocka_unit_test(test_a20_kbd),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
