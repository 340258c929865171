// Freestanding string and memory helpers for the kernel.
#pragma once

#include "lib/types.h"

extern "C" {
void* memset(void* dst, int c, size_t n);
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
int memcmp(const void* a, const void* b, size_t n);
}
size_t strlen(const char* s);
int strncmp(const char* a, const char* b, size_t n);
// Copy at most n-1 characters and always NUL-terminate (n > 0).
char* safestrcpy(char* dst, const char* src, size_t n);
// Copy exactly n bytes, padding with NULs (for fixed directory names).
char* strncpy(char* dst, const char* src, size_t n);
