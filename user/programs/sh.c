// sh: the command interpreter.
//
// A line is read, parsed into a small tree of commands, and the tree is run.
// The grammar, from the loosest binding to the tightest:
//
//   list     := pipeline { (';' | '&') pipeline } [';' | '&']
//   pipeline := command { '|' command }
//   command  := '(' list ')' { redir }  |  { word | redir }+
//   redir    := '<' word  |  '>' word  |  '>>' word
//
// Words are separated by blanks and by the operator characters | < > ; & ( ).
// Text in single or double quotes belongs to the word as it stands (no
// escapes inside), and '#' at the start of a word begins a comment.
//
// Every command yields an exit status: a program its exit value, a pipeline
// that of its last stage, a list that of its last element, a command put in
// the background with '&' 0, and a command that cannot be run 1.
#include "user.h"

#define MAXLINE 1024  // longest input line, newline included
#define MAXNODES 64   // commands, pipelines and lists in one line
#define MAXREDIR 4    // redirections on one command

// Status of the last command the shell finished; poweroff and exit use it
// when given no argument.
static int last_status;

// ---------------------------------------------------------------------------
// Lexer: turns the line into tokens, one token of lookahead.

enum tok {
  T_WORD, T_PIPE, T_LT, T_GT, T_APPEND, T_SEMI, T_AMP, T_LPAREN, T_RPAREN,
  T_END,       // end of line or start of a comment
  T_BADQUOTE,  // a quote that is never closed
};

struct lexer {
  const char *p;  // next unread character of the line
  char *arena;    // where the text of the next word goes
  enum tok tok;   // the current token
  char *word;     // its text when tok == T_WORD
};

// Word text is copied out of the line because quotes are removed from it.
// Each word takes at most its length in the line plus a NUL, so twice the
// line is always enough.
static char word_arena[2 * MAXLINE];

static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v';
}

static int is_operator(char c) {
  return c != '\0' && strchr("|<>;&()", c) != NULL;
}

static void advance(struct lexer *lx) {
  while (is_blank(*lx->p))
    lx->p++;
  char c = *lx->p;
  if (c == '\0' || c == '#') {
    lx->tok = T_END;  // stays at T_END however often it is advanced
    return;
  }
  if (is_operator(c)) {
    lx->p++;
    switch (c) {
    case '|': lx->tok = T_PIPE; break;
    case '<': lx->tok = T_LT; break;
    case ';': lx->tok = T_SEMI; break;
    case '&': lx->tok = T_AMP; break;
    case '(': lx->tok = T_LPAREN; break;
    case ')': lx->tok = T_RPAREN; break;
    default:  // '>'
      lx->tok = T_GT;
      if (*lx->p == '>') {
        lx->p++;
        lx->tok = T_APPEND;
      }
    }
    return;
  }
  lx->word = lx->arena;
  while (*lx->p != '\0' && !is_blank(*lx->p) && !is_operator(*lx->p)) {
    char q = *lx->p++;
    if (q != '\'' && q != '"') {
      *lx->arena++ = q;
      continue;
    }
    while (*lx->p != '\0' && *lx->p != q)
      *lx->arena++ = *lx->p++;
    if (*lx->p == '\0') {
      lx->tok = T_BADQUOTE;
      return;
    }
    lx->p++;  // the closing quote
  }
  *lx->arena++ = '\0';
  lx->tok = T_WORD;
}

static const char *tok_text(const struct lexer *lx) {
  switch (lx->tok) {
  case T_WORD: return lx->word;
  case T_PIPE: return "|";
  case T_LT: return "<";
  case T_GT: return ">";
  case T_APPEND: return ">>";
  case T_SEMI: return ";";
  case T_AMP: return "&";
  case T_LPAREN: return "(";
  case T_RPAREN: return ")";
  case T_BADQUOTE: return "unterminated quote";
  default: return "end of line";
  }
}

// ---------------------------------------------------------------------------
// The command tree. Nodes come from a fixed pool that is reset for every
// line, so nothing has to be freed and a parse error leaks nothing.

enum kind { N_EXEC, N_SUBSHELL, N_PIPELINE, N_LIST };

struct redir {
  enum tok kind;  // T_LT, T_GT or T_APPEND
  char *file;
};

struct node {
  enum kind kind;
  struct node *next;  // next stage of the pipeline or element of the list
                      // that holds this node; a node is in at most one
  int background;     // as a list element: it was followed by '&'
  struct node *child;  // N_SUBSHELL: the list inside the parentheses;
                       // N_PIPELINE: first stage; N_LIST: first element
  int argc;                  // N_EXEC
  char *argv[MAXARG + 1];    // N_EXEC, NULL-terminated
  int nredir;                // N_EXEC and N_SUBSHELL
  struct redir redir[MAXREDIR];
};

