/* I/O instructions that exit (SDM Vol.3 25.1.3 "use I/O bitmaps", 24.6.4): the exit
 * qualification decoded (Table 27-5 "Exit Qualification for I/O Instructions"), and the few
 * writes that are machine events rather than device accesses: a reset (keyboard controller,
 * reset control register 0xCF9, port 0x92 fast reset, the FADT's RESET_REG) and ACPI sleep
 * (SLP_EN in PM1a_CNT/PM1b_CNT). Pure logic: unit-tested on the host. */
#ifndef VMX_IO_DECODE_H
#define VMX_IO_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct io_access {
    uint16_t port;
    uint8_t size;     /* 1, 2 or 4 bytes */
    bool in;          /* IN/INS (else OUT/OUTS) */
    bool string;      /* INS/OUTS */
    bool rep;         /* with a REP prefix */
    bool immediate;   /* port in the instruction (else in DX) */
};

/* Table 27-5: bits 2:0 size - 1 (0, 1, 3), bit 3 direction (1 = IN), bit 4 string, bit 5 REP,
 * bit 6 operand encoding (1 = immediate), bits 31:16 port. False for a size encoding the
 * table does not list (2 or 4-7). */
bool io_qual_decode(uint64_t qual, struct io_access *a);

/* "OUT DX, AL port 0x64" / "REP INSW port 0x1f0": the instruction as a person writes it. */
void io_access_format(const struct io_access *a, char *buf, size_t len);

/* The ports whose writes can be machine events; 0 where a platform has none. */
struct io_watch {
    uint16_t pm1a_cnt, pm1b_cnt;  /* ACPI PM1 control blocks (ACPI 6.5 4.8.3.2.1) */
    uint8_t slp_typa, slp_typb;   /* SLP_TYP of \_S5 for each */
    uint16_t reset_port;          /* FADT RESET_REG when it is in system I/O space (5.2.9) */
    uint8_t reset_value;
};

enum io_event {
    IO_EVENT_NONE,        /* an ordinary access: carry it out for the guest */
    IO_EVENT_RESET_KBD,   /* 8042 "pulse output port" with the reset line (command 0xFE) */
    IO_EVENT_RESET_KBD_OUTPUT, /* the 8042 output port written (0xD1, then 0x60) with bit 0 clear */
    IO_EVENT_RESET_CF9,   /* reset control register, RST_CPU (bit 2) set */
    IO_EVENT_RESET_FAST,  /* system control port A 0x92, bit 0 (fast reset) */
    IO_EVENT_RESET_ACPI,  /* RESET_VALUE written to the FADT's RESET_REG */
    IO_EVENT_POWER_OFF,   /* SLP_EN with the S5 SLP_TYP: soft off */
    IO_EVENT_SLEEP,       /* SLP_EN with another SLP_TYP (S1-S4) */
};

/* What an OUT of `value` (the low `a->size` bytes) to a->port means. For PM1x_CNT the
 * access may cover either byte of the 16-bit register; SLP_TYP is bits 12:10, SLP_EN bit 13.
 * *slp_typ receives the SLP_TYP written for the two ACPI events. */
enum io_event io_event_of_write(const struct io_access *a, uint32_t value, const struct io_watch *w, uint8_t *slp_typ);

/* "keyboard controller reset (port 0x64 <- 0xfe)" and the like, for the log. */
const char *io_event_name(enum io_event e);

/* The ports vmxlab intercepts for these events (0x64, 0x92, 0xCF9, PM1a/b_CNT and their high
 * bytes, RESET_REG), deduplicated, zeros left out. Returns the count (at most 8). */
size_t io_watch_ports(const struct io_watch *w, uint16_t ports[8]);

#endif
