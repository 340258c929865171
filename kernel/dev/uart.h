// ns16550a UART: polled output, interrupt-driven input.
#pragma once

void uart_init();
void uart_putc(int c);   // waits until the transmitter takes it
void uart_intr();        // feeds received bytes to console_intr
