#include "kernel/screen.h"
#include "kernel/log.h"
#include "kernel/panic.h"

#define VGA_COLS 80
#define VGA_ROWS 25

static bool dump_on;

static char cp437_ascii(uint8_t c)
{
    if (c >= 0x20 && c < 0x7F)
        return (char)c;
    if (c == 0x00)
        return ' ';
    if (c == 0xB3 || c == 0xBA) /* vertical lines */
        return '|';
    if (c == 0xC4 || c == 0xCD) /* horizontal lines */
        return '-';
    if (c >= 0xB0 && c <= 0xB2) /* shades */
        return '#';
    if (c == 0xDB || (c >= 0xDC && c <= 0xDF)) /* blocks */
        return '#';
    if (c >= 0xB4 && c <= 0xDA) /* corners and tees */
        return '+';
    return '.';
}

void screen_row_ascii(const volatile uint16_t *cells, char *out)
{
    int end = 0;
    for (int i = 0; i < VGA_COLS; i++) {
        out[i] = cp437_ascii((uint8_t)(cells[i] & 0xFF));
        if (out[i] != ' ')
            end = i + 1;
    }
    out[end] = 0;
}

static void screen_stop(int status)
{
    (void)status;
    if (!dump_on)
        return;
    /* the guest's screen, before vmxlab's status line goes over row 0; identity-mapped */
    const volatile uint16_t *text = (const volatile uint16_t *)0xB8000;
    char row[VGA_COLS + 1];
    log_info("screen", "the guest's VGA text screen (screen.dump=1), %d rows:", VGA_ROWS);
    for (int r = 0; r < VGA_ROWS; r++) {
        screen_row_ascii(text + r * VGA_COLS, row);
        log_info("screen", "|%s|", row);
    }
}

void screen_init(void) { stop_hook_register(screen_stop); }
void screen_dump_enable(bool on) { dump_on = on; }
