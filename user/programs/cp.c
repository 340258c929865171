// cp: copy a file. `cp from to` writes a new file (or overwrites one);
// if `to` is a directory, the copy goes inside it under from's last name.
#include "user.h"
#include "weft/fs.h"

static char buf[4096];

static const char *last_name(const char *path) {
  const char *base = path;
  for (const char *p = path; *p; p++)
    if (*p == '/' && p[1] != '\0')
      base = p + 1;
  return base;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(2, "usage: cp from to\n");
    return 1;
  }
  const char *from = argv[1];
  char to[MAXPATH];
  struct stat st;
  if (stat(argv[2], &st) == 0 && st.type == T_DIR) {
    const char *name = last_name(from);
    if (strlen(argv[2]) + 1 + strlen(name) + 1 > sizeof(to)) {
      fprintf(2, "cp: %s/%s: %s\n", argv[2], name, strerror(ENAMETOOLONG));
      return 1;
    }
    strcpy(to, argv[2]);
    strcat(to, "/");
    strcat(to, name);
  } else {
    if (strlen(argv[2]) + 1 > sizeof(to)) {
      fprintf(2, "cp: %s: %s\n", argv[2], strerror(ENAMETOOLONG));
      return 1;
    }
    strcpy(to, argv[2]);
  }
  int in = open(from, O_RDONLY);
  if (in < 0) {
    fprintf(2, "cp: %s: %s\n", from, strerror(errno));
    return 1;
  }
  if (fstat(in, &st) == 0 && st.type == T_DIR) {
    fprintf(2, "cp: %s: %s\n", from, strerror(EISDIR));
    return 1;
  }
  int out = open(to, O_CREATE | O_WRONLY | O_TRUNC);
  if (out < 0) {
    fprintf(2, "cp: %s: %s\n", to, strerror(errno));
    return 1;
  }
  int n;
  while ((n = read(in, buf, sizeof(buf))) > 0) {
    if (write(out, buf, n) != n) {
      fprintf(2, "cp: %s: %s\n", to, strerror(errno));
      return 1;
    }
  }
  if (n < 0) {
    fprintf(2, "cp: %s: %s\n", from, strerror(errno));
    return 1;
  }
  close(in);
  close(out);
  return 0;
}
