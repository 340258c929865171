// rename(old, new): move a name, atomically, within or across directories.
//
// The whole change is one log operation, so after a crash either the old
// name or the new one exists, never both or neither, and a replaced target
// is gone exactly when the new name is there. Everything that can fail is
// checked, and the one step that can run out of space (a new entry that
// makes the new parent grow) is done, before anything is changed: the log
// has no undo.
//
// Cycles. Moving a directory below itself would cut its subtree off from
// the root. The check walks "..": from the new parent up to the root; if it
// passes through the old parent, the directory it came from on the way
// (the "trap") is the old parent's child that contains the new parent, and
// moving exactly that directory is the forbidden move. Only a rename
// changes which directory another directory is in (mkdir and unlink add
// and remove leaves), so with every rename serialised by g_rename_lock the
// answer of the walk stays true until this rename is done, whatever other
// threads on other harts do meanwhile.
//
// Lock order. A rename holds up to four inode locks: both parents, the
// source and the target. Everyone else holds at most a directory and then
// an entry in it (unlink, create), i.e. only ever waits downwards in the
// tree. So a rename locks an ancestor before its descendant too: when one
// parent contains the other (the walk above says which), that one first;
// unrelated parents in inode-number order (no other thread holds two
// unrelated directories, and only one rename runs at a time). The source
// and the target are locked after the parents; neither can be an ancestor
// of a locked parent: a source that contains the new parent is refused
// (EINVAL) and a target that contains the old parent is not empty
// (ENOTEMPTY), both before they are locked.
//
// Log budget (MAXOPBLOCKS = 16): the new parent's entry block, plus, if the
// entry is appended, a new block, its bitmap block and up to two indirect
// blocks, and the new parent's inode block; the old parent's entry block and
// inode block; a moved directory's ".." block; a replaced target's inode
// block and, when that frees it, the bitmap blocks of its data (one for a
// disk of up to 32768 blocks, see FSSIZE) and up to two more of an
// ancestor freed by the walk's last reference. At most 14.
#include <stat.h>
#include <weft/fs.h>
#include <weft/param.h>

#include "fs/fs.h"
#include "fs/internal.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "syscall.h"
#include "syscalls/syscalls.h"

namespace {

constinit SleepLock g_rename_lock{"rename", LockRank::Rename};

bool is_dot_name(const char* name) {
  return strncmp(name, ".", DIRSIZ) == 0 || strncmp(name, "..", DIRSIZ) == 0;
}

// Walks ".." from dir up to the root (g_rename_lock held, no inode locked).
// If the walk reaches anc, returns the directory it came from (referenced):
// the child of anc that dir is in (or is). nullptr if anc is not above dir.
// NotFound if the walk meets a removed directory.
Result<Inode*> child_toward(Inode* anc, Inode* dir) {
  Inode* cur = idup(dir);
  while (cur->inum != ROOTINO) {
    ilock(cur);
    auto up = dirlookup(cur, "..", nullptr);
    iunlock(cur);
    if (!up) {
      iput(cur);
      return up.error();
    }
    if (up.value() == anc) {
      iput(up.value());
      return cur;
    }
    iput(cur);
    cur = up.value();
  }
  iput(cur);
  return static_cast<Inode*>(nullptr);
}

// The inodes one rename refers to. Each is referenced (or null) and
// released by the destructor, locks first, so that every return releases
// exactly what was taken.
struct RenameState {
  Inode* odp = nullptr;  // old parent
  Inode* ndp = nullptr;  // new parent
  Inode* ip = nullptr;   // the source
  Inode* tp = nullptr;   // the target, if the new name exists
  Inode* trap_old = nullptr;  // old parent's child above the new parent
  Inode* trap_new = nullptr;  // new parent's child above the old parent
  Inode* locked[4] = {};
  int nlocked = 0;

