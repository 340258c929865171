// wc: count lines, words and bytes in each named file, or in stdin.
#include "user.h"

static char buf[512];

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Prints the counts for fd, followed by name unless it is NULL.
static int wc(int fd, const char *name) {
  long lines = 0, words = 0, bytes = 0;
  int in_word = 0;
  int n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    bytes += n;
    for (int i = 0; i < n; i++) {
      if (buf[i] == '\n')
        lines++;
      if (is_space(buf[i])) {
        in_word = 0;
      } else if (!in_word) {
        // Counting word starts means a word split across two reads still
        // counts once.
        words++;
        in_word = 1;
      }
    }
  }
  if (n < 0) {
    fprintf(2, "wc: read error\n");
    return -1;
  }
  if (name != NULL)
    printf("%ld %ld %ld %s\n", lines, words, bytes, name);
  else
    printf("%ld %ld %ld\n", lines, words, bytes);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return wc(0, NULL) < 0 ? 1 : 0;
  int status = 0;
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "wc: cannot open %s\n", argv[i]);
      status = 1;
      continue;
    }
    if (wc(fd, argv[i]) < 0)
      status = 1;
    close(fd);
  }
  return status;
}
