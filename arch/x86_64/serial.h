/* 16550 UART on COM1, polled, 115200 8N1: the console every log line goes to. */
#ifndef ARCH_SERIAL_H
#define ARCH_SERIAL_H

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, unsigned long len);
/* Wait until the transmitter is empty (LSR.TEMT), so that a power-off loses no byte. */
void serial_flush(void);

#endif
