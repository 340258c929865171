// mkfs: build a weft file-system image on the host.
//
//   mkfs fs.img FILE...
//
// Every FILE goes into the root directory under its base name, with one
// leading '_' dropped (so build/bin/_cat becomes "cat"). The whole image is
// built in memory and written only once every file has fitted, so a failed
// run never leaves a half-made image that a later boot could trip over.
//
// The layout arithmetic and the builder live in namespace mkfs. The host
// tests include this file with MKFS_NO_MAIN defined and check them directly,
// which keeps the tool a single source file for the Makefile.

#include <weft/fs.h>

// include/stat.h declares the guest's struct stat, which clashes with the
// host's <sys/stat.h> (GoogleTest includes it). We need only the T_* type
// constants (macros, so they stay visible), so its struct is kept out of the
// global namespace.
namespace guest {
#include <stat.h>
}

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// Structures are copied to the image byte for byte, and the disk format is
// little-endian; the kernel (riscv64) reads them back the same way.
static_assert(std::endian::native == std::endian::little,
              "mkfs writes host structures as little-endian disk data");
static_assert(sizeof(superblock) == 32);
static_assert(sizeof(dinode) == 64);
static_assert(sizeof(dirent) == 16);
static_assert(BSIZE % sizeof(dinode) == 0 && BSIZE % sizeof(dirent) == 0,
              "inodes and directory entries must not straddle blocks");

