// t_exec: exec passes argv exactly (up to MAXARG arguments), keeps the pid
// and the open files, and replaces the memory image. Every bad exec returns
// -1 and leaves the caller running unharmed: a missing file, a directory, a
// file that is not ELF, truncated or corrupted ELF files, segments outside
// user memory, too many or too large arguments, bad pointers for the path,
// for argv and for the strings in it.
//
// The test execs itself as the helper: "t_exec MODE ...".
#include "test.h"

#define SELF "/t_exec"

// Minimal ELF-64 declarations (only what the test patches).
struct elf_header {
  unsigned char ident[16];
  unsigned short type, machine;
  unsigned int version;
  unsigned long entry, phoff, shoff;
  unsigned int flags;
  unsigned short ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf_phdr {
  unsigned int type, flags;
  unsigned long offset, vaddr, paddr, filesz, memsz, align;
};
#define PT_LOAD 1

// The value of argument i in the argument tests.
static void arg_text(int i, char *buf) { test_format(buf, 16, "arg%d_%d", i, i * 7); }

// ---------------------------------------------------------------------------
// Helper modes, run in the exec'd image. Exit 0 means "as expected".

static int helper(int argc, char **argv) {
  const char *mode = argv[1];
  if (strcmp(mode, "args") == 0) {
    // t_exec args N arg3 ... : argc == N, argv[i] == arg_text(i) for i >= 3.
    int want = atoi(argv[2]);
    if (argc != want || argv[argc] != 0)
      return 10;
    for (int i = 3; i < argc; i++) {
      char buf[16];
      arg_text(i, buf);
      if (strcmp(argv[i], buf) != 0)
        return 11;
    }
    return 0;
  }
  if (strcmp(mode, "empty") == 0) {
    // Empty strings are arguments like any other.
    return argc == 4 && argv[2][0] == 0 && strcmp(argv[3], "x") == 0 ? 0 : 12;
  }
  if (strcmp(mode, "long") == 0) {
    // t_exec long N STRING: STRING is N bytes of 'a' + i % 26.
    int n = atoi(argv[2]);
    if (argc != 4 || (int)strlen(argv[3]) != n)
      return 13;
    for (int i = 0; i < n; i++)
      if (argv[3][i] != 'a' + i % 26)
        return 14;
    return 0;
  }
  if (strcmp(mode, "pid") == 0)
    return getpid() == atoi(argv[2]) ? 0 : 15;
  if (strcmp(mode, "fd") == 0) {
    // The descriptor argv[2] is still open and reads "kept".
    char buf[8] = {0};
    int r = read(atoi(argv[2]), buf, sizeof(buf));
    return r == 4 && memcmp(buf, "kept", 4) == 0 ? 0 : 16;
  }
  if (strcmp(mode, "fresh") == 0) {
    // The image is new: the parent's big heap is gone, globals are fresh.
    char *brk = sbrk(0);
    return brk < (char *)(1 << 20) ? 0 : 17;
  }
  if (strcmp(mode, "mustfail") == 0) {
    printf("# t_exec: an exec that should have failed ran the program\n");
    return 18;
  }
  return 19;
}

// ---------------------------------------------------------------------------

// Runs exec(SELF, argv) in a child; returns the child's exit status, or 1000
// if exec itself returned (with -1).
static int exec_status(char **argv) {
  int pid = fork();
  if (pid == 0) {
    exec(SELF, argv);
    exit(1000);
  }
  int status = -1;
  if (wait(&status) != pid)
    return -2000;
  return status;
}

static void test_args(void) {
  char *argv[MAXARG + 2];
  static char bufs[MAXARG + 2][16];
  char count[16];
  // MAXARG arguments in all (argv[0] included) is the most exec accepts.
  int counts[] = {3, 4, 10, MAXARG};
  for (unsigned c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
    int n = counts[c];
    argv[0] = "t_exec";
    argv[1] = "args";
    argv[2] = test_itoa(n, count);
    for (int i = 3; i < n; i++) {
      arg_text(i, bufs[i]);
      argv[i] = bufs[i];
    }
    argv[n] = 0;
    EXPECT_EQ(exec_status(argv), 0, "exec with %d arguments passes them all", n);
  }
  char *empty[] = {"t_exec", "empty", "", "x", 0};
  EXPECT_EQ(exec_status(empty), 0, "an empty string is an argument");

  // One argument of 3000 bytes fits on the stack.
  static char big[3001];
  for (int i = 0; i < 3000; i++)
    big[i] = 'a' + i % 26;
  char *longv[] = {"t_exec", "long", "3000", big, 0};
  EXPECT_EQ(exec_status(longv), 0, "a 3000-byte argument arrives intact");
}

static void test_keeps_pid_and_files(void) {
  int p[2];
  ASSERT_EQ(pipe(p), 0, "pipe");
  write(p[1], "kept", 4);
  int pid = fork();
  if (pid == 0) {
    char fdbuf[16];
    char *argv[] = {"t_exec", "fd", test_itoa(p[0], fdbuf), 0};
    exec(SELF, argv);
    exit(1000);
  }
  int status = -1;
  wait(&status);
  EXPECT_EQ(status, 0, "open descriptors survive exec");
  close(p[0]);
  close(p[1]);

  pid = fork();
  if (pid == 0) {
    char pidbuf[16];
    char *argv[] = {"t_exec", "pid", test_itoa(getpid(), pidbuf), 0};
    exec(SELF, argv);
    exit(1000);
  }
  wait(&status);
  EXPECT_EQ(status, 0, "exec keeps the pid");

  pid = fork();
  if (pid == 0) {
    // Grow to 4 MiB first: none of it may survive into the new image.
    if (sbrk(4 << 20) == (char *)-1)
      exit(1001);
    char *argv[] = {"t_exec", "fresh", 0};
    exec(SELF, argv);
    exit(1000);
  }
  wait(&status);
  EXPECT_EQ(status, 0, "exec replaces a grown image with a fresh one");
}

// ---------------------------------------------------------------------------
// Bad executables.

static char *self_image;
static int self_size;

static int write_file(const char *name, const void *data, int n) {
  int fd = open(name, O_CREATE | O_WRONLY | O_TRUNC);
  if (fd < 0)
    return -1;
  int w = write(fd, data, n);
  close(fd);
  return w == n ? 0 : -1;
}

static char *mustfail_argv[] = {"t_exec", "mustfail", 0};

// exec of `name` must fail in this very process, which must go on intact.
static int canary = 12345;
static void expect_exec_fails(const char *name, const char *what) {
  int fd = open("README.md", O_RDONLY);
  int free0 = freepages();
  int r = exec(name, mustfail_argv);
  int lost = free0 - test_settled_freepages(free0, 1);
  char c = 0;
  int readable = fd >= 0 && read(fd, &c, 1) == 1;
  EXPECT_TRUE(r == -1 && canary == 12345 && readable,
              "exec of %s fails and the caller goes on", what);
  EXPECT_EQ(lost, 0, "the failed exec of %s gave back all its pages", what);
  if (fd >= 0)
    close(fd);
}

static void load_self(void) {
  int fd = open(SELF, O_RDONLY);
  ASSERT_GE(fd, 0, "open " SELF);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0, "fstat " SELF);
  self_size = (int)st.size;
  self_image = malloc(self_size);
  ASSERT_TRUE(self_image != 0, "malloc %d bytes", self_size);
  ASSERT_EQ(read(fd, self_image, self_size), self_size, "read " SELF);
  close(fd);
}

