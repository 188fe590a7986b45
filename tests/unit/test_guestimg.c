/* kernel/guestimg.c on the host (its snprintf is libc's here): where a flat real-mode
 * image may be copied, and the one-line refusal for each way it does not fit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel/guestimg.h"

#define BOCHS_CONV_TOP 0x9FC00u /* BDA 0x413 = 639 KiB */

static char err[256];

static void fits(void **state)
{
    (void)state;
    assert_true(guest_image_check(0x7C00, 241, BOCHS_CONV_TOP, err, sizeof(err)));
    assert_true(guest_image_check(0x500, 1, BOCHS_CONV_TOP, err, sizeof(err)));
    /* exactly up to the EBDA */
    assert_true(guest_image_check(0x7C00, BOCHS_CONV_TOP - 0x7C00, BOCHS_CONV_TOP, err, sizeof(err)));
}

static void empty_image(void **state)
{
    (void)state;
    assert_false(guest_image_check(0x7C00, 0, BOCHS_CONV_TOP, err, sizeof(err)));
    assert_string_equal(err, "the guest image is empty");
}

static void over_the_ivt(void **state)
{
    (void)state;
    assert_false(guest_image_check(0x4FF, 16, BOCHS_CONV_TOP, err, sizeof(err)));
    assert_string_equal(err, "guest.load=0x4ff would overwrite the IVT/BDA (0x0-0x4ff)");
}

static void past_conventional_memory(void **state)
{
    (void)state;
    assert_false(guest_image_check(0x7C00, BOCHS_CONV_TOP - 0x7C00 + 1, BOCHS_CONV_TOP, err, sizeof(err)));
    assert_string_equal(err, "guest image of 622593 bytes at 0x7c00 runs to 0x9fc01, past the end of conventional "
                             "memory 0x9fc00 (EBDA/ROM)");
    /* the oversize boot test's image: 640 KiB */
    assert_false(guest_image_check(0x7C00, 655360, BOCHS_CONV_TOP, err, sizeof(err)));
    assert_string_equal(err, "guest image of 655360 bytes at 0x7c00 runs to 0xa7c00, past the end of conventional "
                             "memory 0x9fc00 (EBDA/ROM)");
    /* loaded at or above the top, and a size that would wrap 32 bits */
    assert_false(guest_image_check(0x9FC00, 1, BOCHS_CONV_TOP, err, sizeof(err)));
    assert_false(guest_image_check(0x7C00, 0x100000000ull, BOCHS_CONV_TOP, err, sizeof(err)));
    assert_string_equal(err, "guest image of 4294967296 bytes at 0x7c00 runs to 0x100007c00, past the end of "
                             "conventional memory 0x9fc00 (EBDA/ROM)");
}

/* guest_drive_pick: DL at entry */
static uint8_t sector[1024];
static const char *why;

static void drive_option_wins(void **state)
{
    (void)state;
    sector[510] = 0x55, sector[511] = 0xAA;
    assert_int_equal(guest_drive_pick(sector, 512, true, 0x00, true, 0xE0, &why), 0x00);
    assert_string_equal(why, "guest.drive");
    assert_int_equal(guest_drive_pick(sector, 300, true, 0x81, false, 0, &why), 0x81);
}

static void boot_sector_is_first_hard_disk(void **state)
{
    (void)state;
    sector[510] = 0x55, sector[511] = 0xAA;
    /* GRUB booted from the CD (0xE0): a `(hd0)+1` module is still the hard disk's sector */
    assert_int_equal(guest_drive_pick(sector, 512, false, 0, true, 0xE0, &why), 0x80);
    assert_string_equal(why, "a boot sector: the first hard disk, GRUB's (hd0)");
    assert_int_equal(guest_drive_pick(sector, 512, false, 0, false, 0, &why), 0x80);
}

static void flat_image_gets_grub_boot_drive(void **state)
{
    (void)state;
    sector[510] = 0x55, sector[511] = 0xAA;
    /* not one sector, or no signature: a flat image, entered with GRUB's boot drive */
    assert_int_equal(guest_drive_pick(sector, 1024, false, 0, true, 0xE0, &why), 0xE0);
    assert_string_equal(why, "GRUB's boot drive");
    sector[511] = 0x00;
    assert_int_equal(guest_drive_pick(sector, 512, false, 0, true, 0xE0, &why), 0xE0);
    sector[510] = 0xAA, sector[511] = 0x55; /* the bytes swapped are no signature */
    assert_int_equal(guest_drive_pick(sector, 512, false, 0, true, 0x9F, &why), 0x9F);
    /* GRUB gave no boot device (or the "none" value 0xffffffff) */
    assert_int_equal(guest_drive_pick(sector, 241, false, 0, false, 0, &why), 0x80);
    assert_string_equal(why, "no boot drive from GRUB: the first hard disk");
    assert_int_equal(guest_drive_pick(sector, 241, false, 0, true, 0xFFFFFFFFu, &why), 0x80);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fits),
        cmocka_unit_test(empty_image),
        cmocka_unit_test(over_the_ivt),
        cmocka_unit_test(past_conventional_memory),
        cmocka_unit_test(drive_option_wins),
        cmocka_unit_test(boot_sector_is_first_hard_disk),
        cmocka_unit_test(flat_image_gets_grub_boot_drive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
