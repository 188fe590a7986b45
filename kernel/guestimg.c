#include "kernel/guestimg.h"
#include "kernel/lib.h"

bool guest_image_check(uint32_t load, uint64_t size, uint32_t conv_top, char *err, size_t errlen)
{
    if (size == 0) {
        snprintf(err, errlen, "the guest image is empty");
        return false;
    }
    if (load < GUEST_LOW_LIMIT) {
        snprintf(err, errlen, "guest.load=0x%x would overwrite the IVT/BDA (0x0-0x4ff)", load);
        return false;
    }
    if (load >= conv_top || size > conv_top - load) {
        snprintf(err, errlen, "guest image of %llu bytes at 0x%x runs to 0x%llx, past the end of conventional memory 0x%x (EBDA/ROM)",
                 (unsigned long long)size, load, (unsigned long long)(load + size), conv_top);
        return false;
    }
    return true;
}

uint8_t guest_drive_pick(const uint8_t *image, uint64_t size, bool given, uint8_t option, bool has_bootdev,
                         uint32_t biosdev, const char **why)
{
    if (given) {
        *why = "guest.drive";
        return option;
    }
    if (size == 512 && image[510] == 0x55 && image[511] == 0xAA) {
        *why = "a boot sector: the first hard disk, GRUB's (hd0)";
        return 0x80;
    }
    if (has_bootdev && biosdev <= 0xFF) {
        *why = "GRUB's boot drive";
        return (uint8_t)biosdev;
    }
    *why = "no boot drive from GRUB: the first hard disk";
    return 0x80;
}
