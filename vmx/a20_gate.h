/* The guest's A20 gate, kept by vmxlab while the machine's stays on (vmx/a20.c does the rest).
 *
 * A processor in VMX operation blocks A20M# (SDM Vol.3C 23.8 "Restrictions on VMX Operation"),
 * but Bochs 2.7 does not: a guest's A20-off write carried out on the machine makes Bochs mask
 * address bit 20 for everything, vmxlab and its EPT walks included. So vmxlab keeps the guest's
 * A20 itself and never lets it off on the machine. This file is what each guest access to the
 * three ports that control it means, as Bochs 2.7 implements them (iodev/devices.cc,
 * iodev/keyboard.cc), and what vmxlab carries out instead:
 *   - system control port A, 0x92: bit 1 is A20 (bit 0 fast reset, an io_decode.h event).
 *     A read gives the guest's bit 1 and the machine's other bits; a write goes out with bit 1 set.
 *   - 8042 command 0xD1 "write output port" on 0x64: the next byte written to 0x60 is the
 *     output port, whose bit 1 is A20 and bit 0 the CPU reset line (low: reset). Any other
 *     command written to 0x64 cancels it (keyboard.cc clears expecting_port60h on every one).
 *     The byte goes out with bit 1 set.
 *   - 8042 command 0xD0 "read output port": the controller puts the output port in its output
 *     buffer; the next read of 0x60 gets it, and vmxlab puts the guest's A20 in its bit 1.
 *   - 8042 commands 0xDD / 0xDF: A20 off / on (Bochs implements both). 0xDD goes out as 0xDF:
 *     for the controller the same command byte side effects, the machine's A20 on.
 * Pure logic: unit-tested on the host (tests/unit/test_io_decode.c). */
#ifndef VMX_A20_GATE_H
#define VMX_A20_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include "vmx/io_decode.h"

#define PORT_KBD_DATA 0x60        /* 8042 data (input / output buffer) */
#define PORT_KBD_COMMAND 0x64     /* 8042 command (write) / status (read) */
#define PORT_SYSCTL_A 0x92        /* system control port A: bit 0 fast reset, bit 1 A20 */
#define SYSCTL_A_A20 0x02
#define KBD_OUTPUT_A20 0x02       /* 8042 output port bit 1: the A20 gate */
#define KBD_OUTPUT_RESET 0x01     /* 8042 output port bit 0: the CPU reset line, active low */
#define KBD_CMD_READ_OUTPUT 0xD0
#define KBD_CMD_WRITE_OUTPUT 0xD1
#define KBD_CMD_A20_OFF 0xDD
#define KBD_CMD_A20_ON 0xDF

/* One per machine (the ports are the machine's): every vCPU's accesses go through it. */
struct a20_gate {
    bool off;              /* the guest's A20 is off: its addresses wrap at 1 MiB */
    bool output_write;     /* 0xD1 written: the next byte written to 0x60 is the output port */
    bool output_read;      /* 0xD0 written: the next byte read from 0x60 is the output port */
};

/* What vmxlab does with a guest's OUT to these ports. */
struct a20_write {
    uint32_t value;        /* the value to write on the machine (its A20 kept on) */
    bool changed;          /* the guest's A20 changed: gate->off is the new state */
    bool reset;            /* an output-port byte with bit 0 (reset) clear: Bochs resets the CPU */
    const char *what;      /* the write that set A20, for the log */
};

/* The guest's A20 on, nothing pending: after power-up and after a reset (Bochs's
 * bx_pc_system_c::Reset turns A20 on). */
void a20_gate_reset(struct a20_gate *g);

/* An OUT of `value` (the low a->size bytes) that covers 0x60, 0x64 or 0x92 (others pass
 * unchanged). io_event_of_write()'s reset events come first: the caller checks them before. */
void a20_gate_out(struct a20_gate *g, const struct io_access *a, uint32_t value, struct a20_write *w);

/* An IN: `value` as the machine answered, returned as the guest would have read it. */
uint32_t a20_gate_in(struct a20_gate *g, const struct io_access *a, uint32_t value);

/* Port 0x60 must exit now: a 0xD1 or 0xD0 waits for its data byte. */
bool a20_gate_watches_data(const struct a20_gate *g);

#endif
