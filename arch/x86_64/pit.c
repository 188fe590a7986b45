/* PIT channel 2 as a one-shot timer (Intel 8254 data sheet: mode 0 "interrupt on terminal
 * count": OUT goes low when the mode is written, high when the count reaches 0; the PC wires
 * channel 2's GATE to port 61h bit 0 and its OUT to port 61h bit 5). */
#include "arch/x86_64/pit.h"
#include "arch/x86_64/cpu.h"

#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_MODE 0x43
#define PORT61 0x61
#define P61_GATE2 0x01
#define P61_SPEAKER 0x02
#define P61_OUT2 0x20

void pit_delay_us(uint32_t us)
{
    uint8_t saved = inb(PORT61);
    while (us) {
        uint32_t chunk = us > 50000 ? 50000 : us; /* 50 ms = 59659 ticks < 65536 */
        uint32_t ticks = (uint32_t)(((uint64_t)chunk * PIT_HZ + 999999) / 1000000);
        us -= chunk;
        outb(PORT61, (uint8_t)((saved & ~P61_SPEAKER) | P61_GATE2)); /* gate on, speaker off */
        outb(PIT_MODE, 0xB0);                     /* channel 2, lobyte/hibyte, mode 0, binary */
        outb(PIT_CH2, (uint8_t)ticks);
        outb(PIT_CH2, (uint8_t)(ticks >> 8));     /* counting starts */
        /* bounded: a machine without a legacy PIT (or with its channel 2 gated off) must not
         * hang the boot here; an I/O read takes about 1 us, so this is seconds at most */
        for (uint32_t spin = 0; !(inb(PORT61) & P61_OUT2) && spin < 4000000; spin++)
            cpu_relax();
    }
    outb(PORT61, saved & 0x0F);                   /* bits 4-7 are read-only status */
}
