// fsck: check a weft file-system image on the host.
//
//   fsck IMAGE
//
// Exit status 0 when the image is consistent (one summary line on stdout),
// 1 when it is not (one line per problem on stdout, "KIND: what", and a
// count on stderr), 2 for a usage or I/O error. The image file is only read.
//
// What is checked:
//  1. The superblock: magic, and that the regions (log, inodes, bitmap,
//     data) follow one another in order, without overlapping, inside the
//     image. If it is bad nothing else can be trusted, so checking stops.
//  2. The log. A header with a count above 0 and a checksum that matches
//     the log area is a committed group whose blocks may not all be at
//     home yet; they are copied over an in-memory copy of the image,
//     exactly as the kernel's recovery would at the next boot, and
//     everything after this step checks that result. A checksum that does
//     not match is a group cut by a crash before it committed: not a
//     problem, the kernel drops it too (the summary says so). A header
//     the kernel could not replay (a count above the log's capacity, a home
//     block outside the image) or should never have written (a home block
//     below the inode area: boot block, superblock or the log itself, or
//     the same home block twice) is reported, and the image is then checked
//     without replaying it.
//  3. Every inode: a known type (T_DIR, T_FILE, T_DEVICE; 0 is free), block
//     numbers inside the data area, no block owned twice (by two inodes or
//     twice by one, index blocks included: the indirect block, the
//     double-indirect block and the indirect blocks it names), nothing
//     named past MAXFILE blocks, and a size that agrees with the blocks (see
//     "Sizes" below).
//  4. The free bitmap against the owners: every metadata block and every
//     owned block marked used; every marked data block owned by some inode
//     (else it is a leak: allocated, and nothing will ever free it). Bits
//     for block numbers at or past the image's size are not looked at.
//  5. The directory tree, walked from the root: every directory starts with
//     "." (itself) and ".." (its parent; the root's is the root); entries
//     name allocated inodes inside the inode area; names are non-empty,
//     NUL-padded, without '/', and unique within their directory; "." and
//     ".." appear nowhere else; a directory has exactly one name.
//  6. Link counts, weft's convention (kernel/syscalls/file.cpp create and
//     unlink, tools/mkfs.cpp): nlink counts the directory entries naming an
//     inode other than a directory's own ".". So a file or device has
//     nlink == the number of entries naming it, and a directory has
//     nlink == 1 + its subdirectories (its name in the parent, plus each
//     child's ".."; for the root the 1 is its own "..", mkfs gives it 1).
//     The directory rule is checked against the tree's shape rather than by
//     counting ".." entries, so that one damaged ".." is reported once (as
//     a dot-entry problem), not again as its parent's wrong link count.
//  7. Every allocated inode is reachable from the root, or is an orphan.
//     An orphan is an unreachable inode with nlink 0 that no directory
//     entry names (none in the tree, and none but "." and ".." in the
//     unreachable directories): a file unlinked while still open, or a
//     directory removed while it was a cwd, when the machine stopped
//     before the last close (or chdir, or exit) that was to free it. That
//     is a legitimate state after a crash; the kernel frees every orphan
//     at the next boot (kernel/fs/inode.cpp, free_orphans). Orphans are
//     counted, with the blocks they own, and named in the summary line,
//     not reported. Any other unreachable inode (nlink > 0, or named by an
//     entry outside the tree) is reported once. Either way its blocks
//     count as owned (so they are not reported again as leaks) and its
//     link count is not judged.
//
// Sizes. weft files have no holes: writei never writes past the end of a
// file, so every block below the size is allocated. The other direction is
// not exact in the kernel, and fsck accepts what it can leave behind:
//  - one data block just past the end (block index == ceil(size/BSIZE)): a
//    write that allocated the block and then failed to copy anything into
//    it (the source faulted) keeps it, recorded in the inode, for itrunc;
//  - an index block (indirect, double-indirect, or an indirect block named
//    by the double-indirect one) with no entries in use, once the file's
//    next block would need it (ceil(size/BSIZE) >= the first block it
//    covers): the disk filled up between allocating the index block and
//    the data block.
// Anything further past the end is reported. Directories' sizes must be
// whole entries; device nodes own no blocks and have size 0.
//
// The log header (struct logheader) and its checksum (log_sum_*) come
// from weft/fs.h, which the kernel's log uses too.
//
// Like mkfs, this is one source file: the host tests include it with
// FSCK_NO_MAIN defined and call fsck::check on images they build and
// damage in memory.

