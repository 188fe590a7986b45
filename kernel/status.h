/* The final status on the VGA status line (row 0), for a machine without a serial cable. */
#ifndef KERNEL_STATUS_H
#define KERNEL_STATUS_H

/* Register the stop hook that writes "vmxlab: halted status=N (meaning)" to row 0 when
 * vga=on (vga_enable decides). Call once, early: a stop before the options are parsed
 * still shows its status, as vga defaults to on. */
void status_init(void);

/* A module above the kernel (vmx) adds a few words to the final status line, e.g. the exit
 * count and the last exit reason. */
void status_detail_set(void (*fn)(char *buf, unsigned long len));

#endif
