// mv: move or rename a file or directory.
//
//   mv OLD NEW    rename OLD to NEW (replacing a file NEW)
//   mv OLD DIR    DIR is an existing directory: OLD moves into it under its
//                 own name (as Unix mv does)
//
// One rename() call does the work, so a move is all or nothing, even if the
// machine stops in the middle of it.
#include "user.h"

// The last element of path ("a/b/" gives "b/": rename ignores trailing
// slashes, so the name still comes out right).
static const char *base_name(const char *path) {
  const char *end = path + strlen(path);
  while (end > path && end[-1] == '/') end--;
  const char *p = end;
  while (p > path && p[-1] != '/') p--;
  return p;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(2, "usage: mv old new\n");
    return 1;
  }
  const char *from = argv[1], *to = argv[2];
  char into[MAXPATH];
  struct stat dst;
  if (stat(to, &dst) == 0 && dst.type == T_DIR) {
    const char *name = base_name(from);
    if (strlen(to) + 1 + strlen(name) + 1 > sizeof(into)) {
      fprintf(2, "mv: %s/%s: path too long\n", to, name);
      return 1;
    }
    strcpy(into, to);
    strcat(into, "/");
    strcat(into, name);
    to = into;
  }
  if (rename(from, to) < 0) {
    fprintf(2, "mv: cannot move %s to %s: %s\n", from, to, strerror(errno));
    return 1;
  }
  return 0;
}