#include <weft/fs.h>

// The guest's stat.h declares a struct stat that clashes with the host's;
// only the T_* macros are wanted (see mkfs.cpp).
namespace guest {
#include <stat.h>
}

#include <algorithm>
#include <bit>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

static_assert(std::endian::native == std::endian::little,
              "fsck reads little-endian disk data into host structures");

namespace fsck {

// What kind of problem a line reports. Tests check that a given damage is
// reported as exactly the kinds it should be.
enum class Kind {
  Superblock,   // bad magic, regions out of order or outside the image
  Log,          // a committed log header that cannot or should not replay
  BadBlock,     // an inode names a block outside the data area
  DupBlock,     // a block owned twice
  MarkedFree,   // a block in use (owned, or metadata) that the bitmap calls free
  Leak,         // a data block marked used that nobody owns
  InodeType,    // an unknown inode type, a used inode 0, a root that is no directory
  Size,         // holes, blocks past the end, sizes that cannot be
  DirEntry,     // an entry naming a free or nonexistent inode; a directory named twice
  DotEntries,   // "." or ".." missing, wrong, or where they do not belong
  DirName,      // empty, not NUL-padded, containing '/', or duplicate names
  Nlink,        // a link count that disagrees with the directory tree
  Unreachable,  // allocated, but no path from the root leads to it (and no orphan)
};

inline const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Superblock: return "superblock";
    case Kind::Log: return "log";
    case Kind::BadBlock: return "bad-block";
    case Kind::DupBlock: return "dup-block";
    case Kind::MarkedFree: return "marked-free";
    case Kind::Leak: return "leak";
    case Kind::InodeType: return "inode-type";
    case Kind::Size: return "size";
    case Kind::DirEntry: return "dir-entry";
    case Kind::DotEntries: return "dot-entries";
    case Kind::DirName: return "dir-name";
    case Kind::Nlink: return "nlink";
    case Kind::Unreachable: return "unreachable";
  }
  return "?";
}

struct Problem {
  Kind kind;
  std::string text;
};

struct Report {
  std::vector<Problem> problems;
  uint32_t replayed = 0;  // logged blocks copied home (in memory) before checking
  uint32_t dropped = 0;   // blocks of a logged group whose checksum fails
  // For the summary line; meaningful when the superblock was good.
  uint32_t files = 0, dirs = 0, devices = 0;
  uint32_t blocks = 0, blocks_used = 0;  // image size, bitmap bits set
  uint32_t ninodes = 0;
  // Unreachable inodes with no links, which the next boot frees (item 7),
  // and the blocks they own (index blocks included).
  uint32_t orphans = 0, orphan_blocks = 0;

  bool ok() const { return problems.empty(); }
  size_t count(Kind k) const {
    return static_cast<size_t>(std::count_if(problems.begin(), problems.end(),
                                             [k](const Problem& p) { return p.kind == k; }));
  }
  // The distinct kinds reported, for tests: "exactly these kinds".
  std::set<Kind> kinds() const {
    std::set<Kind> s;
    for (const Problem& p : problems) s.insert(p.kind);
    return s;
  }
};

namespace detail {

inline const char* type_name(int16_t t) {
  switch (t) {
    case T_DIR: return "dir";
    case T_FILE: return "file";
    case T_DEVICE: return "device";
  }
  return "?";
}

inline bool valid_type(int16_t t) { return t == T_DIR || t == T_FILE || t == T_DEVICE; }

// The printable form of a directory entry's name (bytes up to the first NUL).
inline std::string entry_name(const dirent& de) {
  return std::string(de.name, strnlen(de.name, DIRSIZ));
}

// One check of one image. The image is a private copy: the log replay
// writes into it.
class Checker {
 public:
  explicit Checker(std::vector<uint8_t> image) : img_(std::move(image)) {}

  Report run() {
    if (!check_superblock()) return std::move(rep_);
    rep_.blocks = sb_.size;
    rep_.ninodes = sb_.ninodes;
    replay_log();
    scan_inodes();
    walk_tree();  // before the bitmap only so that its messages can name paths
    check_bitmap();
    check_links_and_reachability();
    return std::move(rep_);
  }

 private:
  // ------------------------------------------------------------ helpers

  // printf-style, so that the compiler checks every message's arguments.
  __attribute__((format(printf, 3, 4))) void report(Kind k, const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    rep_.problems.push_back({k, buf});
  }

