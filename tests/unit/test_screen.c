/* kernel/screen.c on the host: a VGA text row (character | attribute << 8) as the ASCII that
 * screen.dump=1 puts on the serial log, e.g. memtest86+'s box-drawn status panel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/log.h"
#include "kernel/screen.h"

/* the kernel's log and stop hook, not exercised here */
void klog(enum log_level level, const char *mod, const char *fmt, ...) { (void)level, (void)mod, (void)fmt; }
void stop_hook_register(void (*fn)(int)) { (void)fn; }

static uint16_t cells[80];

static void fill(const uint8_t *chars, size_t n)
{
    for (int i = 0; i < 80; i++)
        cells[i] = 0x0720; /* a blank, grey on black */
    for (size_t i = 0; i < n; i++)
        cells[i] = (uint16_t)(0x1F00 | chars[i]);
}

static void plain_text_trailing_blanks_cut(void **state)
{
    (void)state;
    char out[81];
    fill((const uint8_t *)"Pass:  0        Errors: 0", 25);
    screen_row_ascii(cells, out);
    assert_string_equal(out, "Pass:  0        Errors: 0");
    fill(0, 0);
    screen_row_ascii(cells, out);
    assert_string_equal(out, "");
}

static void box_drawing_as_ascii(void **state)
{
    (void)state;
    char out[81];
    /* memtest86+: "...MB/s │ Intel" and its divider "────┴───" ; a progress bar of blocks */
    const uint8_t row[] = {'s', ' ', 0xB3, ' ', 'I', 0xC4, 0xC4, 0xC1, 0xC4, ' ', 0xDB, 0xDB, 0xB1, 0xF8, 0x00, 'x'};
    fill(row, sizeof(row));
    screen_row_ascii(cells, out);
    assert_string_equal(out, "s | I--+- ###. x");
}

static void full_width_row(void **state)
{
    (void)state;
    char out[81];
    uint8_t row[80];
    memset(row, 'm', sizeof(row));
    fill(row, sizeof(row));
    screen_row_ascii(cells, out);
    assert_int_equal(strlen(out), 80);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_text_trailing_blanks_cut),
        cmocka_unit_test(box_drawing_as_ascii),
        cmocka_unit_test(full_width_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
