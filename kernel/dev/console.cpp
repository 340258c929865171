// Console line discipline. Input is collected into lines with editing
// (backspace, Ctrl-U) and handed to readers a line at a time; Ctrl-D ends
// input, Ctrl-P lists the processes.
#include "dev/console.h"

#include <weft/param.h>

#include "dev/uart.h"
#include "fs/file.h"
#include "lib/kprintf.h"
#include "proc.h"
#include "sync/sleeplock.h"
#include "sync/spinlock.h"
#include "uaccess.h"

namespace {
constexpr int CTRL_D = 4;
constexpr int CTRL_P = 16;
constexpr int CTRL_U = 21;
constexpr int BACKSPACE = 0x7f;
constexpr u32 INPUT_SIZE = 1024;  // a typed line longer than this is cut

struct Input {
  Spinlock lock{"console-in", LockRank::ConsoleIn};
  WaitQueue readers{lock};  // waiting for a line
  // guarded by lock: a ring of INPUT_SIZE; [read, write) is ready for
  // readers, [write, edit) is the line still being edited.
  char buf[INPUT_SIZE];
  u32 read = 0;
  u32 write = 0;
  u32 edit = 0;
};
Input g_in;
// One user write() is not interleaved with another's. A sleep lock: a
// write is as long as its caller wants, and runs with interrupts on.
SleepLock g_out_lock{"console-out", LockRank::ConsoleOut};

void echo(int c) {
  if (c == BACKSPACE || c == '\b') {
    uart_putc('\b');
    uart_putc(' ');
    uart_putc('\b');
  } else {
    uart_putc(c);
  }
}

Result<size_t> console_read(bool user_dst, u64 dst, size_t n) {
  for (;;) {
    size_t done = 0;
    {
      SpinGuard g(g_in.lock);
      while (done < n) {
        while (g_in.read == g_in.write) {
          if (killed(myproc())) return Error::Interrupted;
          g_in.readers.wait_killable();
        }
        char c = g_in.buf[g_in.read % INPUT_SIZE];
        if (c == CTRL_D) {
          // End of input. If some bytes were already returned, leave the ^D
          // for the next read so that it sees 0.
          if (done == 0) g_in.read++;
          return done;
        }
        // One byte under the spin lock: the copy cannot sleep, and a read
        // takes at most one line (INPUT_SIZE bytes). A byte that cannot be
        // stored stays in the buffer.
        auto r = copy_to(user_dst, dst + done, &c, 1);
        if (!r) {
          if (done > 0) return done;  // what was read so far
          if (r.error() != Error::Retry) return r.error();
          break;  // copy-on-write: see below
        }
        g_in.read++;
        done++;
        if (c == '\n') return done;
      }
      if (done == n) return done;
    }
    // A copy-on-write destination (a fork by another thread): break it
    // without the lock, then read again.
    CHECK(user_prepare_write(dst, n < INPUT_SIZE ? n : INPUT_SIZE));
  }
}

// The bytes go through a small kernel buffer, a chunk at a time: the copy
// from user memory holds the address space's lock only for the chunk, and
// the UART is fed with interrupts on. A write may be as long as its caller
// likes, so a kill ends it (between chunks) and ends the wait for the lock.
Result<size_t> console_write(bool user_src, u64 src, size_t n) {
  char chunk[128];
  size_t done = 0;
  Process* p = myproc();
  KillableSleepGuard g(g_out_lock);
  if (!g) return Error::Interrupted;
  while (done < n && !killed(p)) {
    size_t m = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
    if (!copy_from(chunk, user_src, src + done, m)) break;
    for (size_t i = 0; i < m; i++) uart_putc(chunk[i]);
    done += m;
  }
  if (done == 0 && n > 0) return killed(p) ? Error::Interrupted : Error::Fault;
  return done;
}
}  // namespace

void console_init() {
  uart_init();
  g_devsw[CONSOLE].read = console_read;
  g_devsw[CONSOLE].write = console_write;
}

void console_putc(int c) { uart_putc(c); }

void console_intr(int c) {
  if (c == CTRL_P) {
    procdump();  // takes its own locks; not under the console lock
    return;
  }
  SpinGuard g(g_in.lock);
  switch (c) {
    case CTRL_U:
      while (g_in.edit != g_in.write &&
             g_in.buf[(g_in.edit - 1) % INPUT_SIZE] != '\n') {
        g_in.edit--;
        echo(BACKSPACE);
      }
      break;
    case BACKSPACE:
    case '\b':
      if (g_in.edit != g_in.write) {
        g_in.edit--;
        echo(BACKSPACE);
      }
      break;
    default:
      if (c == 0 || g_in.edit - g_in.read >= INPUT_SIZE) break;
      if (c == '\r') c = '\n';
      if (c != CTRL_D) echo(c);
      g_in.buf[g_in.edit++ % INPUT_SIZE] = static_cast<char>(c);
      // A full line, an end of input or a full buffer goes to readers.
      if (c == '\n' || c == CTRL_D || g_in.edit - g_in.read == INPUT_SIZE) {
        g_in.write = g_in.edit;
        g_in.readers.wake_all();
      }
  }
}