  void lock(Inode* x) {
    ilock(x);
    locked[nlocked++] = x;
  }
  ~RenameState() {
    while (nlocked > 0) iunlock(locked[--nlocked]);
    Inode* held[] = {tp, ip, trap_new, trap_old, ndp, odp};
    for (Inode* x : held)
      if (x) iput(x);
  }
};

// Locks both parents, an ancestor before its descendant.
Result<void> lock_parents(RenameState& s) {
  if (s.odp == s.ndp) {
    s.lock(s.odp);
    return {};
  }
  s.trap_old = TRY(child_toward(s.odp, s.ndp));
  if (!s.trap_old) s.trap_new = TRY(child_toward(s.ndp, s.odp));
  bool old_first = s.trap_old ? true : s.trap_new ? false : s.odp->inum < s.ndp->inum;
  s.lock(old_first ? s.odp : s.ndp);
  s.lock(old_first ? s.ndp : s.odp);
  return {};
}

Result<void> do_rename(RenameState& s, const char* oname, const char* nname) {
  if (auto r = lock_parents(s); !r) return r;
  u32 ooff = 0, noff = 0;
  s.ip = TRY(dirlookup(s.odp, oname, &ooff));
  auto t = dirlookup(s.ndp, nname, &noff);
  if (!t && t.error() != Error::NotFound) return t.error();
  s.tp = t.ok() ? t.value() : nullptr;
  if (s.trap_old && s.ip == s.trap_old) return Error::Invalid;  // into itself
  if (s.ip == s.tp) return {};  // two names of one inode, or the same name: nothing
  if (s.ip->dev != s.ndp->dev) return Error::CrossDevice;
  s.lock(s.ip);
  bool is_dir = s.ip->type == T_DIR;
  // A target above the old parent is a directory holding the source: not
  // empty, and not to be locked (see the top of the file).
  if (s.trap_new && s.tp == s.trap_new) return is_dir ? Error::NotEmpty : Error::IsDir;
  if (s.tp) s.lock(s.tp);
  bool moves_dir = is_dir && s.odp != s.ndp;
  if (s.tp) {
    if (is_dir && s.tp->type != T_DIR) return Error::NotDir;
    if (!is_dir && s.tp->type == T_DIR) return Error::IsDir;
    if (s.tp->type == T_DIR && !dir_is_empty(s.tp)) return Error::NotEmpty;
  } else if (moves_dir && s.ndp->nlink >= 0x7fff) {
    return Error::TooManyLinks;  // the new parent's count of subdirectories
  }

  // The only step that can fail comes first.
  if (s.tp)
    dir_set_inum(s.ndp, noff, s.ip->inum);
  else if (auto r = dirlink(s.ndp, nname, s.ip->inum); !r)
    return r;
  dir_set_inum(s.odp, ooff, 0);
  if (moves_dir) {
    dir_set_inum(s.ip, kDotDotOffset, s.ndp->inum);
    s.odp->nlink--;
    s.ndp->nlink++;
  }
  if (s.tp) {
    if (s.tp->type == T_DIR) s.ndp->nlink--;  // its ".." no longer names ndp
    s.tp->nlink--;
    iupdate(s.tp);  // the destructor's iput frees it if nothing holds it
  }
  iupdate(s.odp);
  if (s.ndp != s.odp) iupdate(s.ndp);
  return {};
}

}  // namespace

i64 sys_rename() {
  char old_path[MAXPATH];
  char new_path[MAXPATH];
  char oname[DIRSIZ + 1];
  char nname[DIRSIZ + 1];
  if (auto r = arg_str(0, old_path, MAXPATH); !r) return syserr(r.error());
  if (auto r = arg_str(1, new_path, MAXPATH); !r) return syserr(r.error());
  LogOp op;  // before the rename lock: begin_op may wait for a commit
  RenameState s;
  auto o = nameiparent(old_path, oname);
  if (!o) return syserr(o.error());  // "/" is Busy
  s.odp = o.value();
  auto n = nameiparent(new_path, nname);
  if (!n) return syserr(n.error());
  s.ndp = n.value();
  if (is_dot_name(oname) || is_dot_name(nname)) return syserr(Error::Invalid);
  SleepGuard g(g_rename_lock);
  return sysret(do_rename(s, oname, nname));
}
