/* vmx/io_decode.c on the host: the I/O exit qualification (SDM Vol.3 Table 27-5) and which
 * writes are resets or ACPI sleep. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

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
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
