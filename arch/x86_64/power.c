/* Power-off paths, tried in order; each is harmless where its device is absent. */
#include "arch/x86_64/power.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/serial.h"

static uint16_t s5_cnt_a, s5_cnt_b, s5_typ_a, s5_typ_b;

void power_set_acpi_s5(uint16_t pm1a_cnt, uint16_t pm1b_cnt, uint16_t slp_typa, uint16_t slp_typb)
{
    s5_cnt_a = pm1a_cnt;
    s5_cnt_b = pm1b_cnt;
    s5_typ_a = slp_typa;
    s5_typ_b = slp_typb;
}

void power_off(int status)
{
    serial_flush(); /* Bochs and QEMU drop bytes still in the UART */
    /* QEMU: -device isa-debug-exit,iobase=0xf4,iosize=0x04 */
    outb(0xF4, (uint8_t)(status & 0x7F));
    /* Bochs: the bytes of "Shutdown" on port 0x8900 end the simulation */
    for (const char *s = "Shutdown"; *s; s++)
        outb(0x8900, (uint8_t)*s);
    /* ACPI S5 soft-off (ACPI spec 7.4.2: SLP_TYPx << 10 | SLP_EN) */
    if (s5_cnt_a) {
        outw(s5_cnt_a, (uint16_t)(s5_typ_a << 10 | 1u << 13));
        if (s5_cnt_b)
            outw(s5_cnt_b, (uint16_t)(s5_typ_b << 10 | 1u << 13));
    }
    for (;;) {
        cli();
        hlt();
    }
}
