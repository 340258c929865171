#include "uaccess.h"

#include "arch/riscv64/riscv.h"
#include "lib/string.h"
#include "proc.h"
#include "vm.h"

namespace {
// Copy between kernel memory and the current address space, one page at a
// time, each under the space's lock (see uaccess.h for why that is safe).
// to_user: kernel -> user. A copy-on-write destination page is broken
// first (vm.h), unless the caller holds a spin lock: breaking may sleep and
// waits for other harts, so then the answer is Error::Retry.
Result<void> copy_user(u64 uaddr, u8* kbuf, size_t n, bool to_user) {
  AddressSpace* as = myproc()->as;
  while (n > 0) {
    size_t chunk = PGSIZE - (uaddr & (PGSIZE - 1));
    if (chunk > n) chunk = n;
    bool cow = false;
    {
      SpinGuard g(as->lock_);
      u64 pa = as->user_pa_locked(uaddr, to_user, &cow);
      if (!pa && !cow) return Error::Fault;
      if (pa) {
        void* p = reinterpret_cast<void*>(pa);
        if (to_user)
          memcpy(p, kbuf, chunk);
        else
          memcpy(kbuf, p, chunk);
      }
    }
    if (cow) {
      if (!holding_no_spinlock()) return Error::Retry;
      CHECK(as->break_cow(uaddr));
      continue;  // the same page again
    }
    uaddr += chunk, kbuf += chunk, n -= chunk;
  }
  return {};
}
}  // namespace

Result<void> copy_in(void* dst, u64 usrc, size_t n) {
  if (usrc + n < usrc) return Error::Fault;
  return copy_user(usrc, static_cast<u8*>(dst), n, false);
}

Result<void> copy_out(u64 udst, const void* src, size_t n) {
  if (udst + n < udst) return Error::Fault;
  return copy_user(udst, static_cast<u8*>(const_cast<void*>(src)), n, true);
}

Result<size_t> copy_in_str(char* dst, u64 usrc, size_t max) {
  AddressSpace* as = myproc()->as;
  size_t len = 0;
  while (len < max) {
    SpinGuard g(as->lock_);
    u64 pa = as->user_pa_locked(usrc + len, false);
    if (!pa) return Error::Fault;
    const char* p = reinterpret_cast<const char*>(pa);
    size_t room = PGSIZE - ((usrc + len) & (PGSIZE - 1));
    for (size_t i = 0; i < room && len < max; i++, len++) {
      dst[len] = p[i];
      if (p[i] == 0) return len;
    }
  }
  return Error::NameTooLong;  // no NUL within max bytes
}

Result<void> copy_to(bool user, u64 dst, const void* src, size_t n) {
  if (user) return copy_out(dst, src, n);
  memmove(reinterpret_cast<void*>(dst), src, n);
  return {};
}

Result<void> copy_from(void* dst, bool user, u64 src, size_t n) {
  if (user) return copy_in(dst, src, n);
  memmove(dst, reinterpret_cast<const void*>(src), n);
  return {};
}

Result<void> user_prepare_write(u64 uaddr, size_t n) {
  AddressSpace* as = myproc()->as;
  if (uaddr + n < uaddr) return Error::Fault;
  for (u64 va = pg_round_down(uaddr); va < uaddr + n; va += PGSIZE) {
    bool cow = false;
    {
      SpinGuard g(as->lock_);
      if (as->user_pa_locked(va, true, &cow)) continue;
    }
    if (!cow) return Error::Fault;
    CHECK(as->break_cow(va));
  }
  return {};
}

Result<void> store_user_u32(u64 uaddr, u32 v) {
  if (uaddr & 3) return Error::Invalid;
  AddressSpace* as = myproc()->as;
  SpinGuard g(as->lock_);
  bool cow = false;
  u64 pa = as->user_pa_locked(uaddr, true, &cow);
  if (!pa) return cow ? Error::Retry : Error::Fault;
  __atomic_store_n(reinterpret_cast<u32*>(pa), v, __ATOMIC_SEQ_CST);
  return {};
}
