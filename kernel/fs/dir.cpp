// Directories and path names.
//
// A directory is an inode of type T_DIR whose contents are an array of
// dirents; an entry with inum 0 is free. Every directory holds "." (itself)
// and ".." (its parent; the root's parent is the root).
//
// Names are at most DIRSIZ bytes. A longer path element is an error
// (Invalid), both when looking up and when creating: silently truncating it
// would make "a-very-long-name-1" and "a-very-long-name-2" the same file.
//
// Path walks hold at most one inode lock at a time: the directory is
// unlocked before the entry found in it is locked. That is what keeps ".."
// (a child locking its parent) from deadlocking with a walk going down.
//
// A directory may be removed while it is a cwd or a walk holds it (POSIX
// allows that); from then on every lookup in it fails. A ".." found before
// the removal comes with a reference on the parent, so the parent cannot be
// freed under the walk either.
#include <stat.h>
#include <weft/fs.h>

#include "fs/buf.h"
#include "fs/fs.h"
#include "fs/internal.h"
#include "fs/path.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "proc.h"

namespace {

bool name_eq(const char* name, const char (&entry)[DIRSIZ]) {
  return strncmp(name, entry, DIRSIZ) == 0;
}

bool is_dot_or_dotdot(const char (&entry)[DIRSIZ]) {
  return name_eq(".", entry) || name_eq("..", entry);
}

// Call fn(entry, offset) for every entry slot of dp (locked), free or not,
// until it returns true. Reads a whole block at a time instead of going
// through readi per entry. Returns whether fn stopped the walk.
template <typename Fn>
bool for_each_entry(Inode* dp, Fn fn) {
  constexpr u32 kPerBlock = BSIZE / sizeof(dirent);
  for (u32 base = 0; base < dp->size; base += BSIZE) {
    u32 addr = block_of(dp, base / BSIZE);
    if (addr == 0) continue;  // a hole holds only free entries
    Buf* b = bread(dp->dev, addr);
    const dirent* de = reinterpret_cast<const dirent*>(b->data);
    bool stop = false;
    for (u32 i = 0; i < kPerBlock && base + i * sizeof(dirent) < dp->size; i++) {
      if (fn(de[i], base + static_cast<u32>(i * sizeof(dirent)))) {
        stop = true;
        break;
      }
    }
    brelse(b);
    if (stop) return true;
  }
  return false;
}

// Find name in dp (locked) without touching the inode cache.
bool find_entry(Inode* dp, const char* name, u32* poff, u32* pinum) {
  return for_each_entry(dp, [&](const dirent& de, u32 off) {
    if (de.inum == 0 || !name_eq(name, de.name)) return false;
    if (poff) *poff = off;
    *pinum = de.inum;
    return true;
  });
}

// Where a walk starts: the root for an absolute path, else the calling
// process's cwd. The reference is taken under cwd_lock, so a concurrent
// chdir in another thread cannot free the inode under the walk.
Result<Inode*> walk_start(const char* path) {
  if (*path != '/') {
    Process* p = myproc();
    SpinGuard g(p->cwd_lock);
    if (p->cwd) return idup(p->cwd);
  }
  return iget(ROOTDEV, ROOTINO);
}

// The inode path names or, with parent set, the directory holding its last
// element (copied into name). Referenced, unlocked.
Result<Inode*> walk(const char* path, bool parent, char* name) {
  if (*path == '\0') return Error::NotFound;  // "" names nothing
  Inode* ip = TRY(walk_start(path));
  for (;;) {
    auto rest = next_element(path, name);
    if (!rest) {
      iput(ip);
      return rest.error();
    }
    if (!rest.value()) break;
    path = rest.value();
    ilock(ip);
    if (ip->type != T_DIR) {
      iunlockput(ip);
      return Error::NotDir;
    }
    if (parent && *path == '\0') {
      iunlock(ip);
      return ip;
    }
    auto next = dirlookup(ip, name, nullptr);
    iunlockput(ip);
    if (!next) return next.error();
    ip = next.value();
  }
  if (parent) {  // "/" has no parent entry to return
    iput(ip);
    return Error::Busy;
  }
  return ip;
}

}  // namespace

Result<Inode*> dirlookup(Inode* dp, const char* name, u32* poff) {
  if (dp->type != T_DIR) panic("dirlookup: inode %u is no directory", dp->inum);
  // A removed directory (someone's cwd, or a walk holding it) names
  // nothing, not even "." and "..": its ".." would name a parent that may
  // have been removed and freed since.
  if (dp->nlink < 1) return Error::NotFound;
  u32 inum = 0;
  bool found = find_entry(dp, name, poff, &inum);
  // The root is its own parent, whatever the disk's ".." entry says.
  if (dp->inum == ROOTINO && strncmp(name, "..", DIRSIZ) == 0) {
    inum = ROOTINO;
    found = true;
  }
  if (!found) return Error::NotFound;
  return iget(dp->dev, inum);
}

Result<void> dirlink(Inode* dp, const char* name, u32 inum) {
  size_t len = strlen(name);
  if (len == 0) return Error::Invalid;
  if (len > DIRSIZ) return Error::NameTooLong;
  // An unlinked directory is waiting to be freed; an entry added now would
  // be lost with it, and the inode it names would leak.
  if (dp->nlink < 1) return Error::NotFound;
  // One pass both checks the name is free and finds the first free slot.
  bool exists = false;
  u32 slot = dp->size;  // none free: append
  for_each_entry(dp, [&](const dirent& de, u32 off) {
    if (de.inum == 0) {
      if (slot == dp->size) slot = off;
      return false;
    }
    exists = name_eq(name, de.name);
    return exists;
  });
  if (exists) return Error::Exists;
  dirent de{};
  de.inum = static_cast<u16>(inum);
  strncpy(de.name, name, DIRSIZ);
  size_t n = TRY(writei(dp, false, reinterpret_cast<u64>(&de), slot, sizeof(de)));
  // Directories end on an entry boundary and MAXFILE * BSIZE is a multiple
  // of the entry size, so a dirent is written whole or not at all.
  ASSERT(n == sizeof(de));
  return {};
}

void dir_set_inum(Inode* dp, u32 off, u32 inum) {
  dirent de{};
  auto r = readi(dp, false, reinterpret_cast<u64>(&de), off, sizeof(de));
  ASSERT(r.ok() && r.value() == sizeof(de));
  de.inum = static_cast<u16>(inum);
  if (inum == 0) memset(de.name, 0, DIRSIZ);  // a free slot keeps no name
  auto w = writei(dp, false, reinterpret_cast<u64>(&de), off, sizeof(de));
  // The entry's block exists, so overwriting it allocates nothing.
  ASSERT(w.ok() && w.value() == sizeof(de));
}

bool dir_is_empty(Inode* dp) {
  return !for_each_entry(dp, [](const dirent& de, u32) {
    return de.inum != 0 && !is_dot_or_dotdot(de.name);
  });
}

Result<Inode*> lookup(const char* path) {
  char name[DIRSIZ + 1];
  return walk(path, false, name);
}

Result<Inode*> nameiparent(const char* path, char* name) {
  return walk(path, true, name);
}

Inode* namei(const char* path) {
  auto r = lookup(path);
  return r.ok() ? r.value() : nullptr;
}
