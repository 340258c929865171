// xv6-compatible headers (docs/xv6.md): xv6's user-space interface, at the
// path xv6 programs include, after "kernel/types.h". Only xv6's calls are
// declared here, so a program may name its own functions as it likes
// (rdtime, say); weft's own interface is user/lib/user.h. The sizes are
// size_t where the compiler's built-in functions expect it; a uint
// argument converts to it unchanged.
#pragma once

#include <stddef.h>

// xv6 builds its programs with -Wall -Werror; weft adds -Wextra, whose
// extra checks xv6 code was never written for (main's unused argc, int
// against uint comparisons). A program that includes this header gets
// xv6's set.
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wtype-limits"

struct stat;

// System calls.
int fork(void);
void exit(int) __attribute__((noreturn));
int wait(int *);
int pipe(int *);
int write(int, const void *, int);
int read(int, void *, int);
int close(int);
int kill(int);
int exec(const char *, char **);
int open(const char *, int);
int mknod(const char *, short, short);
int unlink(const char *);
int fstat(int fd, struct stat *);
int link(const char *, const char *);
int mkdir(const char *);
int chdir(const char *);
int dup(int);
int getpid(void);
char *sbrk(int);
int sleep(int);
int uptime(void);

// The library.
int stat(const char *, struct stat *);
char *strcpy(char *, const char *);
void *memmove(void *, const void *, size_t);
char *strchr(const char *, int c);
int strcmp(const char *, const char *);
// No format checking: xv6's printf takes a bare %l (a 64-bit unsigned
// number), which the compiler's checker would refuse.
int fprintf(int, const char *, ...);
int printf(const char *, ...);
char *gets(char *, int max);
size_t strlen(const char *);
void *memset(void *, int, size_t);
int atoi(const char *);
int memcmp(const void *, const void *, size_t);
void *memcpy(void *, const void *, size_t);
void *malloc(size_t);
void free(void *);