struct parser {
  struct lexer lx;
  int error;  // set once a message has been printed; the line is dropped
  int used;   // nodes taken from the pool
  struct node pool[MAXNODES];
};

static struct parser parser;

static void parse_error(struct parser *ps, const char *msg) {
  if (!ps->error)
    fprintf(2, "sh: %s\n", msg);
  ps->error = 1;
}

static void syntax_error(struct parser *ps) {
  if (!ps->error)
    fprintf(2, "sh: syntax error near '%s'\n", tok_text(&ps->lx));
  ps->error = 1;
}

static struct node *new_node(struct parser *ps, enum kind kind) {
  if (ps->used == MAXNODES) {
    parse_error(ps, "command line too complex");
    return NULL;
  }
  struct node *n = &ps->pool[ps->used++];
  memset(n, 0, sizeof(*n));
  n->kind = kind;
  return n;
}

static int at_redir(const struct parser *ps) {
  return ps->lx.tok == T_LT || ps->lx.tok == T_GT || ps->lx.tok == T_APPEND;
}

// Parses one redirection at the current token into n. Returns 0 on error.
static int parse_redir(struct parser *ps, struct node *n) {
  enum tok kind = ps->lx.tok;
  advance(&ps->lx);
  if (ps->lx.tok != T_WORD) {
    syntax_error(ps);
    return 0;
  }
  if (n->nredir == MAXREDIR) {
    parse_error(ps, "too many redirections");
    return 0;
  }
  n->redir[n->nredir].kind = kind;
  n->redir[n->nredir].file = ps->lx.word;
  n->nredir++;
  advance(&ps->lx);
  return 1;
}

static struct node *parse_list(struct parser *ps);

static struct node *parse_command(struct parser *ps) {
  if (ps->lx.tok == T_LPAREN) {
    advance(&ps->lx);
    struct node *n = new_node(ps, N_SUBSHELL);
    if (n == NULL)
      return NULL;
    n->child = parse_list(ps);
    if (ps->error)
      return NULL;
    if (n->child == NULL || ps->lx.tok != T_RPAREN) {
      syntax_error(ps);
      return NULL;
    }
    advance(&ps->lx);
    while (at_redir(ps)) {
      if (!parse_redir(ps, n))
        return NULL;
    }
    return n;
  }

  struct node *n = new_node(ps, N_EXEC);
  if (n == NULL)
    return NULL;
  for (;;) {
    if (ps->lx.tok == T_WORD) {
      if (n->argc == MAXARG) {
        parse_error(ps, "too many arguments");
        return NULL;
      }
      n->argv[n->argc++] = ps->lx.word;
      advance(&ps->lx);
    } else if (at_redir(ps)) {
      if (!parse_redir(ps, n))
        return NULL;
    } else {
      break;
    }
  }
  if (n->argc == 0 && n->nredir == 0) {
    syntax_error(ps);
    return NULL;
  }
  return n;
}

// A pipeline of one stage is returned as that stage alone.
static struct node *parse_pipeline(struct parser *ps) {
  struct node *first = parse_command(ps);
  if (first == NULL || ps->lx.tok != T_PIPE)
    return first;
  struct node *p = new_node(ps, N_PIPELINE);
  if (p == NULL)
    return NULL;
  p->child = first;
  for (struct node *last = first; ps->lx.tok == T_PIPE; last = last->next) {
    advance(&ps->lx);
    last->next = parse_command(ps);
    if (last->next == NULL)
      return NULL;
  }
  return p;
}

// Parses elements up to the end of the line or a ')'. Returns NULL for an
// empty list, which is not an error in itself (a blank line); ps->error
// tells the two apart. A list of one foreground element is that element.
static struct node *parse_list(struct parser *ps) {
  struct node *head = NULL;
  struct node *tail = NULL;
  while (ps->lx.tok != T_END && ps->lx.tok != T_RPAREN) {
    struct node *e = parse_pipeline(ps);
    if (e == NULL)
      return NULL;
    if (ps->lx.tok == T_SEMI || ps->lx.tok == T_AMP) {
      e->background = ps->lx.tok == T_AMP;
      advance(&ps->lx);
    } else if (ps->lx.tok != T_END && ps->lx.tok != T_RPAREN) {
      syntax_error(ps);
      return NULL;
    }
    if (tail == NULL)
      head = e;
    else
      tail->next = e;
    tail = e;
  }
  if (head == NULL || (head == tail && !head->background))
    return head;
  struct node *l = new_node(ps, N_LIST);
  if (l != NULL)
    l->child = head;
  return l;
}

