/* vmxlab's status line in the VGA text buffer (row 0 of the 80x25 screen at 0xB8000).
 * Written only while vmxlab owns the screen (boot, and when it stops), never while the
 * guest runs, so it does not wipe what a guest prints. */
#ifndef ARCH_VGA_H
#define ARCH_VGA_H

void vga_enable(int on);
void vga_status(const char *text);

#endif
