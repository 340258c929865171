// testthreads NTHREADS ITERATIONS: a thread-safe list under contention.
//
// Every node is allocated before any thread starts. Each of NTHREADS threads
// (thread_create) then inserts its own ITERATIONS nodes at the head of one
// shared list, taking the list's lock_t for each insertion. When all are
// joined the list must hold exactly NTHREADS * ITERATIONS nodes, each of them
// once. Prints the verdict; exits 0 if the list is right, 1 if not.
#include "user.h"

struct node {
  struct node *next;
  int key;  // thread * ITERATIONS + i: unique
};

// An insert-only list: one lock guards head.
struct list {
  lock_t lock;
  struct node *head;
};

static void list_init(struct list *l) {
  lock_init(&l->lock);
  l->head = NULL;
}

static void list_insert(struct list *l, struct node *n) {
  lock_acquire(&l->lock);
  n->next = l->head;
  l->head = n;
  lock_release(&l->lock);
}

static struct list list;
static struct node *nodes;
static int iterations;

static void inserter(void *arg) {
  int t = (int)(long)arg;
  struct node *mine = nodes + (long)t * iterations;
  for (int i = 0; i < iterations; i++)
    list_insert(&list, &mine[i]);
}

int main(int argc, char **argv) {
  if (argc != 3 || atoi(argv[1]) <= 0 || atoi(argv[2]) <= 0) {
    fprintf(2, "usage: testthreads NTHREADS ITERATIONS\n");
    exit(1);
  }
  int nthreads = atoi(argv[1]);
  iterations = atoi(argv[2]);
  long total = (long)nthreads * iterations;

  nodes = malloc(total * sizeof(struct node));
  unsigned char *seen = malloc(total);
  if (nodes == NULL || seen == NULL) {
    fprintf(2, "testthreads: out of memory for %ld nodes\n", total);
    exit(1);
  }
  for (long k = 0; k < total; k++) {
    nodes[k].next = NULL;
    nodes[k].key = (int)k;
    seen[k] = 0;
  }
  list_init(&list);

  unsigned long t0 = rdtime();
  int started = 0;
  for (int t = 0; t < nthreads; t++) {
    if (thread_create(inserter, (void *)(long)t) < 0) {
      fprintf(2, "testthreads: thread_create failed for thread %d\n", t);
      break;
    }
    started++;
  }
  int joined = 0;
  while (joined < started && thread_join() > 0)
    joined++;
  unsigned long ms = (rdtime() - t0) / 10000;

  long count = 0, dups = 0, bad = 0;
  for (struct node *n = list.head; n != NULL && count <= total; n = n->next) {
    count++;
    if (n->key < 0 || n->key >= total)
      bad++;
    else if (seen[n->key]++)
      dups++;
  }
  long missing = 0;
  for (long k = 0; k < total; k++)
    if (!seen[k])
      missing++;

  int ok = started == nthreads && joined == started && count == total && dups == 0 &&
           bad == 0 && missing == 0;
  printf("testthreads: %d threads x %d insertions: %ld nodes in the list (expected %ld), "
         "%ld duplicated, %ld missing, %ld bad; %lu ms: %s\n",
         started, iterations, count, total, dups, missing, bad, ms, ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