  // Only called for blocks known to lie inside the image.
  uint8_t* block(uint32_t b) { return img_.data() + size_t{b} * BSIZE; }

  template <typename T>
  T get(uint32_t b, size_t off) {
    T v;
    std::memcpy(&v, block(b) + off, sizeof v);
    return v;
  }

  dinode inode(uint32_t inum) {
    return get<dinode>(IBLOCK(inum, sb_), (inum % IPB) * sizeof(dinode));
  }

  bool marked(uint32_t b) {
    return (get<uint8_t>(BBLOCK(b, sb_), (b % BPB) / 8) >> (b % 8)) & 1;
  }

  // "/a/b (inode 7)", or "inode 7" for an inode the walk has not named.
  std::string who(uint32_t inum) {
    auto it = path_.find(inum);
    if (it == path_.end()) return "inode " + std::to_string(inum);
    return it->second + " (inode " + std::to_string(inum) + ")";
  }

  // ------------------------------------------------------- 1. superblock

  bool check_superblock() {
    uint64_t image_blocks = img_.size() / BSIZE;
    if (image_blocks < 2) {
      report(Kind::Superblock, "image of %zu bytes has no superblock (block 1)", img_.size());
      return false;
    }
    std::memcpy(&sb_, block(1), sizeof sb_);
    size_t before = rep_.problems.size();
    if (sb_.magic != FSMAGIC) {
      report(Kind::Superblock, "bad magic 0x%x (want 0x%x)", sb_.magic, FSMAGIC);
      return false;  // not a weft image at all: the rest would be noise
    }
    // 64-bit arithmetic: damaged fields must not wrap around into range.
    uint64_t size = sb_.size;
    uint64_t inode_blocks = (uint64_t{sb_.ninodes} + IPB - 1) / IPB;
    uint64_t bitmap_blocks = (size + BPB - 1) / BPB;
    uint64_t log_end = uint64_t{sb_.logstart} + sb_.nlog;
    uint64_t inode_end = uint64_t{sb_.inodestart} + inode_blocks;
    uint64_t bitmap_end = uint64_t{sb_.bmapstart} + bitmap_blocks;
    if (size > image_blocks)
      report(Kind::Superblock, "size %u blocks, but the image has only %llu", sb_.size,
             static_cast<unsigned long long>(image_blocks));
    if (sb_.ninodes < ROOTINO + 1)
      report(Kind::Superblock, "%u inodes leave no room for the root (inode %u)", sb_.ninodes,
             ROOTINO);
    if (sb_.ninodes > 65536)  // a dirent's inum has 16 bits
      report(Kind::Superblock, "%u inodes, but a directory entry can name only 65536",
             sb_.ninodes);
    if (sb_.logstart < 2)
      report(Kind::Superblock, "log starts at block %u, over the boot block or superblock",
             sb_.logstart);
    // The kernel panics at boot with less than one operation's worth of log.
    if (sb_.nlog < 1 + MAXOPBLOCKS)
      report(Kind::Superblock, "log of %u blocks (header included) cannot hold one operation "
             "(%d blocks)", sb_.nlog, MAXOPBLOCKS);
    if (sb_.inodestart < log_end)
      report(Kind::Superblock, "inodes start at block %u, inside the log (blocks %u..%llu)",
             sb_.inodestart, sb_.logstart, static_cast<unsigned long long>(log_end - 1));
    if (sb_.bmapstart < inode_end)
      report(Kind::Superblock, "bitmap starts at block %u, inside the inodes (up to %llu)",
             sb_.bmapstart, static_cast<unsigned long long>(inode_end - 1));
    // The data area is the last nblocks blocks (the kernel allocates any
    // block whose bit is clear; mkfs marks everything below it used).
    if (sb_.nblocks > size || size - sb_.nblocks < bitmap_end)
      report(Kind::Superblock, "%u data blocks of %u overlap the bitmap (which ends at %llu)",
             sb_.nblocks, sb_.size, static_cast<unsigned long long>(bitmap_end - 1));
    if (rep_.problems.size() != before) return false;
    datastart_ = sb_.size - sb_.nblocks;
    return true;
  }

  // ------------------------------------------------------------- 2. log