// Writes a patched copy of our own image as "t_exec.bad" and expects exec
// of it to fail.
static void expect_patched_fails(void (*patch)(char *img), const char *what) {
  static char *copy;
  if (!copy)
    copy = malloc(self_size);
  memmove(copy, self_image, self_size);
  patch(copy);
  if (write_file("t_exec.bad", copy, self_size) < 0) {
    EXPECT_TRUE(0, "write t_exec.bad");
    return;
  }
  expect_exec_fails("t_exec.bad", what);
}

static struct elf_phdr *first_load(char *img) {
  struct elf_header *eh = (struct elf_header *)img;
  for (int i = 0; i < eh->phnum; i++) {
    struct elf_phdr *ph =
        (struct elf_phdr *)(img + eh->phoff + i * sizeof(struct elf_phdr));
    if (ph->type == PT_LOAD)
      return ph;
  }
  return (struct elf_phdr *)(img + eh->phoff);
}

static void bad_magic(char *img) { img[1] = 'X'; }
static void bad_class(char *img) { img[4] = 1; }  // ELFCLASS32
static void bad_machine(char *img) { ((struct elf_header *)img)->machine = 62; }
static void bad_phoff(char *img) { ((struct elf_header *)img)->phoff = 0x7fffff00; }
static void kernel_vaddr(char *img) { first_load(img)->vaddr = 0x80000000ul; }
static void high_vaddr(char *img) { first_load(img)->vaddr = 0xffffffc000000000ul; }
static void crosses_top(char *img) {
  struct elf_phdr *ph = first_load(img);
  ph->vaddr = 0x80000000ul - PGSIZE;
  ph->memsz = 2 * PGSIZE;
  if (ph->filesz > ph->memsz)
    ph->filesz = ph->memsz;
}
static void wraps(char *img) {
  struct elf_phdr *ph = first_load(img);
  ph->vaddr = 0xfffffffffffff000ul;
  ph->memsz = 0x2000;
}
static void memsz_small(char *img) {
  struct elf_phdr *ph = first_load(img);
  ph->filesz = ph->memsz + PGSIZE;
}
static void filesz_past_end(char *img) {
  struct elf_phdr *ph = first_load(img);
  ph->filesz = ph->memsz = 64 << 20;  // more than the file holds
}
static void memsz_huge(char *img) {
  // Below USER_TOP but more memory than the machine has.
  first_load(img)->memsz = 0x7f000000ul - first_load(img)->vaddr;
}