namespace mkfs {

constexpr uint32_t div_round_up(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

// Where each region starts, for an image of `size` blocks.
struct Layout {
  superblock sb{};            // exactly what block 1 holds
  uint32_t ninodeblocks = 0;  // blocks holding the inode array
  uint32_t nbitmap = 0;       // free-bitmap blocks (one bit per image block)
  uint32_t datastart = 0;     // first data block; everything below is metadata
};

// The regions follow one another with no gaps: boot, super, log (header
// first), inodes, bitmap, data. Parameters other than the defaults exist so
// tests can build tiny images that run out of space.
constexpr Layout make_layout(uint32_t size = FSSIZE, uint32_t ninodes = NINODES,
                             uint32_t logblocks = LOGBLOCKS) {
  Layout l;
  l.ninodeblocks = div_round_up(ninodes, static_cast<uint32_t>(IPB));
  l.nbitmap = div_round_up(size, BPB);
  l.sb.magic = FSMAGIC;
  l.sb.size = size;
  l.sb.ninodes = ninodes;
  l.sb.nlog = logblocks + 1;  // the header block, then the logged blocks
  l.sb.logstart = 2;
  l.sb.inodestart = l.sb.logstart + l.sb.nlog;
  l.sb.bmapstart = l.sb.inodestart + l.ninodeblocks;
  l.datastart = l.sb.bmapstart + l.nbitmap;
  l.sb.nblocks = size > l.datastart ? size - l.datastart : 0;
  return l;
}

inline constexpr Layout kLayout = make_layout();
static_assert(kLayout.sb.nblocks > 0, "FSSIZE leaves no room for data");

// The name a host path gets in the root directory: its last component,
// without one leading '_' (the Makefile's convention for user programs).
inline std::string disk_name(std::string_view path) {
  if (auto slash = path.rfind('/'); slash != std::string_view::npos)
    path.remove_prefix(slash + 1);
  if (path.starts_with('_')) path.remove_prefix(1);
  return std::string(path);
}

// A file system under construction. Inodes and data blocks are handed out
// in increasing order and never freed, so "used" is simply every block below
// next_block_, which is what finish() records in the bitmap.
class Image {
 public:
  explicit Image(const Layout& layout = kLayout)
      : layout_(layout), disk_(size_t{layout.sb.size} * BSIZE, 0),
        next_block_(layout.datastart) {
    std::memcpy(block(1), &layout_.sb, sizeof(superblock));
    // The log header stays all zero: a count of 0 means nothing to replay.
    uint32_t root = alloc_inode(T_DIR);
    if (root != ROOTINO) fail_internal("root inode is not ROOTINO");
    // The root is its own parent. nlink counts the names of an inode other
    // than its own "."; for the root that is its "..".
    set_nlink(root, 1);
    if (!add_entry(root, ".", root).empty() || !add_entry(root, "..", root).empty())
      fail_internal("no room for the root directory");
  }

  // Adds a regular file named `name` to the root directory. Returns "" on
  // success, else the reason. A rejected name or size changes nothing; after
  // running out of inodes or blocks the image is half-changed and should be
  // dropped (main gives up at the first error).
  std::string add_file(std::string_view name, std::span<const uint8_t> data) {
    if (std::string err = check_name(name); !err.empty()) return err;
    if (data.size() > size_t{MAXFILE} * BSIZE)
      return "file too big (" + std::to_string(data.size()) + " bytes, at most " +
             std::to_string(MAXFILE * BSIZE) + ")";
    uint32_t inum = alloc_inode(T_FILE);
    if (inum == 0) return "out of inodes";
    set_nlink(inum, 1);
    if (std::string err = append(inum, data); !err.empty()) return err;
    names_.emplace_back(name);
    return add_entry(ROOTINO, name, inum);
  }

  // Records the used blocks in the free bitmap and hands back the image.
  std::vector<uint8_t> finish() && {
    for (uint32_t b = 0; b < next_block_; b++) {
      uint8_t* map = block(BBLOCK(b, layout_.sb));
      map[(b % BPB) / 8] |= static_cast<uint8_t>(1u << (b % 8));
    }
    return std::move(disk_);
  }

  uint32_t blocks_used() const { return next_block_; }

 private:
  [[noreturn]] static void fail_internal(const char* what) {
    // Only a layout too small for the root directory gets here.
    std::cerr << "mkfs: " << what << "\n";
    std::exit(1);
  }

  uint8_t* block(uint32_t b) { return disk_.data() + size_t{b} * BSIZE; }

  // Inodes are read and written by value to keep the byte image the only
  // state (no aliasing of packed disk bytes as structures).
  dinode inode(uint32_t inum) {
    dinode d;
    std::memcpy(&d, inode_bytes(inum), sizeof d);
    return d;
  }
  void put_inode(uint32_t inum, const dinode& d) {
    std::memcpy(inode_bytes(inum), &d, sizeof d);
  }
  uint8_t* inode_bytes(uint32_t inum) {
    return block(IBLOCK(inum, layout_.sb)) + (inum % IPB) * sizeof(dinode);
  }

  // Inode 0 is never used: an inum of 0 marks a free directory entry.
  uint32_t alloc_inode(int16_t type) {
    if (next_inum_ >= layout_.sb.ninodes) return 0;
    uint32_t inum = next_inum_++;
    dinode d{};
    d.type = type;
    put_inode(inum, d);
    return inum;
  }

  void set_nlink(uint32_t inum, int16_t n) {
    dinode d = inode(inum);
    d.nlink = n;
    put_inode(inum, d);
  }

  // 0 when the image is full (block 0 is never a data block).
  uint32_t alloc_block() {
    if (next_block_ >= layout_.sb.size) return 0;
    return next_block_++;
  }

  // Entry i of index block *ind, allocated on first use (and *ind with it).
  // 0 if the image is full.
  uint32_t index_entry(uint32_t& ind, uint32_t i) {
    if (ind == 0) ind = alloc_block();
    if (ind == 0) return 0;
    uint8_t* slot = block(ind) + i * sizeof(uint32_t);
    uint32_t addr;
    std::memcpy(&addr, slot, sizeof addr);
    if (addr == 0) {
      addr = alloc_block();
      std::memcpy(slot, &addr, sizeof addr);
    }
    return addr;
  }

  // The disk block holding byte offset fbn*BSIZE of the file, allocated on
  // first use (and the index blocks on the way with it). 0 if the image is
  // full. fbn < MAXFILE.
  uint32_t block_for(dinode& d, uint32_t fbn) {
    if (fbn < NDIRECT) {
      if (d.addrs[fbn] == 0) d.addrs[fbn] = alloc_block();
      return d.addrs[fbn];
    }
    fbn -= NDIRECT;
    if (fbn < NINDIRECT) return index_entry(d.addrs[NDIRECT], fbn);
    fbn -= NINDIRECT;
    uint32_t mid = index_entry(d.addrs[NDIRECT + 1], fbn / NINDIRECT);
    if (mid == 0) return 0;
    return index_entry(mid, fbn % NINDIRECT);
  }

  // Appends bytes at the end of inode inum.
  std::string append(uint32_t inum, std::span<const uint8_t> data) {
    dinode d = inode(inum);
    if (d.size + data.size() > size_t{MAXFILE} * BSIZE) return "file too big";
    size_t done = 0;
    while (done < data.size()) {
      uint32_t off = d.size;
      uint32_t b = block_for(d, off / BSIZE);
      if (b == 0) return "file system full (" + std::to_string(layout_.sb.size) + " blocks)";
      size_t n = std::min<size_t>(BSIZE - off % BSIZE, data.size() - done);
      std::memcpy(block(b) + off % BSIZE, data.data() + done, n);
      d.size += static_cast<uint32_t>(n);
      done += n;
    }
    put_inode(inum, d);
    return "";
  }

  std::string add_entry(uint32_t dir, std::string_view name, uint32_t inum) {
    dirent de{};
    de.inum = static_cast<uint16_t>(inum);
    // Names of exactly DIRSIZ bytes have no terminating NUL on disk.
    std::memcpy(de.name, name.data(), name.size());
    return append(dir, {reinterpret_cast<const uint8_t*>(&de), sizeof de});
  }

  std::string check_name(std::string_view name) const {
    if (name.empty()) return "empty file name";
    if (name.size() > DIRSIZ)
      return "name \"" + std::string(name) + "\" longer than " + std::to_string(DIRSIZ) +
             " bytes";
    if (name == "." || name == ".." || name.find('/') != std::string_view::npos)
      return "bad file name \"" + std::string(name) + "\"";
    for (const std::string& n : names_)
      if (n == name) return "duplicate name \"" + n + "\"";
    return "";
  }

  Layout layout_;
  std::vector<uint8_t> disk_;
  uint32_t next_inum_ = ROOTINO;
  uint32_t next_block_;
  std::vector<std::string> names_;  // files added to the root so far
};

// Reads a whole host file. False if it is not a readable plain file.
inline bool read_host_file(const std::string& path, std::vector<uint8_t>& out) {
  // Directories open "successfully" as streams; only plain files will do.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return false;
  std::ifstream in(path, std::ios::binary);
  out.resize(size);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size));
  return in.good() && static_cast<uintmax_t>(in.gcount()) == size;
}

// Builds an image of the given host files and writes it to `out`. Returns ""
// on success, else "<file>: <reason>"; on failure `out` is not touched.
inline std::string build_image_file(const std::string& out,
                                    const std::vector<std::string>& inputs) {
  Image img;
  std::vector<uint8_t> data;
  for (const std::string& path : inputs) {
    if (!read_host_file(path, data)) return path + ": cannot read";
    if (std::string err = img.add_file(disk_name(path), data); !err.empty())
      return path + ": " + err;
  }
  std::vector<uint8_t> disk = std::move(img).finish();
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(disk.data()), static_cast<std::streamsize>(disk.size()));
  f.close();
  if (!f) return out + ": cannot write";
  return "";
}

}  // namespace mkfs

#ifndef MKFS_NO_MAIN
int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: mkfs fs.img FILE...\n";
    return 2;
  }
  std::vector<std::string> inputs(argv + 2, argv + argc);
  if (std::string err = mkfs::build_image_file(argv[1], inputs); !err.empty()) {
    std::cerr << "mkfs: " << err << "\n";
    return 1;
  }
  return 0;
}
#endif