  void replay_log() {
    logheader h;
    std::memcpy(&h, block(sb_.logstart), sizeof h);
    if (h.n == 0) return;  // nothing committed
    uint32_t capacity = std::min<uint32_t>(sb_.nlog - 1, LOGBLOCKS);
    if (h.n > capacity) {
      report(Kind::Log, "header says %u logged blocks, the log holds at most %u "
             "(the kernel would panic); not replayed", h.n, capacity);
      return;
    }
    bool good = true;
    std::set<uint32_t> seen;
    for (uint32_t i = 0; i < h.n; i++) {
      uint32_t home = h.block[i];
      if (home >= sb_.size) {
        report(Kind::Log, "logged block %u goes to block %u, outside the image "
               "(the kernel would panic)", i, home);
        good = false;
      } else if (home < sb_.inodestart) {
        report(Kind::Log, "logged block %u goes to block %u, which no operation writes "
               "(boot block, superblock or log)", i, home);
        good = false;
      } else if (!seen.insert(home).second) {
        report(Kind::Log, "block %u is logged twice (the log absorbs rewrites)", home);
        good = false;
      }
    }
    if (!good) {
      report(Kind::Log, "damaged header: the image is checked without replaying it");
      return;
    }
    // A crash while the group was being written: its operations never
    // returned, and the kernel drops it at the next boot.
    uint64_t sum = log_sum_start(h.n, h.block);
    for (uint32_t i = 0; i < h.n; i++) sum = log_sum_add(sum, block(sb_.logstart + 1 + i));
    if (sum != h.sum) {
      rep_.dropped = h.n;
      return;
    }
    for (uint32_t i = 0; i < h.n; i++)
      std::memcpy(block(h.block[i]), block(sb_.logstart + 1 + i), BSIZE);
    rep_.replayed = h.n;
  }

  // ---------------------------------------------------------- 3. inodes

  // Records that inum owns block b (as its block index idx, or the index
  // block called index_name). False if b is not a data block, which is
  // reported.
  bool claim(uint32_t inum, uint32_t b, long idx, const std::string& index_name = "") {
    std::string what = !index_name.empty() ? index_name : "block " + std::to_string(idx);
    if (b < datastart_ || b >= sb_.size) {
      report(Kind::BadBlock, "%s: %s is block %u, outside the data area [%u, %u)",
             who(inum).c_str(), what.c_str(), b, datastart_, sb_.size);
      return false;
    }
    owned_[inum]++;
    auto [it, fresh] = owner_.try_emplace(b, Owner{inum, what});
    if (!fresh) {
      const Owner& o = it->second;
      if (o.inum == inum)
        report(Kind::DupBlock, "block %u is both %s and %s of %s", b, o.what.c_str(),
               what.c_str(), who(inum).c_str());
      else
        report(Kind::DupBlock, "block %u is %s of %s and %s of %s", b, o.what.c_str(),
               who(o.inum).c_str(), what.c_str(), who(inum).c_str());
    }
    return true;
  }

  void scan_inodes() {
    blocks_.assign(sb_.ninodes, {});
    owned_.assign(sb_.ninodes, 0);
    // Inode 0 is "no inode" in a directory entry; the kernel never uses it.
    if (int16_t t = inode(0).type; t != 0)
      report(Kind::InodeType, "inode 0 is reserved, but has type %d", t);
    for (uint32_t inum = 1; inum < sb_.ninodes; inum++) {
      dinode d = inode(inum);
      if (d.type == 0) continue;
      if (!valid_type(d.type)) {
        // Nothing else about it can be trusted; it is left out of every
        // later check (its blocks may then show up as leaks).
        report(Kind::InodeType, "inode %u has unknown type %d", inum, d.type);
        continue;
      }
      if (d.type == T_DIR) rep_.dirs++;
      if (d.type == T_FILE) rep_.files++;
      if (d.type == T_DEVICE) rep_.devices++;
      scan_blocks(inum, d);
    }
  }

  // The entries of index block ind, which names the blocks from index
  // first on: each one present is claimed. A bad ind hides them: they are
  // marked unknown (not judged for holes). Returns whether any entry is in
  // use; an empty index block is recorded in empty_index_.
  bool scan_index(uint32_t inum, uint32_t ind, uint32_t first, const std::string& name,
                  std::vector<bool>& present, std::vector<bool>& unknown) {
    uint32_t end = std::min<uint32_t>(first + NINDIRECT, MAXFILE);
    if (!claim(inum, ind, -1, name)) {
      for (uint32_t i = first; i < end; i++) unknown[i] = true;
      return false;
    }
    bool used = false;
    for (uint32_t j = 0; j < NINDIRECT; j++) {
      uint32_t b = get<uint32_t>(ind, j * sizeof(uint32_t));
      if (b == 0) continue;
      used = true;
      if (first + j >= MAXFILE) {
        report(Kind::Size, "%s: %s names a block past the largest file (%u blocks)",
               who(inum).c_str(), name.c_str(), static_cast<unsigned>(MAXFILE));
        break;
      }
      present[first + j] = true;
      if (claim(inum, b, first + j)) blocks_[inum][first + j] = b;
    }
    if (!used) empty_index_.push_back({first, name});
    return used;
  }

