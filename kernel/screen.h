/* screen.dump=1: the VGA text screen (80x25 at 0xB8000) on the serial log when vmxlab stops,
 * for guests that write only to the screen (memtest86+). See docs/real-guests.md. */
#ifndef KERNEL_SCREEN_H
#define KERNEL_SCREEN_H

#include <stdbool.h>
#include <stdint.h>

/* Register the stop hook. Call before status_init(): hooks run in order, and the status
 * hook writes vmxlab's own line over row 0. */
void screen_init(void);
void screen_dump_enable(bool on);

/* One row of text-mode cells (character | attribute << 8) as ASCII into out (81 bytes):
 * CP437's box and block characters as - | + #, other non-ASCII as '.', trailing blanks cut. */
void screen_row_ascii(const volatile uint16_t *cells, char *out);

#endif