// Returns the tree for line, or NULL for an empty or malformed line.
static struct node *parse_line(const char *line) {
  struct parser *ps = &parser;
  ps->lx.p = line;
  ps->lx.arena = word_arena;
  ps->error = 0;
  ps->used = 0;
  advance(&ps->lx);
  struct node *n = parse_list(ps);
  if (!ps->error && ps->lx.tok != T_END)
    syntax_error(ps);  // a ')' without its '('
  return ps->error ? NULL : n;
}

// ---------------------------------------------------------------------------
// Running the tree.

static int run(struct node *n);

// Makes fd known as target instead. Relies on dup returning the lowest free
// descriptor, which is target once it is closed, since 0..2 are always open.
static int move_fd(int fd, int target) {
  if (fd == target)
    return 0;
  close(target);
  int r = dup(fd);
  close(fd);
  return r == target ? 0 : -1;
}

// There is no lseek, so '>>' opens the file for reading and writing and
// reads to its end: reads and writes share one offset, so writing then
// continues where the file ended.
static void skip_to_end(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0 || st.type != T_FILE)
    return;  // a device or pipe has no end to find
  char buf[512];
  while (read(fd, buf, sizeof(buf)) > 0)
    ;
}

static int apply_redirs(struct node *n) {
  for (int i = 0; i < n->nredir; i++) {
    struct redir *r = &n->redir[i];
    int fd;
    if (r->kind == T_LT)
      fd = open(r->file, O_RDONLY);
    else if (r->kind == T_GT)
      fd = open(r->file, O_WRONLY | O_CREATE | O_TRUNC);
    else
      fd = open(r->file, O_RDWR | O_CREATE);
    if (fd < 0) {
      fprintf(2, "sh: %s: %s\n", r->file, strerror(errno));
      return -1;
    }
    if (r->kind == T_APPEND)
      skip_to_end(fd);
    if (move_fd(fd, r->kind == T_LT ? 0 : 1) < 0) {
      fprintf(2, "sh: cannot redirect to %s\n", r->file);
      return -1;
    }
  }
  return 0;
}

// Runs n if it is a builtin: returns 1 and stores its exit status, or
// returns 0 if n names a program. Builtins run in whichever process runs
// the command, so `cd` changes the shell's directory only when it is not
// part of a pipeline, a subshell or a background job.
static int run_builtin(struct node *n, int *status) {
  if (n->argc == 0)
    return 0;
  char *name = n->argv[0];
  if (strcmp(name, "cd") == 0) {
    const char *dir = n->argc > 1 ? n->argv[1] : "/";
    *status = 0;
    if (n->argc > 2) {
      fprintf(2, "sh: cd: too many arguments\n");
      *status = 1;
    } else if (chdir(dir) < 0) {
      fprintf(2, "sh: cd: %s: %s\n", dir, strerror(errno));
      *status = 1;
    }
    return 1;
  }
  if (strcmp(name, "poweroff") == 0) {
    halt(n->argc > 1 ? atoi(n->argv[1]) : last_status);
    fprintf(2, "sh: poweroff: %s\n", strerror(errno));
    *status = 1;
    return 1;
  }
  if (strcmp(name, "exit") == 0)
    exit(n->argc > 1 ? atoi(n->argv[1]) : last_status);
  return 0;
}

// Replaces this process with the program argv names. A bare name that is
// not found in the current directory is looked up in "/", where all the
// programs live, so that commands still work after a cd.
static void exec_program(char **argv) __attribute__((noreturn));
static void exec_program(char **argv) {
  exec(argv[0], argv);
  int err = errno;
  if (err == ENOENT && strchr(argv[0], '/') == NULL && strlen(argv[0]) + 2 <= MAXPATH) {
    char path[MAXPATH];
    path[0] = '/';
    strcpy(path + 1, argv[0]);
    exec(path, argv);
    err = errno;
  }
  if (err == ENOENT)
    fprintf(2, "sh: %s: command not found\n", argv[0]);
  else
    fprintf(2, "sh: %s: %s\n", argv[0], strerror(err));
  exit(1);
}

// Runs n in a process of its own (a child the shell forked) and exits with
// its status.
static void run_in_child(struct node *n) __attribute__((noreturn));
static void run_in_child(struct node *n) {
  int status;
  switch (n->kind) {
  case N_EXEC:
    if (apply_redirs(n) < 0)
      exit(1);
    if (n->argc == 0)
      exit(0);  // only redirections, as in "> file": they are done
    if (run_builtin(n, &status))
      exit(status);
    exec_program(n->argv);
  case N_SUBSHELL:
    if (apply_redirs(n) < 0)
      exit(1);
    exit(run(n->child));
  default:
    exit(run(n));
  }
}