  void scan_blocks(uint32_t inum, const dinode& d) {
    // present[i]: the inode names some block (good or not) at index i.
    std::vector<bool> present(MAXFILE, false), unknown(MAXFILE, false);
    std::vector<uint32_t>& map = blocks_[inum];
    map.assign(MAXFILE, 0);
    empty_index_.clear();
    for (uint32_t i = 0; i < NDIRECT; i++) {
      if (d.addrs[i] == 0) continue;
      present[i] = true;
      if (claim(inum, d.addrs[i], i)) map[i] = d.addrs[i];
    }
    uint32_t ind = d.addrs[NDIRECT];
    if (ind != 0) scan_index(inum, ind, NDIRECT, "its indirect block", present, unknown);
    // The double-indirect block names indirect blocks, each of which names
    // NINDIRECT data blocks.
    uint32_t dind = d.addrs[NDIRECT + 1];
    constexpr uint32_t kDoubleFirst = NDIRECT + NINDIRECT;
    if (dind != 0 && !claim(inum, dind, -1, "its double-indirect block")) {
      for (uint32_t i = kDoubleFirst; i < MAXFILE; i++) unknown[i] = true;
    } else if (dind != 0) {
      bool any = false;
      for (uint32_t k = 0; k < NINDIRECT; k++) {
        uint32_t mid = get<uint32_t>(dind, k * sizeof(uint32_t));
        if (mid == 0) continue;
        any = true;
        uint64_t first = kDoubleFirst + uint64_t{k} * NINDIRECT;
        if (first >= MAXFILE) {
          report(Kind::Size, "%s: its double-indirect block names indirect block %u, past "
                 "the largest file (%u blocks)", who(inum).c_str(), k,
                 static_cast<unsigned>(MAXFILE));
          break;
        }
        scan_index(inum, mid, static_cast<uint32_t>(first),
                   "indirect block " + std::to_string(k) + " of its double-indirect block",
                   present, unknown);
      }
      if (!any) empty_index_.push_back({kDoubleFirst, "its double-indirect block"});
    }
    bool any_index = ind != 0 || dind != 0;

    std::string me = who(inum) + " (" + type_name(d.type) + ", size " +
                     std::to_string(d.size) + ")";
    if (d.type == T_DEVICE) {
      // Device nodes are made by mknod and never written through writei.
      bool any = any_index || std::find(present.begin(), present.end(), true) != present.end();
      if (d.size != 0 || any)
        report(Kind::Size, "%s: a device node has no contents, but it %s", me.c_str(),
               any ? "owns blocks" : "has a size");
      return;
    }
    if (d.type == T_DIR && d.size % sizeof(dirent) != 0)
      report(Kind::Size, "%s: a directory's size must be whole %zu-byte entries", me.c_str(),
             sizeof(dirent));
    if (d.size > uint64_t{MAXFILE} * BSIZE) {
      report(Kind::Size, "%s: larger than the largest file (%u bytes)", me.c_str(),
             static_cast<unsigned>(MAXFILE * BSIZE));
      return;
    }
    uint32_t nb = (d.size + BSIZE - 1) / BSIZE;  // blocks the contents need
    long first_hole = -1, first_past = -1;
    uint32_t holes = 0, past = 0;
    for (uint32_t i = 0; i < MAXFILE; i++) {
      if (unknown[i]) continue;
      if (i < nb && !present[i]) {
        if (first_hole < 0) first_hole = i;
        holes++;
      }
      // One block just past the end is allowed (see the top of the file).
      if (i > nb && present[i]) {
        if (first_past < 0) first_past = i;
        past++;
      }
    }
    if (holes)
      report(Kind::Size, "%s: %u holes (first at block %ld); weft files have none",
             me.c_str(), holes, first_hole);
    if (past)
      report(Kind::Size, "%s: owns %u blocks past its end (first: block %ld)", me.c_str(),
             past, first_past);
    // An empty index block is what the kernel leaves when the disk filled
    // between allocating it and the data block it was for: the file's next
    // block then lies at or beyond the first block it covers.
    for (const auto& [first, name] : empty_index_) {
      if (nb < first)
        report(Kind::Size, "%s: has an empty index block (%s) but ends before the blocks it "
               "covers", me.c_str(), name.c_str());
    }
  }