static void test_bad_files(void) {
  char *argv[] = {"t_exec", "mustfail", 0};
  EXPECT_EQ(exec("/no-such-program", argv), -1, "exec of a missing file fails");
  EXPECT_EQ(exec("/", argv), -1, "exec of a directory fails");
  EXPECT_EQ(exec("console", argv), -1, "exec of a device fails");

  ASSERT_EQ(write_file("t_exec.txt", "#!/bin/sh\necho not elf\n", 23), 0,
            "write a text file");
  expect_exec_fails("t_exec.txt", "a text file");
  ASSERT_EQ(write_file("t_exec.txt", "", 0), 0, "write an empty file");
  expect_exec_fails("t_exec.txt", "an empty file");
  unlink("t_exec.txt");

  load_self();
  // Cut points inside what exec must read: the header, the program
  // headers, the first loadable segment and the end of the last one. (The
  // file goes on with debug information that exec does not read.)
  struct elf_header *eh = (struct elf_header *)self_image;
  int phend = (int)(eh->phoff + eh->phnum * sizeof(struct elf_phdr));
  struct elf_phdr *text = first_load(self_image);
  int load_end = 0;
  for (int i = 0; i < eh->phnum; i++) {
    struct elf_phdr *ph = (struct elf_phdr *)(self_image + eh->phoff +
                                              i * sizeof(struct elf_phdr));
    if (ph->type == PT_LOAD && ph->filesz > 0 &&
        (int)(ph->offset + ph->filesz) > load_end)
      load_end = (int)(ph->offset + ph->filesz);
  }
  int cuts[] = {3, 40, 63, 64, phend - 1, (int)(text->offset + text->filesz / 2),
                load_end - 1};
  const char *why[] = {"in the magic", "in the header", "1 byte short of the header",
                       "after the header", "in the program headers",
                       "in the middle of the text", "1 byte short of the data"};
  for (unsigned i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
    if (write_file("t_exec.bad", self_image, cuts[i]) < 0) {
      EXPECT_TRUE(0, "write a truncated copy");
      continue;
    }
    char what[64];
    test_format(what, sizeof(what), "a copy cut %s (%d bytes)", why[i], cuts[i]);
    expect_exec_fails("t_exec.bad", what);
  }

  expect_patched_fails(bad_magic, "an image with a bad magic number");
  expect_patched_fails(bad_class, "a 32-bit ELF");
  expect_patched_fails(bad_machine, "an x86-64 ELF");
  expect_patched_fails(bad_phoff, "program headers past the end of the file");
  expect_patched_fails(kernel_vaddr, "a segment at 0x80000000");
  expect_patched_fails(high_vaddr, "a segment at 0xffffffc000000000");
  expect_patched_fails(crosses_top, "a segment across the user limit");
  expect_patched_fails(wraps, "a segment that wraps around");
  expect_patched_fails(memsz_small, "memsz < filesz");
  expect_patched_fails(filesz_past_end, "a segment past the end of the file");
  expect_patched_fails(memsz_huge, "a 2 GiB segment");
  unlink("t_exec.bad");

  // An untouched copy runs: the patches above are what made them fail.
  if (write_file("t_exec.good", self_image, self_size) == 0) {
    int pid = fork();
    if (pid == 0) {
      char *v[] = {"t_exec", "args", "3", 0};
      exec("t_exec.good", v);
      exit(1000);
    }
    int status = -1;
    wait(&status);
    EXPECT_EQ(status, 0, "an unchanged copy of the image does run");
  }
  unlink("t_exec.good");
}

