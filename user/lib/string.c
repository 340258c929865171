// Strings, memory and small helpers built on the system calls.
//
// The compiler may turn struct copies and zeroing into calls to memcpy and
// memset, so these must exist; the Makefile builds them with
// -fno-tree-loop-distribute-patterns so that the loops below are not in turn
// "optimised" into calls to themselves.
#include "user.h"

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

char *strcpy(char *dst, const char *src) {
  char *d = dst;
  while ((*d++ = *src++) != '\0')
    ;
  return dst;
}

// Like the standard one: copies at most n bytes and pads with NULs, and does
// not terminate dst if src is n bytes or longer.
char *strncpy(char *dst, const char *src, size_t n) {
  size_t i = 0;
  for (; i < n && src[i]; i++)
    dst[i] = src[i];
  for (; i < n; i++)
    dst[i] = '\0';
  return dst;
}

char *strcat(char *dst, const char *src) {
  strcpy(dst + strlen(dst), src);
  return dst;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
  for (; n > 0; n--, a++, b++) {
    if (*a != *b || *a == '\0')
      return (unsigned char)*a - (unsigned char)*b;
  }
  return 0;
}

// The terminating NUL counts as part of the string, so strchr(s, 0) finds it.
char *strchr(const char *s, int c) {
  for (;; s++) {
    if (*s == (char)c)
      return (char *)s;
    if (*s == '\0')
      return NULL;
  }
}

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  for (size_t i = 0; i < n; i++)
    d[i] = (unsigned char)c;
  return dst;
}

// Copies correctly when the ranges overlap: backwards if dst lies above src.
void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d > s && d < s + n) {
    while (n-- > 0)
      d[n] = s[n];
  } else {
    for (size_t i = 0; i < n; i++)
      d[i] = s[i];
  }
  return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
  return memmove(dst, src, n);
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a;
  const unsigned char *y = b;
  for (size_t i = 0; i < n; i++) {
    if (x[i] != y[i])
      return x[i] - y[i];
  }
  return 0;
}

// Leading blanks and one sign are accepted; parsing stops at the first
// character that is not a digit.
int atoi(const char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  int sign = 1;
  if (*s == '-' || *s == '+') {
    if (*s == '-')
      sign = -1;
    s++;
  }
  int n = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    n = n * 10 + (*s - '0');
  return sign * n;
}

// Reads one character at a time so that nothing past the newline is
// consumed: the rest of the input stays in the file for whoever reads next
// (a child the shell starts, for example). An empty result means end of file.
char *gets(char *buf, int max) {
  int i = 0;
  while (i + 1 < max) {
    char c;
    if (read(0, &c, 1) < 1)
      break;
    buf[i++] = c;
    if (c == '\n' || c == '\r')
      break;
  }
  buf[i] = '\0';
  return buf;
}

int stat(const char *path, struct stat *st) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  int r = fstat(fd, st);
  close(fd);
  return r;
}