  // ---------------------------------------------------------- 4. bitmap

  void check_bitmap() {
    for (uint32_t b = 0; b < sb_.size; b++) {
      bool used = marked(b);
      rep_.blocks_used += used;
      if (b < datastart_) {
        if (!used) report(Kind::MarkedFree, "metadata block %u is marked free", b);
        continue;
      }
      auto it = owner_.find(b);
      if (it != owner_.end() && !used)
        report(Kind::MarkedFree, "block %u is %s of %s, but marked free", b,
               it->second.what.c_str(), who(it->second.inum).c_str());
      if (it == owner_.end() && used)
        report(Kind::Leak, "block %u is marked used, but no inode owns it", b);
    }
  }

  // ------------------------------------------------------- 5. the tree

  // The slot-th entry of directory dir (inside its size). Entries in a
  // missing or bad block read as free (that block was reported already).
  dirent entry(uint32_t dir, uint32_t slot) {
    dirent de{};
    uint64_t off = uint64_t{slot} * sizeof(dirent);
    uint32_t b = blocks_[dir][off / BSIZE];
    if (b != 0) std::memcpy(&de, block(b) + off % BSIZE, sizeof de);
    return de;
  }

  // The "." or ".." entry in slot `slot` of dir: it must be exactly that
  // name, naming `want`.
  bool check_dot(uint32_t dir, uint32_t nslots, uint32_t slot, const char* dot, uint32_t want) {
    const char* which = slot == 0 ? "first" : "second";
    if (slot >= nslots) {
      report(Kind::DotEntries, "%s: no %s entry (want \"%s\")", who(dir).c_str(), which, dot);
      return false;
    }
    dirent de = entry(dir, slot);
    char want_name[DIRSIZ] = {};
    std::memcpy(want_name, dot, std::strlen(dot));
    if (de.inum == 0 || std::memcmp(de.name, want_name, DIRSIZ) != 0) {
      report(Kind::DotEntries, "%s: %s entry is %s, not \"%s\"", who(dir).c_str(), which,
             de.inum == 0 ? "free" : ("\"" + entry_name(de) + "\"").c_str(), dot);
      return false;
    }
    if (de.inum != want) {
      report(Kind::DotEntries, "%s: \"%s\" names inode %u, not %u", who(dir).c_str(), dot,
             de.inum, want);
    }
    return true;  // the slot is taken by the dot entry either way
  }

  // The walk is breadth-first from the root. A directory gets its name (and
  // so its parent) from the first entry that names it and is also named by
  // its "..": with a damaged tree that has two names for one directory, the
  // one its ".." agrees with is the real one and the other is reported, so
  // that the order of the walk does not decide which of them looks wrong.
  // Names that disagree with the ".." wait (pending_); when the walk has
  // nothing else left, the first of them is taken (its ".." is then
  // reported) and the walk goes on from there.
  void walk_tree() {
    dinode root = inode(ROOTINO);
    if (root.type != T_DIR) {
      report(Kind::InodeType, "the root (inode %u) is not a directory (type %d)", ROOTINO,
             root.type);
      return;
    }
    parent_[ROOTINO] = ROOTINO;
    path_[ROOTINO] = "/";
    reached_.insert(ROOTINO);
    queue_.push_back(ROOTINO);
    size_t qi = 0;
    size_t pi = 0;
    for (;;) {
      while (qi < queue_.size()) walk_dir(queue_[qi++]);
      // The queue is empty: take the first pending name of a directory
      // that is still unnamed; the others are second names.
      bool took = false;
      for (; pi < pending_.size() && !took; pi++) {
        const Pending& p = pending_[pi];
        if (p.child == ROOTINO || parent_.count(p.child))
          report(Kind::DirEntry, "%s: names directory %s, which already has a name",
                 p.where.c_str(), who(p.child).c_str());
        else
          name_dir(p.dir, p.child, p.path), took = true;
      }
      if (!took) break;
    }
  }

  void name_dir(uint32_t parent, uint32_t child, const std::string& path) {
    parent_[child] = parent;
    path_[child] = path;
    subdirs_[parent]++;
    reached_.insert(child);
    queue_.push_back(child);
  }

