/* kernel/mptable.c on the host: MP spec 1.4 tables built in a buffer that stands for physical
 * memory 0xF0000-0xFFFFF, shaped like Bochs's BIOS's (two processors, a bus, an I/O APIC,
 * interrupt entries), then broken one piece at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/mptable.h"

#define BASE 0xF0000u
static uint8_t mem[0x10000];
#define AT(pa) (mem + ((pa) - BASE))
#define FP 0xF5A40u
#define CT 0xF5A50u

static struct acpi_madt out;
static char err[160];

static const void *map(uint64_t phys, uint64_t len, void *ctx)
{
    assert_ptr_equal(ctx, mem);
    if (phys < BASE || phys >= BASE + sizeof(mem) || len > BASE + sizeof(mem) - phys)
        return NULL;
    return AT(phys);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static void floating(uint32_t table, uint8_t feature1)
{
    memset(AT(FP), 0, 16);
    memcpy(AT(FP), "_MP_", 4);
    memcpy(AT(FP) + 4, &table, 4);
    AT(FP)[8] = 1;
    AT(FP)[9] = 4;
    AT(FP)[11] = feature1;
    AT(FP)[10] = (uint8_t)-sum(AT(FP), 16);
}

static uint16_t ct_len;

static void table_fix(void)
{
    memcpy(AT(CT) + 4, &ct_len, 2);
    AT(CT)[7] = 0;
    AT(CT)[7] = (uint8_t)-sum(AT(CT), ct_len);
}

/* header + entries; count = number of entries */
static void table(const uint8_t *entries, uint16_t n, uint16_t count)
{
    memset(AT(CT), 0, 0x400);
    memcpy(AT(CT), "PCMP", 4);
    AT(CT)[6] = 4;
    memcpy(AT(CT) + 8, "BOCHSCPU", 8);
    memcpy(AT(CT) + 34, &count, 2);
    uint32_t lapic = 0xFEE00000;
    memcpy(AT(CT) + 36, &lapic, 4);
    memcpy(AT(CT) + 44, entries, n);
    ct_len = (uint16_t)(44 + n);
    table_fix();
}

static const uint8_t bochs_entries[] = {
    0, 0, 0x14, 3, 0x54, 0x06, 0x05, 0, 0xFF, 0xFB, 0xEB, 0xBF, 0, 0, 0, 0, 0, 0, 0, 0, /* CPU 0: EN|BP */
    0, 1, 0x14, 1, 0x54, 0x06, 0x05, 0, 0xFF, 0xFB, 0xEB, 0xBF, 0, 0, 0, 0, 0, 0, 0, 0, /* CPU 1: EN */
    1, 0, 'I', 'S', 'A', ' ', ' ', ' ',                                               /* bus 0 ISA */
    2, 2, 0x11, 1, 0x00, 0x00, 0xC0, 0xFE,                                            /* I/O APIC 2 */
    3, 0, 0, 0, 0, 1, 2, 1,                                                          /* I/O interrupt */
    4, 3, 0, 0, 0, 0, 0xFF, 0,                                                       /* local interrupt */
};

static bool read(void)
{
    long off = mp_floating_scan(mem, sizeof(mem));
    err[0] = 0;
    if (off < 0)
        return false;
    return mp_read_cpus(mem + off, map, mem, &out, err, sizeof(err));
}

static void bochs_like(void **state)
{
    (void)state;
    memset(mem, 0, sizeof(mem));
    table(bochs_entries, sizeof(bochs_entries), 6);
    floating(CT, 0);
    assert_int_equal(mp_floating_scan(mem, sizeof(mem)), FP - BASE);
    assert_true(read());
    assert_string_equal(out.source, "MP table");
    assert_int_equal(out.madt, CT);
    assert_int_equal(out.lapic_addr, 0xFEE00000);
    assert_int_equal(out.cpu_count, 2);
    assert_int_equal(out.cpu_total, 2);
    assert_int_equal(out.cpu[0].apic_id, 0);
    assert_int_equal(out.cpu[1].apic_id, 1);
    assert_true(out.cpu[0].enabled && out.cpu[1].enabled);
    assert_int_equal(out.ioapic_count, 1);
    assert_int_equal(out.ioapic_id, 2);
    assert_int_equal(out.ioapic_addr, 0xFEC00000);
}

/* a processor entry without EN (MP spec Table 4-5): listed, disabled */
static void disabled_cpu(void **state)
{
    (void)state;
    uint8_t e[sizeof(bochs_entries)];
    memcpy(e, bochs_entries, sizeof(e));
    e[20 + 3] = 0;
    memset(mem, 0, sizeof(mem));
    table(e, sizeof(e), 6);
    floating(CT, 0);
    assert_true(read());
    assert_false(out.cpu[1].enabled);
    assert_true(out.cpu[0].enabled);
}

/* chapter 5: feature byte 1 nonzero, no table: two CPUs, IDs 0 and 1 */
static void default_configuration(void **state)
{
    (void)state;
    memset(mem, 0, sizeof(mem));
    floating(0, 6);
    assert_true(read());
    assert_string_equal(out.source, "MP default configuration");
    assert_int_equal(out.cpu_count, 2);
    assert_int_equal(out.cpu[1].apic_id, 1);
    assert_int_equal(out.madt, 0);
}

static void broken(void **state)
{
    (void)state;
    memset(mem, 0, sizeof(mem));
    /* the floating pointer: checksum, signature, length */
    table(bochs_entries, sizeof(bochs_entries), 6);
    floating(CT, 0);
    AT(FP)[9] ^= 1;
    assert_int_equal(mp_floating_scan(mem, sizeof(mem)), -1);
    floating(CT, 0);
    AT(FP)[8] = 2;
    AT(FP)[10] = 0;
    AT(FP)[10] = (uint8_t)-sum(AT(FP), 16);
    assert_int_equal(mp_floating_scan(mem, sizeof(mem)), -1);
    /* the table: not there, checksum, an entry count past its end, an unknown entry type */
    floating(0, 0);
    assert_false(read());
    assert_non_null(strstr(err, "no MP configuration table"));
    floating(CT, 0);
    AT(CT + 44)[1] = 7;
    assert_false(read());
    assert_non_null(strstr(err, "checksum"));
    table(bochs_entries, sizeof(bochs_entries), 7);
    assert_false(read());
    assert_non_null(strstr(err, "past its end"));
    uint8_t e[sizeof(bochs_entries)];
    memcpy(e, bochs_entries, sizeof(e));
    e[40] = 9; /* the bus entry's type */
    table(e, sizeof(e), 6);
    assert_false(read());
    assert_non_null(strstr(err, "bad entry type 9"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bochs_like),
        cmocka_unit_test(disabled_cpu),
        cmocka_unit_test(default_configuration),
        cmocka_unit_test(broken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
