/* Where a flat real-mode guest image may go. The guest contract (README): the image is
 * copied to guest.load (0x7C00 by default) and must fit in conventional memory between
 * the BIOS data area (ends at 0x500) and the EBDA / the top of base memory. */
#ifndef KERNEL_GUESTIMG_H
#define KERNEL_GUESTIMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_LOW_LIMIT 0x500u /* IVT (0-0x3FF) and BDA (0x400-0x4FF) stay intact */

/* `conv_top`: first byte the guest image may not use (EBDA start / base memory top). */
bool guest_image_check(uint32_t load, uint64_t size, uint32_t conv_top, char *err, size_t errlen);

#endif