  void walk_dir(uint32_t dir) {
    // A size past the largest file was reported; read what can exist.
    uint32_t nslots =
        static_cast<uint32_t>(std::min<uint64_t>(inode(dir).size, uint64_t{MAXFILE} * BSIZE) /
                              sizeof(dirent));
    std::string prefix = dir == ROOTINO ? "/" : path_[dir] + "/";
    std::set<std::string> names;
    for (uint32_t slot = 0; slot < std::max<uint32_t>(nslots, 2); slot++) {
      if (slot < 2 && check_dot(dir, nslots, slot, slot == 0 ? "." : "..",
                                slot == 0 ? dir : parent_[dir]))
        continue;
      if (slot >= nslots) continue;  // a missing dot entry, reported
      dirent de = entry(dir, slot);
      if (de.inum == 0) continue;  // a free slot
      check_entry(dir, slot, de, prefix, names);
    }
  }

  void check_entry(uint32_t dir, uint32_t slot, const dirent& de, const std::string& prefix,
                   std::set<std::string>& names) {
    std::string name = entry_name(de);
    std::string where = who(dir) + " entry " + std::to_string(slot) + " \"" + name + "\"";
    size_t len = name.size();
    if (len == 0) report(Kind::DirName, "%s: empty name", where.c_str());
    for (size_t i = len; i < DIRSIZ; i++) {
      if (de.name[i] != 0) {
        report(Kind::DirName, "%s: name not NUL-padded (byte %zu is 0x%02x)", where.c_str(), i,
               static_cast<unsigned>(static_cast<uint8_t>(de.name[i])));
        break;
      }
    }
    if (name.find('/') != std::string::npos)
      report(Kind::DirName, "%s: name contains '/'", where.c_str());
    if (name == "." || name == "..") {
      report(Kind::DotEntries, "%s: \"%s\" belongs only in the first two entries",
             where.c_str(), name.c_str());
      return;  // not a name of anything; counting it would misjudge links
    }
    if (len > 0 && !names.insert(name).second)
      report(Kind::DirName, "%s: duplicate name", where.c_str());

    uint32_t inum = de.inum;
    if (inum >= sb_.ninodes) {
      report(Kind::DirEntry, "%s: names inode %u, but there are only %u", where.c_str(), inum,
             sb_.ninodes);
      return;
    }
    dinode d = inode(inum);
    if (d.type == 0) {
      report(Kind::DirEntry, "%s: names inode %u, which is free", where.c_str(), inum);
      return;
    }
    if (!valid_type(d.type)) return;  // reported as inode-type already
    if (d.type != T_DIR) {
      if (names_[inum]++ == 0) path_[inum] = prefix + name;
      reached_.insert(inum);
      return;
    }
    if (inum == ROOTINO || parent_.count(inum)) {
      report(Kind::DirEntry, "%s: names directory %s, which already has a name",
             where.c_str(), who(inum).c_str());
      return;
    }
    if (d.size >= 2 * sizeof(dirent) && entry(inum, 1).inum == dir)
      name_dir(dir, inum, prefix + name);
    else
      pending_.push_back({dir, inum, prefix + name, where});
  }

  // ------------------------------------------- 6, 7. links, reachability

  // The inodes named by an entry other than "." and ".." of an allocated
  // directory the walk did not reach. (A removed directory keeps its dot
  // entries; they name nothing any more: unlink took its ".." off the
  // parent's link count.)
  std::set<uint32_t> named_outside_tree() {
    std::set<uint32_t> named;
    for (uint32_t dir = 1; dir < sb_.ninodes; dir++) {
      dinode d = inode(dir);
      if (d.type != T_DIR || reached_.count(dir)) continue;
      uint64_t bytes = std::min<uint64_t>(d.size, uint64_t{MAXFILE} * BSIZE);
      for (uint32_t slot = 0; slot < bytes / sizeof(dirent); slot++) {
        dirent de = entry(dir, slot);
        std::string name = entry_name(de);
        if (de.inum != 0 && name != "." && name != "..") named.insert(de.inum);
      }
    }
    return named;
  }