// Forks a child that runs n with stdin from in and stdout to out (when they
// are not -1). The child closes spare, the read end of the pipe it writes
// to: if it kept it, the pipe would still have a reader after the next stage
// exits, and a write to a full pipe would block forever instead of failing.
static int spawn(struct node *n, int in, int out, int spare) {
  int pid = fork();
  if (pid < 0) {
    fprintf(2, "sh: fork: %s\n", strerror(errno));
    return -1;
  }
  if (pid == 0) {
    if (spare >= 0)
      close(spare);
    if ((in >= 0 && move_fd(in, 0) < 0) || (out >= 0 && move_fd(out, 1) < 0)) {
      fprintf(2, "sh: cannot set up pipe\n");
      exit(1);
    }
    run_in_child(n);
  }
  return pid;
}

// Waits until every child in pids (those > 0) has exited and returns the
// status of the last one, or 1 if that one never started. wait reports any
// child, including finished background jobs; those are simply reaped here.
static int wait_for(int *pids, int n) {
  int status = 1;
  int left = 0;
  for (int i = 0; i < n; i++)
    left += pids[i] > 0;
  while (left > 0) {
    int st;
    int pid = wait(&st);
    if (pid < 0)
      break;  // no children at all: nothing more will come
    for (int i = 0; i < n; i++) {
      if (pids[i] == pid) {
        pids[i] = 0;
        left--;
        if (i == n - 1)
          status = st;
      }
    }
  }
  return status;
}

// Starts every stage at once, each reading the pipe the previous stage
// writes, then waits for all of them.
static int run_pipeline(struct node *p) {
  int pids[MAXNODES];
  int count = 0;
  int in = -1;  // read end of the pipe from the previous stage
  for (struct node *s = p->child; s != NULL; s = s->next) {
    int fds[2] = {-1, -1};
    if (s->next != NULL && pipe(fds) < 0) {
      fprintf(2, "sh: pipe: %s\n", strerror(errno));
      pids[count++] = -1;  // the pipeline's status becomes 1
      break;
    }
    pids[count++] = spawn(s, in, fds[1], fds[0]);
    if (in >= 0)
      close(in);
    if (fds[1] >= 0)
      close(fds[1]);
    in = fds[0];
  }
  if (in >= 0)
    close(in);
  return wait_for(pids, count);
}

// Runs n from the shell's own process and returns its status.
static int run(struct node *n) {
  int status;
  int pid;
  switch (n->kind) {
  case N_EXEC:
    // Builtins run here so that cd changes this shell's directory. Their
    // redirections are ignored; none of them reads or writes much.
    if (run_builtin(n, &status))
      return status;
    pid = spawn(n, -1, -1, -1);
    return wait_for(&pid, 1);
  case N_SUBSHELL:
    pid = spawn(n, -1, -1, -1);
    return wait_for(&pid, 1);
  case N_PIPELINE:
    return run_pipeline(n);
  case N_LIST:
    status = 0;
    for (struct node *e = n->child; e != NULL; e = e->next) {
      if (e->background)
        status = spawn(e, -1, -1, -1) < 0 ? 1 : 0;
      else
        status = run(e);
      last_status = status;
    }
    return status;
  }
  return 1;
}

// ---------------------------------------------------------------------------
// Input.

// Reads one line from fd into buf. Returns -1 at end of input. A line too
// long for buf is dropped whole, with a message, and reads as empty.
static int read_line(int fd, char *buf, int max) {
  int len = 0;
  char c = 0;
  while (len + 1 < max && read(fd, &c, 1) == 1) {
    buf[len++] = c;
    if (c == '\n' || c == '\r')
      break;
  }
  buf[len] = '\0';
  if (len == 0)
    return -1;
  if (len + 1 == max && c != '\n' && c != '\r') {
    while (read(fd, &c, 1) == 1 && c != '\n' && c != '\r')
      ;
    fprintf(2, "sh: line too long\n");
    buf[0] = '\0';
  }
  return 0;
}

int main(int argc, char **argv) {
  // `sh file` runs the commands in file; otherwise they come from stdin.
  int in = 0;
  if (argc > 1) {
    in = open(argv[1], O_RDONLY);
    if (in < 0) {
      fprintf(2, "sh: cannot open %s\n", argv[1]);
      exit(1);
    }
  }
  // Prompt only when a person is typing, not when reading a file or pipe.
  struct stat st;
  int interactive = in == 0 && fstat(0, &st) == 0 && st.type == T_DEVICE;

  static char line[MAXLINE];
  for (;;) {
    if (interactive)
      fprintf(2, "$ ");
    if (read_line(in, line, sizeof(line)) < 0)
      break;
    struct node *tree = parse_line(line);
    if (parser.error)
      last_status = 1;
    else if (tree != NULL)
      last_status = run(tree);
  }
  exit(last_status);
}
