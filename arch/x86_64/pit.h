/* Busy waits timed by the 8254 PIT's channel 2 (the one gated by port 61h), for the delays of
 * the MP initialization protocol (SDM Vol.3A 8.4.4.1), before vmxlab knows its TSC's rate. */
#ifndef ARCH_PIT_H
#define ARCH_PIT_H

#include <stdint.h>

/* Wait at least `us` microseconds (with a working PIT; without one, a few seconds at most per
 * 50 ms). Leaves channel 2 in mode 0 and port 61h as it found it. */
void pit_delay_us(uint32_t us);

#endif
