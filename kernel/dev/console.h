// The console: line discipline over the UART, and kernel output.
#pragma once

void console_init();        // registers the console device (major CONSOLE)
void console_intr(int c);   // one received character
void console_putc(int c);   // kernel output, no locking (caller serializes)
