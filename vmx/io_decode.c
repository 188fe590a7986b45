/* I/O exit qualification and the reset / sleep writes (see io_decode.h). Pure logic. */
#include "vmx/io_decode.h"
#include "kernel/lib.h"
#include "vmx/a20_gate.h"      /* the 8042 and system control port A */

#define PORT_RESET_CONTROL 0xCF9 /* reset control register (PIIX/ICH), byte access only */

#define PM1_CNT_SLP_EN_HI 0x20 /* bit 13 of PM1x_CNT, in its high byte */

bool io_qual_decode(uint64_t qual, struct io_access *a)
{
    static const uint8_t sizes[8] = {1, 2, 0, 4, 0, 0, 0, 0};
    uint8_t size = sizes[qual & 7];
    if (!size)
        return false;
    a->size = size;
    a->in = (qual >> 3) & 1;
    a->string = (qual >> 4) & 1;
    a->rep = (qual >> 5) & 1;
    a->immediate = (qual >> 6) & 1;
    a->port = (uint16_t)(qual >> 16);
    return true;
}

void io_access_format(const struct io_access *a, char *buf, size_t len)
{
    static const char *const acc[5] = {0, "AL", "AX", 0, "EAX"};
    static const char suffix[5] = {0, 'B', 'W', 0, 'D'};
    const char *rep = a->rep ? "REP " : "";
    if (a->string) {
        snprintf(buf, len, "%s%s%c port 0x%x", rep, a->in ? "INS" : "OUTS", suffix[a->size], a->port);
        return;
    }
    const char *where = a->immediate ? "imm8" : "DX";
    if (a->in)
        snprintf(buf, len, "IN %s, %s port 0x%x", acc[a->size], where, a->port);
    else
        snprintf(buf, len, "OUT %s, %s port 0x%x", where, acc[a->size], a->port);
}

/* The byte of an access that lands on `port`, or -1 when the access does not cover it. */
static int byte_at(const struct io_access *a, uint32_t value, uint16_t port)
{
    if (port < a->port || port >= (uint32_t)a->port + a->size)
        return -1;
    return (int)((value >> (8 * (port - a->port))) & 0xFF);
}

/* SLP_EN and SLP_TYP from the high byte of PM1x_CNT (ACPI 6.5 Table 4.13: SLP_TYP bits
 * 12:10, SLP_EN bit 13), when this write sets SLP_EN. */
static bool sleep_write(const struct io_access *a, uint32_t value, uint16_t cnt, uint8_t *typ)
{
    /* the high byte must be a port: a 16-bit register at 0xFFFF has none (and cnt + 1
     * would wrap to port 0, which vmxlab does not intercept) */
    if (!cnt || cnt == 0xFFFF)
        return false;
    int hi = byte_at(a, value, (uint16_t)(cnt + 1));
    if (hi < 0 || !(hi & PM1_CNT_SLP_EN_HI))
        return false;
    *typ = (uint8_t)((hi >> 2) & 7);
    return true;
}

enum io_event io_event_of_write(const struct io_access *a, uint32_t value, const struct io_watch *w, uint8_t *slp_typ)
{
    uint8_t typ = 0;
    if (a->in)
        return IO_EVENT_NONE;
    /* ACPI 6.5 7.4.2: the OS writes \_S5's SLP_TYPa to PM1a_CNT and SLP_TYPb to PM1b_CNT */
    if (sleep_write(a, value, w->pm1a_cnt, &typ)) {
        *slp_typ = typ;
        return typ == w->slp_typa ? IO_EVENT_POWER_OFF : IO_EVENT_SLEEP;
    }
    if (sleep_write(a, value, w->pm1b_cnt, &typ)) {
        *slp_typ = typ;
        return typ == w->slp_typb ? IO_EVENT_POWER_OFF : IO_EVENT_SLEEP;
    }
    if (a->size != 1)
        return IO_EVENT_NONE; /* the reset registers are byte registers */
    uint8_t v = (uint8_t)value;
    /* ACPI 6.5 4.8.4.6 "Reset Register": writing RESET_VALUE resets the machine. It is
     * often 0xCF9 itself, so it is checked first. */
    if (w->reset_port && a->port == w->reset_port && v == w->reset_value)
        return IO_EVENT_RESET_ACPI;
    switch (a->port) {
    case PORT_KBD_COMMAND:
        /* 8042 commands F0h-FFh pulse output-port bits 3:0 low; bit 0 is the CPU reset
         * line, so an even command resets (Bochs implements FEh, the one in use) */
        return (v & 0xF0) == 0xF0 && !(v & 1) ? IO_EVENT_RESET_KBD : IO_EVENT_NONE;
    case PORT_SYSCTL_A:
        return v & 1 ? IO_EVENT_RESET_FAST : IO_EVENT_NONE;
    case PORT_RESET_CONTROL:
        /* RST_CPU (bit 2) starts the reset; SYS_RST (bit 1) and FULL_RST (bit 3) choose its kind */
        return v & 4 ? IO_EVENT_RESET_CF9 : IO_EVENT_NONE;
    default:
        return IO_EVENT_NONE;
    }
}

const char *io_event_name(enum io_event e)
{
    switch (e) {
    case IO_EVENT_RESET_KBD: return "keyboard controller reset";
    case IO_EVENT_RESET_KBD_OUTPUT: return "keyboard controller output port bit 0 (reset) clear, after command 0xd1";
    case IO_EVENT_RESET_CF9: return "reset control register (0xCF9) reset";
    case IO_EVENT_RESET_FAST: return "fast reset (port 0x92 bit 0)";
    case IO_EVENT_RESET_ACPI: return "ACPI RESET_REG reset";
    case IO_EVENT_POWER_OFF: return "ACPI S5 soft-off";
    case IO_EVENT_SLEEP: return "ACPI sleep";
    default: return "none";
    }
}

static size_t add_port(uint16_t ports[8], size_t n, uint16_t p)
{
    if (!p)
        return n;
    for (size_t i = 0; i < n; i++)
        if (ports[i] == p)
            return n;
    ports[n] = p;
    return n + 1;
}

size_t io_watch_ports(const struct io_watch *w, uint16_t ports[8])
{
    size_t n = 0;
    n = add_port(ports, n, PORT_KBD_COMMAND);
    n = add_port(ports, n, PORT_SYSCTL_A);
    n = add_port(ports, n, PORT_RESET_CONTROL);
    /* SLP_EN and SLP_TYP are in the high byte: any access that can set them touches
     * PM1x_CNT + 1, and the I/O bitmap makes an access exit when any byte it covers is
     * marked (SDM 25.1.3), so the high byte alone is enough */
    if (w->pm1a_cnt)
        n = add_port(ports, n, (uint16_t)(w->pm1a_cnt + 1));
    if (w->pm1b_cnt)
        n = add_port(ports, n, (uint16_t)(w->pm1b_cnt + 1));
    n = add_port(ports, n, w->reset_port);
    return n;
}
