// errno, and the words for its numbers (errno.h).
#include "errno.h"

#include "user.h"

__thread int errno;

// Called by the system call stubs (usys.S) when the kernel returned -err.
long weft_syscall_error(long r) {
  errno = (int)-r;
  return -1;
}

static const char *const texts[] = {
    [0] = "Success",
    [EPERM] = "Operation not permitted",
    [ENOENT] = "No such file or directory",
    [ESRCH] = "No such process",
    [EINTR] = "Interrupted system call",
    [E2BIG] = "Argument list too long",
    [ENOEXEC] = "Exec format error",
    [EBADF] = "Bad file descriptor",
    [ECHILD] = "No child processes",
    [EAGAIN] = "Resource temporarily unavailable",
    [ENOMEM] = "Out of memory",
    [EFAULT] = "Bad address",
    [EBUSY] = "Device or resource busy",
    [EEXIST] = "File exists",
    [EXDEV] = "Invalid cross-device link",
    [ENODEV] = "No such device",
    [ENOTDIR] = "Not a directory",
    [EISDIR] = "Is a directory",
    [EINVAL] = "Invalid argument",
    [ENFILE] = "Too many open files in system",
    [EMFILE] = "Too many open files",
    [EFBIG] = "File too large",
    [ENOSPC] = "No space left on device",
    [EMLINK] = "Too many links",
    [EPIPE] = "Broken pipe",
    [ERANGE] = "Result out of range",
    [EDEADLK] = "Resource deadlock avoided",
    [ENAMETOOLONG] = "File name too long",
    [ENOSYS] = "Function not implemented",
    [ENOTEMPTY] = "Directory not empty",
    [EOVERFLOW] = "Value too large for defined data type",
    [ETIMEDOUT] = "Connection timed out",
};

char *strerror(int err) {
  if (err >= 0 && err < (int)(sizeof(texts) / sizeof(texts[0])) && texts[err])
    return (char *)texts[err];
  return "Unknown error";
}

void perror(const char *s) {
  const char *text = strerror(errno);
  if (s && *s)
    fprintf(2, "%s: %s\n", s, text);
  else
    fprintf(2, "%s\n", text);
}
