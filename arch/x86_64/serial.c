/* COM1 16550 driver (polled). Register names from the PC16550D data sheet. */
#include "arch/x86_64/serial.h"
#include "arch/x86_64/cpu.h"

#define COM1 0x3F8
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0 /* divisor latch (DLAB=1) */
#define UART_DLM 1
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_TEMT 0x40 /* transmitter empty: the last bit left the wire */

static int present;

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, 0x80); /* DLAB */
    outb(COM1 + UART_DLL, 1);    /* 115200 / 1 */
    outb(COM1 + UART_DLM, 0);
    outb(COM1 + UART_LCR, 0x03); /* 8N1 */
    outb(COM1 + UART_FCR, 0xC7); /* FIFO on, cleared, 14-byte threshold */
    outb(COM1 + UART_MCR, 0x03); /* DTR, RTS; OUT2 stays off: the guest owns COM1's IRQ */
    present = inb(COM1 + UART_LSR) != 0xFF;
}

void serial_putc(char c)
{
    if (!present)
        return;
    for (unsigned spins = 0; !(inb(COM1 + UART_LSR) & LSR_THRE) && spins < 1000000; spins++)
        cpu_relax();
    outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, unsigned long len)
{
    for (unsigned long i = 0; i < len; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

void serial_flush(void)
{
    if (!present)
        return;
    for (unsigned spins = 0; !(inb(COM1 + UART_LSR) & LSR_TEMT) && spins < 1000000; spins++)
        cpu_relax();
}
