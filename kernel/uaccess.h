// The one way the kernel touches user memory.
//
// Each copy walks the current address space's page table in software, a page
// at a time, holding the space's lock while it copies that page. A concurrent
// sbrk(-n) on another hart takes the same lock to unmap, so a copy either
// finishes before the page goes or sees it unmapped and fails: no kernel
// fault, no touching a freed page. A copy to a copy-on-write page breaks it
// first (vm.h); under a spin lock it cannot, and fails with Error::Retry. User pointers are typed so that the
// direction of every copy is visible at the call site.
#pragma once

#include "lib/result.h"
#include "lib/types.h"

template <typename T>
struct UserIn {  // a user address the kernel reads a T from
  u64 addr;
};
template <typename T>
struct UserOut {  // a user address the kernel writes a T to
  u64 addr;
};

Result<void> copy_in(void* dst, u64 usrc, size_t n);
Result<void> copy_out(u64 udst, const void* src, size_t n);
// Copy a NUL-terminated string of at most max bytes (NUL included);
// returns its length. Error if unterminated within max or unmapped.
Result<size_t> copy_in_str(char* dst, u64 usrc, size_t max);

// Fault unless [uaddr, uaddr+n) is writable user memory; its copy-on-write
// pages are broken now (no spin lock held). For a caller that will copy to
// it under a spin lock (join checks its pointer so first): there a
// copy-on-write page gives Error::Retry (a fork by another thread may make
// it so again in between), and the caller lets go, calls this, and retries.
Result<void> user_prepare_write(u64 uaddr, size_t n);
// Store a 32-bit word with one atomic store (texit: a futex waiter must
// never see a torn value). uaddr must be 4-byte aligned. Error::Retry on a
// copy-on-write page (see user_prepare_write).
Result<void> store_user_u32(u64 uaddr, u32 v);

// For code that serves both kernel and user buffers (file read/write).
Result<void> copy_to(bool user, u64 dst, const void* src, size_t n);
Result<void> copy_from(void* dst, bool user, u64 src, size_t n);

template <typename T>
Result<T> read_user(UserIn<T> p) {
  T v;
  auto r = copy_in(&v, p.addr, sizeof(T));
  if (!r) return r.error();
  return v;
}
template <typename T>
Result<void> write_user(UserOut<T> p, const T& v) {
  return copy_out(p.addr, &v, sizeof(T));
}
