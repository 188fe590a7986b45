#include "arch/x86_64/vga.h"
#include <stdint.h>

static volatile uint16_t *const VGA_TEXT = (volatile uint16_t *)0xB8000; /* identity-mapped */
#define VGA_COLS 80
#define VGA_ATTR 0x1F00                        /* white on blue */

static int enabled = 1;

void vga_enable(int on) { enabled = on; }

void vga_status(const char *text)
{
    if (!enabled)
        return;
    for (int i = 0; i < VGA_COLS; i++) {
        char c = *text ? *text++ : ' ';
        VGA_TEXT[i] = (uint16_t)(VGA_ATTR | (uint8_t)c);
    }
}
