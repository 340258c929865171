// Built with -fno-tree-loop-distribute-patterns so that GCC does not turn
// these loops back into calls to themselves.
#include "lib/string.h"

extern "C" void* memset(void* dst, int c, size_t n) {
  u8* d = static_cast<u8*>(dst);
  // Word stores when aligned: page clearing is on the fork path.
  if ((reinterpret_cast<uptr>(d) & 7) == 0) {
    u64 w = static_cast<u8>(c);
    w |= w << 8;
    w |= w << 16;
    w |= w << 32;
    // 64 bytes per round: page clearing and kfree's junk fill are on the
    // fork and exit paths.
    for (; n >= 64; n -= 64, d += 64) {
      u64* q = reinterpret_cast<u64*>(d);
      q[0] = w, q[1] = w, q[2] = w, q[3] = w, q[4] = w, q[5] = w, q[6] = w, q[7] = w;
    }
    for (; n >= 8; n -= 8, d += 8) *reinterpret_cast<u64*>(d) = w;
  }
  while (n-- > 0) *d++ = static_cast<u8>(c);
  return dst;
}

extern "C" void* memcpy(void* dst, const void* src, size_t n) {
  return memmove(dst, src, n);
}

extern "C" void* memmove(void* dst, const void* src, size_t n) {
  u8* d = static_cast<u8*>(dst);
  const u8* s = static_cast<const u8*>(src);
  if (d == s || n == 0) return dst;
  if (d < s || d >= s + n) {
    if (((reinterpret_cast<uptr>(d) | reinterpret_cast<uptr>(s)) & 7) == 0) {
      for (; n >= 64; n -= 64, d += 64, s += 64) {  // a page copy: 64 rounds
        u64* q = reinterpret_cast<u64*>(d);
        const u64* r = reinterpret_cast<const u64*>(s);
        u64 a = r[0], b = r[1], c = r[2], e = r[3], f = r[4], g = r[5], h = r[6], i = r[7];
        q[0] = a, q[1] = b, q[2] = c, q[3] = e, q[4] = f, q[5] = g, q[6] = h, q[7] = i;
      }
      for (; n >= 8; n -= 8, d += 8, s += 8)
        *reinterpret_cast<u64*>(d) = *reinterpret_cast<const u64*>(s);
    }
    while (n-- > 0) *d++ = *s++;
  } else {
    // Overlapping with dst above src: copy backwards.
    d += n;
    s += n;
    while (n-- > 0) *--d = *--s;
  }
  return dst;
}

extern "C" int memcmp(const void* a, const void* b, size_t n) {
  const u8* x = static_cast<const u8*>(a);
  const u8* y = static_cast<const u8*>(b);
  for (; n > 0; n--, x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

int strncmp(const char* a, const char* b, size_t n) {
  for (; n > 0 && *a && *a == *b; n--, a++, b++) {
  }
  if (n == 0) return 0;
  return static_cast<u8>(*a) - static_cast<u8>(*b);
}

char* safestrcpy(char* dst, const char* src, size_t n) {
  size_t i = 0;
  for (; i + 1 < n && src[i]; i++) dst[i] = src[i];
  if (n > 0) dst[i] = 0;
  return dst;
}

char* strncpy(char* dst, const char* src, size_t n) {
  size_t i = 0;
  for (; i < n && src[i]; i++) dst[i] = src[i];
  for (; i < n; i++) dst[i] = 0;
  return dst;
}
