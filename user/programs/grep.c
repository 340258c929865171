// grep: print the lines that match a regular expression.
//
// The expressions are the small core of the classic ones: a character
// matches itself, '.' matches any character, '*' after either matches any
// number of them, '^' at the start anchors the match to the start of the
// line and '$' at the end to its end. A '\' makes the next character
// literal. Exit status 0 if some line matched, 1 if none did or on error.
#include "user.h"

#define MAXATOMS 128

// One position in the pattern: a character (or any character), possibly
// repeated.
struct atom {
  char c;
  char any;   // '.': matches every character
  char star;  // followed by '*': zero or more
};

struct regex {
  int bol;  // '^': only at the start of the line
  int eol;  // '$': only at the end of the line
  int n;
  struct atom atoms[MAXATOMS];
};

static int compile(const char *pat, struct regex *re) {
  re->bol = re->eol = re->n = 0;
  if (*pat == '^') {
    re->bol = 1;
    pat++;
  }
  while (*pat) {
    if (pat[0] == '$' && pat[1] == '\0') {
      re->eol = 1;
      break;
    }
    if (re->n == MAXATOMS)
      return -1;
    struct atom *a = &re->atoms[re->n++];
    a->any = a->star = 0;
    // A '*' with nothing before it to repeat stands for itself.
    if (pat[0] == '\\' && pat[1] != '\0') {
      a->c = pat[1];
      pat += 2;
    } else {
      a->any = *pat == '.';
      a->c = *pat++;
    }
    if (*pat == '*') {
      a->star = 1;
      pat++;
    }
  }
  return 0;
}

static int fits(const struct atom *a, char c) {
  return a->any || a->c == c;
}

// Does the pattern from atom i on match text starting exactly at text?
static int match_here(const struct regex *re, int i, const char *text) {
  for (; i < re->n; i++) {
    const struct atom *a = &re->atoms[i];
    if (a->star) {
      // Take as many as possible, then give them back one at a time until
      // the rest of the pattern matches what follows.
      const char *t = text;
      while (*t && fits(a, *t))
        t++;
      for (;; t--) {
        if (match_here(re, i + 1, t))
          return 1;
        if (t == text)
          return 0;
      }
    }
    if (*text == '\0' || !fits(a, *text))
      return 0;
    text++;
  }
  return !re->eol || *text == '\0';
}

static int match(const struct regex *re, const char *line) {
  if (re->bol)
    return match_here(re, 0, line);
  // Try every starting point, the empty tail included (for patterns like
  // "x*" or "$" that match the empty string).
  for (const char *t = line;; t++) {
    if (match_here(re, 0, t))
      return 1;
    if (*t == '\0')
      return 0;
  }
}

static char buf[4096];  // a longer line is checked in pieces
static int matched;  // some line has matched

// Checks one line (len bytes at line, room for one more after it).
static void check_line(const struct regex *re, char *line, int len) {
  line[len] = '\0';
  if (match(re, line)) {
    matched = 1;
    line[len] = '\n';
    write(1, line, len + 1);
  }
}

static char *find_newline(char *p, char *end) {
  for (; p < end; p++) {
    if (*p == '\n')
      return p;
  }
  return NULL;
}

static int grep(const struct regex *re, int fd, const char *name) {
  int have = 0;  // bytes in buf not yet part of a finished line
  int n;
  // Keep one byte free for the NUL or newline check_line puts after a line.
  while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
    have += n;
    char *start = buf;
    char *nl;
    while ((nl = find_newline(start, buf + have)) != NULL) {
      check_line(re, start, nl - start);
      start = nl + 1;
    }
    have -= start - buf;
    memmove(buf, start, have);
    // A line longer than the buffer is checked in pieces.
    if (have == sizeof(buf) - 1) {
      check_line(re, buf, have);
      have = 0;
    }
  }
  if (n < 0) {
    fprintf(2, "grep: %s: %s\n", name, strerror(errno));
    return -1;
  }
  if (have > 0)
    check_line(re, buf, have);  // the last line had no newline
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(2, "usage: grep pattern [file...]\n");
    return 1;
  }
  static struct regex re;
  if (compile(argv[1], &re) < 0) {
    fprintf(2, "grep: pattern too long\n");
    return 1;
  }
  if (argc == 2)
    return grep(&re, 0, "stdin") < 0 || !matched;
  int error = 0;
  for (int i = 2; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "grep: %s: %s\n", argv[i], strerror(errno));
      error = 1;
      continue;
    }
    if (grep(&re, fd, argv[i]) < 0)
      error = 1;
    close(fd);
  }
  return error || !matched;
}