// ---------------------------------------------------------------------------
// Bad arguments.

static void test_bad_args(void) {
  static char *argv[MAXARG + 3];
  static char bufs[MAXARG + 3][16];
  argv[0] = "t_exec";
  argv[1] = "mustfail";
  for (int i = 2; i < MAXARG + 1; i++) {
    arg_text(i, bufs[i]);
    argv[i] = bufs[i];
  }
  argv[MAXARG + 1] = 0;
  EXPECT_EQ(exec(SELF, argv), -1, "exec with MAXARG+1 arguments fails");
  argv[MAXARG + 1] = bufs[2];
  argv[MAXARG + 2] = 0;
  EXPECT_EQ(exec(SELF, argv), -1, "exec with MAXARG+2 arguments fails");

  // Arguments that cannot all fit on the new stack.
  static char chunk[4001];
  memset(chunk, 'z', 4000);
  for (int i = 2; i < MAXARG; i++)
    argv[i] = chunk;
  argv[MAXARG] = 0;
  EXPECT_EQ(exec(SELF, argv), -1,
            "exec with %d arguments of 4000 bytes (more than the stack) fails",
            MAXARG - 2);

  char *mf[] = {"t_exec", "mustfail", 0};
  static const unsigned long bad[] = {0, 0x80000000ul, 0xffffffc000000000ul,
                                      0xfffffffffffff000ul, 0x40000000ul};
  for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    EXPECT_EQ(exec((char *)bad[i], mf), -1, "exec with path %p fails",
              (void *)bad[i]);
    if (bad[i] != 0)
      EXPECT_EQ(exec(SELF, (char **)bad[i]), -1, "exec with argv %p fails",
                (void *)bad[i]);
    char *v[] = {"t_exec", "mustfail", (char *)bad[i], (char *)bad[i], 0};
    if (bad[i] != 0)
      EXPECT_EQ(exec(SELF, v), -1, "exec with an argument at %p fails",
                (void *)bad[i]);
  }
  EXPECT_EQ(exec(SELF, 0), -1, "exec with argv NULL fails");

  // An argv array at the very end of the heap, with no NULL before the end.
  char *brk = sbrk(0);
  char *end = sbrk(PGSIZE - ((unsigned long)brk % PGSIZE) + PGSIZE);
  ASSERT_NE(end, (char *)-1, "sbrk");
  end = sbrk(0);
  char **tail = (char **)(end - 2 * sizeof(char *));
  tail[0] = "t_exec";
  tail[1] = "mustfail";
  EXPECT_EQ(exec(SELF, tail), -1, "exec with argv running off the heap fails");
  // A path string that runs off the end of the heap.
  memset(end - 16, 'a', 16);
  EXPECT_EQ(exec(end - 16, mf), -1, "exec with a path running off the heap fails");
  // An argument string that runs off the end of the heap.
  char *v[] = {"t_exec", "mustfail", end - 16, 0};
  EXPECT_EQ(exec(SELF, v), -1, "exec with an argument running off the heap fails");
  // A path longer than MAXPATH.
  static char longpath[MAXPATH + 20];
  memset(longpath, 'p', sizeof(longpath) - 1);
  longpath[0] = '/';
  EXPECT_EQ(exec(longpath, mf), -1, "exec with a path longer than MAXPATH fails");
}

int main(int argc, char **argv) {
  if (argc >= 2)
    return helper(argc, argv);
  test_args();
  test_keeps_pid_and_files();
  test_bad_files();
  test_bad_args();
  EXPECT_EQ(canary, 12345, "the caller's data survived every failed exec");
  test_done();
}
