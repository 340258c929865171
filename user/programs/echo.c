// echo: print the arguments separated by spaces, then a newline.
#include "user.h"

// The line is collected here and written in one piece where it fits, so
// that it is not split into one write per word.
static char line[512];
static int len;
static int failed;

static void flush(void) {
  if (len > 0 && write(1, line, len) != len)
    failed = 1;
  len = 0;
}

static void emit(const char *s) {
  for (; *s; s++) {
    if (len == (int)sizeof(line))
      flush();
    line[len++] = *s;
  }
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    emit(argv[i]);
    emit(i + 1 < argc ? " " : "");
  }
  emit("\n");
  flush();
  if (failed) {
    fprintf(2, "echo: write error: %s\n", strerror(errno));
    return 1;
  }
  return 0;
}
