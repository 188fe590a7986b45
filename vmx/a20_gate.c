/* The guest's A20 gate on ports 0x92, 0x64 and 0x60 (see a20_gate.h). Pure logic. */
#include "vmx/a20_gate.h"

void a20_gate_reset(struct a20_gate *g)
{
    *g = (struct a20_gate){0};
}

/* The bit offset of the byte of an access that lands on `port`, or -1 when it does not cover it. */
static int shift_of(const struct io_access *a, uint16_t port)
{
    if (port < a->port || port >= (uint32_t)a->port + a->size)
        return -1;
    return 8 * (port - a->port);
}

static void set_a20(struct a20_gate *g, bool on, const char *what, struct a20_write *w)
{
    if (g->off == !on)
        return;
    g->off = !on;
    w->changed = true;
    w->what = what;
}

void a20_gate_out(struct a20_gate *g, const struct io_access *a, uint32_t value, struct a20_write *w)
{
    *w = (struct a20_write){.value = value};
    int s;
    if ((s = shift_of(a, PORT_SYSCTL_A)) >= 0) {
        /* devices.cc: A20 = bit 1 */
        set_a20(g, (value >> s) & SYSCTL_A_A20, "system control port A bit 1", w);
        w->value |= (uint32_t)SYSCTL_A_A20 << s;
    }
    if ((s = shift_of(a, PORT_KBD_DATA)) >= 0 && g->output_write) {
        /* keyboard.cc: the byte after 0xD1 is the output port: A20 = bit 1, bit 0 clear resets */
        uint8_t b = (uint8_t)(value >> s);
        g->output_write = false;
        set_a20(g, b & KBD_OUTPUT_A20, "8042 output port bit 1 (command 0xd1)", w);
        w->reset = !(b & KBD_OUTPUT_RESET);
        w->value |= (uint32_t)KBD_OUTPUT_A20 << s;
    } else if (s >= 0) {
        g->output_write = false;   /* a byte for the keyboard itself */
    }
    if ((s = shift_of(a, PORT_KBD_COMMAND)) >= 0) {
        uint8_t cmd = (uint8_t)(value >> s);
        g->output_write = cmd == KBD_CMD_WRITE_OUTPUT;   /* every other command cancels a 0xD1 */
        if (cmd == KBD_CMD_READ_OUTPUT)
            g->output_read = true;
        if (cmd == KBD_CMD_A20_OFF) {
            set_a20(g, false, "8042 command 0xdd", w);
            w->value = (w->value & ~(0xFFu << s)) | (uint32_t)KBD_CMD_A20_ON << s;
        } else if (cmd == KBD_CMD_A20_ON) {
            set_a20(g, true, "8042 command 0xdf", w);
        }
    }
}

uint32_t a20_gate_in(struct a20_gate *g, const struct io_access *a, uint32_t value)
{
    int s;
    if ((s = shift_of(a, PORT_SYSCTL_A)) >= 0) {
        value &= ~((uint32_t)SYSCTL_A_A20 << s);
        if (!g->off)
            value |= (uint32_t)SYSCTL_A_A20 << s;
    }
    if ((s = shift_of(a, PORT_KBD_DATA)) >= 0 && g->output_read) {
        /* the 0xD0 byte: keyboard.cc puts A20 in bit 1 (the machine's, always on) */
        g->output_read = false;
        value &= ~((uint32_t)KBD_OUTPUT_A20 << s);
        if (!g->off)
            value |= (uint32_t)KBD_OUTPUT_A20 << s;
    }
    return value;
}

bool a20_gate_watches_data(const struct a20_gate *g)
{
    return g->output_write || g->output_read;
}
