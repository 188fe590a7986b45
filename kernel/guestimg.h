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

/* DL at guest entry, and why (a phrase for the log line). In order: guest.drive when given;
 * for an image that is exactly one boot sector (512 bytes ending in 0x55 0xAA, as GRUB passes a
 * blocklist such as `(hd0)+1`), the first hard disk 0x80, GRUB's (hd0), since GRUB's boot
 * drive is then the CD or network vmxlab came from, not the disk the sector belongs to;
 * otherwise GRUB's boot drive (multiboot2 BIOS boot device tag), else 0x80. */
uint8_t guest_drive_pick(const uint8_t *image, uint64_t size, bool given, uint8_t option, bool has_bootdev,
                         uint32_t biosdev, const char **why);

#endif