  void check_links_and_reachability() {
    std::set<uint32_t> named = named_outside_tree();
    for (uint32_t inum = 1; inum < sb_.ninodes; inum++) {
      dinode d = inode(inum);
      if (!valid_type(d.type)) continue;
      if (!reached_.count(inum)) {
        if (d.nlink == 0 && !named.count(inum)) {
          rep_.orphans++;
          rep_.orphan_blocks += owned_[inum];
          continue;
        }
        report(Kind::Unreachable, "inode %u (%s, nlink %d, size %u) is allocated, but no "
               "path from the root reaches it%s", inum, type_name(d.type), d.nlink, d.size,
               d.nlink == 0 ? " (no links, but an entry outside the tree names it)" : "");
        continue;
      }
      long want = d.type == T_DIR ? 1 + subdirs_[inum] : names_[inum];
      if (d.nlink != want) {
        if (d.type == T_DIR)
          report(Kind::Nlink, "%s: nlink %d, want %ld (1 + %ld subdirectories)",
                 who(inum).c_str(), d.nlink, want, want - 1);
        else
          report(Kind::Nlink, "%s: nlink %d, but %ld directory entries name it",
                 who(inum).c_str(), d.nlink, want);
      }
    }
  }

  struct Owner {
    uint32_t inum;
    std::string what;
  };

  std::vector<uint8_t> img_;
  Report rep_;
  superblock sb_{};
  uint32_t datastart_ = 0;
  std::map<uint32_t, Owner> owner_;            // data block -> its (first) owner
  std::vector<uint32_t> owned_;                // inode -> data and index blocks it names
  // The current inode's index blocks with no entries in use: the first
  // block index each covers, and its name.
  std::vector<std::pair<uint32_t, std::string>> empty_index_;
  std::vector<std::vector<uint32_t>> blocks_;  // inode -> good block per index
  std::map<uint32_t, uint32_t> parent_;        // directory -> the directory naming it
  std::map<uint32_t, std::string> path_;       // inode -> a path, for messages
  std::map<uint32_t, long> subdirs_;           // directory -> directories it names
  std::map<uint32_t, long> names_;             // file/device -> entries naming it
  std::set<uint32_t> reached_;
  std::vector<uint32_t> queue_;  // directories named, to be walked
  struct Pending {
    uint32_t dir, child;  // dir has an entry naming child, whose ".." disagrees
    std::string path, where;
  };
  std::vector<Pending> pending_;
};

}  // namespace detail

// Checks an image (its whole contents). The copy is replayed into, never
// written back.
inline Report check(std::vector<uint8_t> image) {
  return detail::Checker(std::move(image)).run();
}

// The one-line verdict for a consistent image.
inline std::string summary(const std::string& name, const Report& r) {
  std::ostringstream s;
  s << "fsck: " << name << ": consistent; " << r.files + r.dirs + r.devices << " of "
    << r.ninodes << " inodes in use (" << r.files << " files, " << r.dirs << " directories, "
    << r.devices << " devices), " << r.blocks_used << " of " << r.blocks
    << " blocks in use; log: ";
  if (r.replayed)
    s << "replayed " << r.replayed << " logged blocks (in memory)";
  else if (r.dropped)
    s << "a group of " << r.dropped << " blocks that never committed (dropped)";
  else
    s << "empty";
  if (r.orphans)
    s << "; " << r.orphans << (r.orphans == 1 ? " orphan (" : " orphans (") << r.orphan_blocks
      << " blocks), freed at the next boot";
  return s.str();
}

}  // namespace fsck

#ifndef FSCK_NO_MAIN
int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fsck IMAGE\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "fsck: cannot open " << argv[1] << "\n";
    return 2;
  }
  std::vector<uint8_t> image((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) {
    std::cerr << "fsck: cannot read " << argv[1] << "\n";
    return 2;
  }
  fsck::Report r = fsck::check(std::move(image));
  if (r.ok()) {
    std::cout << fsck::summary(argv[1], r) << "\n";
    return 0;
  }
  // A damaged bitmap block alone can make thousands of lines; past a
  // hundred of one kind the rest are only counted.
  constexpr size_t kMaxPerKind = 100;
  std::map<fsck::Kind, size_t> shown;
  for (const fsck::Problem& p : r.problems) {
    if (shown[p.kind]++ < kMaxPerKind)
      std::cout << fsck::kind_name(p.kind) << ": " << p.text << "\n";
  }
  for (auto [kind, n] : shown) {
    if (n > kMaxPerKind)
      std::cout << fsck::kind_name(kind) << ": ... and " << n - kMaxPerKind << " more\n";
  }
  std::cerr << "fsck: " << argv[1] << ": " << r.problems.size() << " problems"
            << (r.replayed ? " (after replaying " + std::to_string(r.replayed) + " logged blocks)"
                           : std::string())
            << "\n";
  return 1;
}
#endif
