// Tests for tools/fsck.cpp.
//
// Each test builds a consistent image in memory (mkfs for the root's files,
// then a small editor below for directories, links, device nodes and the
// log), damages one thing on purpose, and checks that fsck reports exactly
// the kind of problem that damage is, and nothing else.
#define MKFS_NO_MAIN
#include "mkfs.cpp"
#define FSCK_NO_MAIN
#include "fsck.cpp"

#include <gtest/gtest.h>

#include <initializer_list>

#include "pattern.h"

namespace {

using fsck::Kind;

// A weft image in memory with just enough of a file system's operations to
// build test trees: allocate inodes and blocks, append to a file, add
// directory entries. It allocates the way the kernel does (lowest free
// inode, lowest clear bitmap bit) and keeps the bitmap and link counts
// right, so whatever a test does not damage stays consistent.
class Editor {
 public:
  explicit Editor(std::vector<uint8_t> bytes) : img_(std::move(bytes)) {
    std::memcpy(&sb_, block(1), sizeof sb_);
    datastart_ = sb_.size - sb_.nblocks;
  }

  std::vector<uint8_t>& bytes() { return img_; }
  const superblock& sb() const { return sb_; }
  uint32_t datastart() const { return datastart_; }
  uint8_t* block(uint32_t b) { return img_.data() + size_t{b} * BSIZE; }

  dinode inode(uint32_t inum) {
    dinode d;
    std::memcpy(&d, inode_bytes(inum), sizeof d);
    return d;
  }
  void put(uint32_t inum, const dinode& d) { std::memcpy(inode_bytes(inum), &d, sizeof d); }
  template <typename F>
  void edit(uint32_t inum, F f) {
    dinode d = inode(inum);
    f(d);
    put(inum, d);
  }

  bool bit(uint32_t b) { return (block(BBLOCK(b, sb_))[(b % BPB) / 8] >> (b % 8)) & 1; }
  void set_bit(uint32_t b, bool used) {
    uint8_t& byte = block(BBLOCK(b, sb_))[(b % BPB) / 8];
    uint8_t mask = static_cast<uint8_t>(1u << (b % 8));
    byte = used ? (byte | mask) : (byte & ~mask);
  }

  uint32_t alloc_block() {
    for (uint32_t b = datastart_; b < sb_.size; b++) {
      if (!bit(b)) {
        set_bit(b, true);
        std::memset(block(b), 0, BSIZE);
        return b;
      }
    }
    throw std::runtime_error("test image full");
  }
  uint32_t free_data_block() {  // a free block, left free
    for (uint32_t b = datastart_; b < sb_.size; b++)
      if (!bit(b)) return b;
    throw std::runtime_error("test image full");
  }

  uint32_t alloc_inode(int16_t type) {
    for (uint32_t inum = 1; inum < sb_.ninodes; inum++) {
      if (inode(inum).type == 0) {
        dinode d{};
        d.type = type;
        put(inum, d);
        return inum;
      }
    }
    throw std::runtime_error("no free inode");
  }
  uint32_t free_inode() {
    for (uint32_t inum = 1; inum < sb_.ninodes; inum++)
      if (inode(inum).type == 0) return inum;
    throw std::runtime_error("no free inode");
  }

  // Indirect table slot j of the block ind.
  uint32_t ind_get(uint32_t ind, uint32_t j) {
    uint32_t v;
    std::memcpy(&v, block(ind) + j * 4, 4);
    return v;
  }
  void ind_set(uint32_t ind, uint32_t j, uint32_t v) { std::memcpy(block(ind) + j * 4, &v, 4); }

  // The disk block of index idx of a file (0 if none).
  uint32_t block_of(uint32_t inum, uint32_t idx) {
    dinode d = inode(inum);
    if (idx < NDIRECT) return d.addrs[idx];
    return d.addrs[NDIRECT] ? ind_get(d.addrs[NDIRECT], idx - NDIRECT) : 0;
  }

  void append(uint32_t inum, std::span<const uint8_t> data) {
    dinode d = inode(inum);
    for (size_t done = 0; done < data.size();) {
      uint32_t idx = d.size / BSIZE;
      uint32_t b;
      if (idx < NDIRECT) {
        if (!d.addrs[idx]) d.addrs[idx] = alloc_block();
        b = d.addrs[idx];
      } else {
        if (!d.addrs[NDIRECT]) d.addrs[NDIRECT] = alloc_block();
        b = ind_get(d.addrs[NDIRECT], idx - NDIRECT);
        if (!b) {
          b = alloc_block();
          ind_set(d.addrs[NDIRECT], idx - NDIRECT, b);
        }
      }
      size_t n = std::min<size_t>(BSIZE - d.size % BSIZE, data.size() - done);
      std::memcpy(block(b) + d.size % BSIZE, data.data() + done, n);
      d.size += static_cast<uint32_t>(n);
      done += n;
    }
    put(inum, d);
  }

  // Appends a raw entry (no link count changes).
  void add_entry(uint32_t dir, const char* name, uint32_t inum) {
    dirent de{};
    de.inum = static_cast<uint16_t>(inum);
    std::memcpy(de.name, name, std::min<size_t>(std::strlen(name), DIRSIZ));
    append(dir, {reinterpret_cast<const uint8_t*>(&de), sizeof de});
  }
  dirent entry(uint32_t dir, uint32_t slot) {
    dirent de;
    uint32_t off = slot * sizeof(dirent);
    std::memcpy(&de, block(block_of(dir, off / BSIZE)) + off % BSIZE, sizeof de);
    return de;
  }
  void set_entry(uint32_t dir, uint32_t slot, const dirent& de) {
    uint32_t off = slot * sizeof(dirent);
    std::memcpy(block(block_of(dir, off / BSIZE)) + off % BSIZE, &de, sizeof de);
  }
  // The slot of name in dir; fails the test if there is none.
  uint32_t slot_of(uint32_t dir, const char* name) {
    uint32_t n = inode(dir).size / sizeof(dirent);
    for (uint32_t s = 0; s < n; s++) {
      dirent de = entry(dir, s);
      if (de.inum && std::strncmp(de.name, name, DIRSIZ) == 0) return s;
    }
    ADD_FAILURE() << "no entry " << name;
    return 0;
  }
  uint32_t lookup(uint32_t dir, const char* name) { return entry(dir, slot_of(dir, name)).inum; }

  // The kernel's create(): a new inode with one name.
  uint32_t mkfile(uint32_t dir, const char* name, const std::vector<uint8_t>& data) {
    uint32_t inum = alloc_inode(T_FILE);
    edit(inum, [](dinode& d) { d.nlink = 1; });
    append(inum, data);
    add_entry(dir, name, inum);
    return inum;
  }
  uint32_t mkdir(uint32_t parent, const char* name) {
    uint32_t inum = alloc_inode(T_DIR);
    edit(inum, [](dinode& d) { d.nlink = 1; });
    add_entry(inum, ".", inum);
    add_entry(inum, "..", parent);
    add_entry(parent, name, inum);
    edit(parent, [](dinode& d) { d.nlink++; });  // the child's ".."
    return inum;
  }
  uint32_t mknod(uint32_t dir, const char* name, int16_t major) {
    uint32_t inum = alloc_inode(T_DEVICE);
    edit(inum, [&](dinode& d) {
      d.nlink = 1;
      d.major = major;
    });
    add_entry(dir, name, inum);
    return inum;
  }
  void link(uint32_t dir, const char* name, uint32_t inum) {
    add_entry(dir, name, inum);
    edit(inum, [](dinode& d) { d.nlink++; });
  }

  // A committed log: the header and the logged copies, as the kernel's
  // commit leaves them at its commit point.
  void write_log(const std::vector<std::pair<uint32_t, std::vector<uint8_t>>>& blocks) {
    logheader h{};
    h.n = static_cast<uint32_t>(blocks.size());
    for (size_t i = 0; i < blocks.size(); i++) {
      h.block[i] = blocks[i].first;
      std::memcpy(block(sb_.logstart + 1 + static_cast<uint32_t>(i)), blocks[i].second.data(),
                  BSIZE);
    }
    h.sum = log_sum_start(h.n, h.block);
    for (size_t i = 0; i < blocks.size(); i++) h.sum = log_sum_add(h.sum, blocks[i].second.data());
    std::memset(block(sb_.logstart), 0, BSIZE);
    std::memcpy(block(sb_.logstart), &h, sizeof h);
  }
  void set_log_count(uint32_t n) { std::memcpy(block(sb_.logstart), &n, sizeof n); }

  std::vector<uint8_t> copy_block(uint32_t b) {
    return std::vector<uint8_t>(block(b), block(b) + BSIZE);
  }

 private:
  uint8_t* inode_bytes(uint32_t inum) {
    return block(IBLOCK(inum, sb_)) + (inum % IPB) * sizeof(dinode);
  }

  std::vector<uint8_t> img_;
  superblock sb_;
  uint32_t datastart_;
};

// Every problem, one per line, for failure messages.
std::string dump(const fsck::Report& r) {
  std::string s;
  for (const fsck::Problem& p : r.problems)
    s += std::string(fsck::kind_name(p.kind)) + ": " + p.text + "\n";
  return s.empty() ? "(no problems)\n" : s;
}

std::set<Kind> kinds(std::initializer_list<Kind> k) { return std::set<Kind>(k); }

// A tree with something of everything fsck looks at:
//   /hello  /big (indirect)  /three (3 blocks)  /twelve (NDIRECT blocks)
//   /console (device)  /d1/  /d1/x  /d1/abcdefghijklmn (DIRSIZ name)
//   /d1/d2/  /d1/d2/hl (a second name of /hello)
class Fsck : public ::testing::Test {
 protected:
  void SetUp() override {
    mkfs::Image img;
    ASSERT_EQ(img.add_file("hello", pattern(12, 1)), "");
    ASSERT_EQ(img.add_file("big", pattern((NDIRECT + 3) * BSIZE + 100, 2)), "");
    ASSERT_EQ(img.add_file("three", pattern(3 * BSIZE, 3)), "");
    ASSERT_EQ(img.add_file("twelve", pattern(NDIRECT * BSIZE, 4)), "");
    ed_ = std::make_unique<Editor>(std::move(img).finish());
    Editor& e = *ed_;
    hello_ = e.lookup(ROOTINO, "hello");
    big_ = e.lookup(ROOTINO, "big");
    three_ = e.lookup(ROOTINO, "three");
    twelve_ = e.lookup(ROOTINO, "twelve");
    console_ = e.mknod(ROOTINO, "console", 1);
    d1_ = e.mkdir(ROOTINO, "d1");
    x_ = e.mkfile(d1_, "x", pattern(5000, 5));
    e.mkfile(d1_, "abcdefghijklmn", pattern(10, 6));
    d2_ = e.mkdir(d1_, "d2");
    e.link(d2_, "hl", hello_);
  }

  Editor& e() { return *ed_; }
  fsck::Report check() { return fsck::check(ed_->bytes()); }

  // fsck finds exactly these kinds of problems (at least one of each).
  void expect_kinds(std::set<Kind> want) {
    fsck::Report r = check();
    EXPECT_EQ(r.kinds(), want) << dump(r);
  }

  std::unique_ptr<Editor> ed_;
  uint32_t hello_ = 0, big_ = 0, three_ = 0, twelve_ = 0, console_ = 0;
  uint32_t d1_ = 0, x_ = 0, d2_ = 0;
};

// ---------------------------------------------------------- consistent

TEST(FsckClean, FreshMkfsImage) {
  mkfs::Image img;
  ASSERT_EQ(img.add_file("a", pattern(100, 1)), "");
  ASSERT_EQ(img.add_file("b", pattern((NDIRECT + 1) * BSIZE, 2)), "");
  fsck::Report r = fsck::check(std::move(img).finish());
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.files, 2u);
  EXPECT_EQ(r.dirs, 1u);
  EXPECT_EQ(r.replayed, 0u);
  EXPECT_EQ(r.blocks, static_cast<uint32_t>(FSSIZE));
  // Metadata, the root's block, 1 + (NDIRECT + 1) + 1 for the files.
  EXPECT_EQ(r.blocks_used, mkfs::kLayout.datastart + 1 + 1 + NDIRECT + 1 + 1);
  std::string s = fsck::summary("x.img", r);
  EXPECT_NE(s.find("consistent"), std::string::npos) << s;
  EXPECT_EQ(s.find("orphan"), std::string::npos) << s;
}

TEST(FsckClean, EmptyMkfsImageAndTinyLayout) {
  EXPECT_TRUE(fsck::check(mkfs::Image().finish()).ok());
  mkfs::Image small(mkfs::make_layout(200, 2 * IPB, MAXOPBLOCKS));
  ASSERT_EQ(small.add_file("f", pattern(3000, 1)), "");
  fsck::Report r = fsck::check(std::move(small).finish());
  EXPECT_TRUE(r.ok()) << dump(r);
}

TEST_F(Fsck, TreeWithDirectoriesLinksAndDevicesIsConsistent) {
  fsck::Report r = check();
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.dirs, 3u);
  EXPECT_EQ(r.devices, 1u);
  EXPECT_EQ(r.files, 6u);
  EXPECT_EQ(e().inode(hello_).nlink, 2);
  EXPECT_EQ(e().inode(ROOTINO).nlink, 2);  // its own "..", d1's ".."
}

// The two block layouts past a file's end that the kernel can leave (see
// fsck.cpp, Sizes) are accepted.
TEST_F(Fsck, OneBlockPastTheEndIsAccepted) {
  // A write that allocated block 3 of a 3-block file and then faulted.
  uint32_t b = e().alloc_block();
  e().edit(three_, [&](dinode& d) { d.addrs[3] = b; });
  fsck::Report r = check();
  EXPECT_TRUE(r.ok()) << dump(r);
}

TEST_F(Fsck, EmptyIndirectBlockIsAcceptedWhenTheNextBlockNeedsIt) {
  // NDIRECT full blocks: the next write allocates the indirect block first.
  uint32_t ind = e().alloc_block();
  e().edit(twelve_, [&](dinode& d) { d.addrs[NDIRECT] = ind; });
  fsck::Report r = check();
  EXPECT_TRUE(r.ok()) << dump(r);
}

// ---------------------------------------------------------- the bitmap

TEST_F(Fsck, UsedBlockMarkedFree) {
  e().set_bit(e().block_of(x_, 1), false);
  expect_kinds({Kind::MarkedFree});
}

TEST_F(Fsck, IndirectBlockMarkedFree) {
  e().set_bit(e().inode(big_).addrs[NDIRECT], false);
  expect_kinds({Kind::MarkedFree});
}

TEST_F(Fsck, MetadataBlockMarkedFree) {
  e().set_bit(e().sb().inodestart, false);
  expect_kinds({Kind::MarkedFree});
}

TEST_F(Fsck, FreeBlockMarkedUsedIsALeak) {
  uint32_t b = e().free_data_block();
  e().set_bit(b, true);
  fsck::Report r = check();
  EXPECT_EQ(r.kinds(), kinds({Kind::Leak})) << dump(r);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].text.find(std::to_string(b)), std::string::npos);
}

// -------------------------------------------------------- block owners

TEST_F(Fsck, BlockOwnedByTwoInodes) {
  // x's block 0 also becomes three's block 0; three's own block is freed
  // so that only the sharing is wrong.
  uint32_t shared = e().block_of(x_, 0);
  uint32_t old = e().block_of(three_, 0);
  e().edit(three_, [&](dinode& d) { d.addrs[0] = shared; });
  e().set_bit(old, false);
  expect_kinds({Kind::DupBlock});
}

TEST_F(Fsck, BlockOwnedTwiceByOneInode) {
  // An indirect entry of big naming its own direct block 0.
  uint32_t ind = e().inode(big_).addrs[NDIRECT];
  uint32_t old = e().ind_get(ind, 1);
  e().ind_set(ind, 1, e().block_of(big_, 0));
  e().set_bit(old, false);
  expect_kinds({Kind::DupBlock});
}

TEST_F(Fsck, IndirectBlockAlsoADataBlock) {
  uint32_t ind = e().inode(big_).addrs[NDIRECT];
  uint32_t old = e().block_of(x_, 1);
  e().edit(x_, [&](dinode& d) { d.addrs[1] = ind; });
  e().set_bit(old, false);
  expect_kinds({Kind::DupBlock});
}

TEST_F(Fsck, BlockNumberOutsideTheImage) {
  uint32_t old = e().block_of(x_, 1);
  e().edit(x_, [&](dinode& d) { d.addrs[1] = e().sb().size + 7; });
  e().set_bit(old, false);
  expect_kinds({Kind::BadBlock});
}

TEST_F(Fsck, BlockNumberInTheMetadata) {
  uint32_t ind = e().inode(big_).addrs[NDIRECT];
  uint32_t old = e().ind_get(ind, 2);
  e().ind_set(ind, 2, e().sb().bmapstart);  // a file block over the bitmap
  e().set_bit(old, false);
  expect_kinds({Kind::BadBlock});
}

TEST_F(Fsck, IndirectBlockNumberOutOfRange) {
  // The table cannot be read, so its blocks are owned by nobody: leaks too.
  e().edit(big_, [&](dinode& d) { d.addrs[NDIRECT] = 1; });
  expect_kinds({Kind::BadBlock, Kind::Leak});
}

// --------------------------------------------------------------- sizes

TEST_F(Fsck, HoleInAFile) {
  uint32_t old = e().block_of(three_, 1);
  e().edit(three_, [](dinode& d) { d.addrs[1] = 0; });
  e().set_bit(old, false);
  expect_kinds({Kind::Size});
}

TEST_F(Fsck, BlocksPastTheEnd) {
  // A size cut to one block: block 1 is the one allowed spare, block 2 is not.
  e().edit(three_, [](dinode& d) { d.size = BSIZE; });
  fsck::Report r = check();
  EXPECT_EQ(r.kinds(), kinds({Kind::Size})) << dump(r);
  EXPECT_EQ(r.problems.size(), 1u) << dump(r);
}

TEST_F(Fsck, EmptyIndirectBlockOfASmallFile) {
  uint32_t ind = e().alloc_block();
  e().edit(three_, [&](dinode& d) { d.addrs[NDIRECT] = ind; });
  expect_kinds({Kind::Size});
}

TEST_F(Fsck, SizeBeyondTheLargestFile) {
  e().edit(x_, [](dinode& d) { d.size = MAXFILE * BSIZE + 1; });
  expect_kinds({Kind::Size});
}

TEST_F(Fsck, DirectorySizeNotWholeEntries) {
  e().edit(d2_, [](dinode& d) { d.size += 3; });
  expect_kinds({Kind::Size});
}

TEST_F(Fsck, DeviceWithContents) {
  e().edit(console_, [](dinode& d) { d.size = 10; });
  expect_kinds({Kind::Size});
}

// -------------------------------------------------------------- inodes

TEST_F(Fsck, UnknownInodeType) {
  e().edit(e().free_inode(), [](dinode& d) { d.type = 9; });
  expect_kinds({Kind::InodeType});
}

TEST_F(Fsck, InodeZeroInUse) {
  e().edit(0, [](dinode& d) { d.type = T_FILE; });
  expect_kinds({Kind::InodeType});
}

TEST_F(Fsck, RootIsNoDirectory) {
  // Nothing can be walked, so every other inode is unreachable as well.
  e().edit(ROOTINO, [](dinode& d) { d.type = T_FILE; });
  expect_kinds({Kind::InodeType, Kind::Unreachable});
}

// ---------------------------------------------------------- link counts

TEST_F(Fsck, FileLinkCountTooHigh) {
  e().edit(x_, [](dinode& d) { d.nlink = 2; });
  expect_kinds({Kind::Nlink});
}

TEST_F(Fsck, FileWithTwoNamesCountsOne) {
  e().edit(hello_, [](dinode& d) { d.nlink = 1; });
  expect_kinds({Kind::Nlink});
}

TEST_F(Fsck, DirectoryLinkCount) {
  // d1 has one subdirectory: nlink 2. Counting its "." would say 3.
  EXPECT_EQ(e().inode(d1_).nlink, 2);
  e().edit(d1_, [](dinode& d) { d.nlink = 3; });
  expect_kinds({Kind::Nlink});
}

TEST_F(Fsck, RootLinkCount) {
  e().edit(ROOTINO, [](dinode& d) { d.nlink = 1; });
  expect_kinds({Kind::Nlink});
}

// ---------------------------------------------------------- directories

TEST_F(Fsck, EntryNamesAFreeInode) {
  e().add_entry(d1_, "ghost", e().free_inode());
  expect_kinds({Kind::DirEntry});
}

TEST_F(Fsck, EntryNamesAnInodeBeyondTheTable) {
  e().add_entry(d1_, "far", e().sb().ninodes + 3);
  expect_kinds({Kind::DirEntry});
}

TEST_F(Fsck, DirectoryWithTwoNames) {
  e().add_entry(ROOTINO, "d2again", d2_);
  expect_kinds({Kind::DirEntry});
}

TEST_F(Fsck, MissingDotDot) {
  uint32_t slot = 1;
  ASSERT_EQ(e().entry(d2_, slot).inum, d1_);
  e().set_entry(d2_, slot, dirent{});
  expect_kinds({Kind::DotEntries});
}

TEST_F(Fsck, DotDotNamesTheWrongDirectory) {
  dirent de = e().entry(d2_, 1);
  de.inum = ROOTINO;
  e().set_entry(d2_, 1, de);
  expect_kinds({Kind::DotEntries});
}

TEST_F(Fsck, DotNamesAnotherInode) {
  dirent de = e().entry(d1_, 0);
  de.inum = static_cast<uint16_t>(d2_);
  e().set_entry(d1_, 0, de);
  expect_kinds({Kind::DotEntries});
}

TEST_F(Fsck, DotEntriesSwapped) {
  dirent dot = e().entry(d1_, 0);
  dirent dotdot = e().entry(d1_, 1);
  e().set_entry(d1_, 0, dotdot);
  e().set_entry(d1_, 1, dot);
  expect_kinds({Kind::DotEntries});
}

TEST_F(Fsck, ExtraDotDotLater) {
  e().add_entry(d1_, "..", ROOTINO);
  expect_kinds({Kind::DotEntries});
}

TEST_F(Fsck, DuplicateNames) {
  e().mkfile(d1_, "x", pattern(10, 9));  // a second, different "x"
  expect_kinds({Kind::DirName});
}

TEST_F(Fsck, NameNotNulPadded) {
  dirent de = e().entry(d1_, e().slot_of(d1_, "x"));
  de.name[3] = 'q';  // "x", NUL, NUL, 'q'
  e().set_entry(d1_, e().slot_of(d1_, "x"), de);
  expect_kinds({Kind::DirName});
}

TEST_F(Fsck, EmptyName) {
  uint32_t slot = e().slot_of(d1_, "x");
  dirent de = e().entry(d1_, slot);
  std::memset(de.name, 0, DIRSIZ);
  e().set_entry(d1_, slot, de);
  expect_kinds({Kind::DirName});
}

TEST_F(Fsck, SlashInName) {
  uint32_t slot = e().slot_of(d1_, "x");
  dirent de = e().entry(d1_, slot);
  std::memcpy(de.name, "a/b", 3);
  e().set_entry(d1_, slot, de);
  expect_kinds({Kind::DirName});
}

// --------------------------------------------------------- reachability

TEST_F(Fsck, UnreachableFile) {
  // Allocated and owning a block, named by nobody.
  uint32_t inum = e().alloc_inode(T_FILE);
  e().edit(inum, [](dinode& d) { d.nlink = 1; });
  e().append(inum, pattern(100, 7));
  fsck::Report r = check();
  EXPECT_EQ(r.kinds(), kinds({Kind::Unreachable})) << dump(r);
  EXPECT_EQ(r.problems.size(), 1u);
}

// What a crash leaves of a file unlinked while open: nlink 0, no name. The
// kernel frees it at the next boot, so it is no problem; it is counted.
TEST_F(Fsck, OrphanFileIsConsistent) {
  e().set_entry(d1_, e().slot_of(d1_, "x"), dirent{});
  e().edit(x_, [](dinode& d) { d.nlink = 0; });
  fsck::Report r = check();
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.orphans, 1u);
  EXPECT_EQ(r.orphan_blocks, 2u);  // 5000 bytes
  EXPECT_EQ(r.files, 6u);          // still allocated, so still counted
  std::string s = fsck::summary("x.img", r);
  EXPECT_NE(s.find("; 1 orphan (2 blocks), freed at the next boot"), std::string::npos) << s;
}

TEST_F(Fsck, OrphanBlocksIncludeTheIndexBlock) {
  e().set_entry(ROOTINO, e().slot_of(ROOTINO, "big"), dirent{});
  e().edit(big_, [](dinode& d) { d.nlink = 0; });
  e().set_entry(ROOTINO, e().slot_of(ROOTINO, "three"), dirent{});
  e().edit(three_, [](dinode& d) { d.nlink = 0; });
  fsck::Report r = check();
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.orphans, 2u);
  // big: NDIRECT + 4 data blocks and its indirect block; three: 3 blocks.
  EXPECT_EQ(r.orphan_blocks, NDIRECT + 4 + 1 + 3);
  std::string s = fsck::summary("x.img", r);
  EXPECT_NE(s.find("; 2 orphans (19 blocks)"), std::string::npos) << s;
}

// A directory removed while it was a cwd: its "." and ".." stay, but unlink
// took its ".." off the parent's link count.
TEST_F(Fsck, OrphanDirectoryIsConsistent) {
  uint32_t gone = e().mkdir(d1_, "gone");
  e().set_entry(d1_, e().slot_of(d1_, "gone"), dirent{});
  e().edit(d1_, [](dinode& d) { d.nlink--; });
  e().edit(gone, [](dinode& d) { d.nlink = 0; });
  fsck::Report r = check();
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.orphans, 1u);
  EXPECT_EQ(r.orphan_blocks, 1u);
}

TEST_F(Fsck, UnreachableWithALinkIsNoOrphan) {
  // The name is gone, the link count says there is one: an error.
  e().set_entry(d1_, e().slot_of(d1_, "x"), dirent{});
  fsck::Report r = check();
  EXPECT_EQ(r.kinds(), kinds({Kind::Unreachable})) << dump(r);
  EXPECT_EQ(r.count(Kind::Unreachable), 1u) << dump(r);
  EXPECT_EQ(r.orphans, 0u);
}

TEST_F(Fsck, NoLinksButNamedOutsideTheTreeIsNoOrphan) {
  // d1 cut off the root (an error), and x, named in d1, with nlink 0: the
  // kernel would not free it (d1 still names it), so it is reported too.
  e().set_entry(ROOTINO, e().slot_of(ROOTINO, "d1"), dirent{});
  e().edit(ROOTINO, [](dinode& d) { d.nlink--; });
  e().edit(hello_, [](dinode& d) { d.nlink--; });
  e().edit(x_, [](dinode& d) { d.nlink = 0; });
  fsck::Report r = check();
  EXPECT_EQ(r.kinds(), kinds({Kind::Unreachable})) << dump(r);
  EXPECT_EQ(r.count(Kind::Unreachable), 4u) << dump(r);
  EXPECT_EQ(r.orphans, 0u);
}

TEST_F(Fsck, UnreachableSubtree) {
  // Cutting d1 off the root leaves d1, x, abcdefghijklmn and d2 unreachable
  // (hello stays reachable, but one of its two names is gone).
  e().set_entry(ROOTINO, e().slot_of(ROOTINO, "d1"), dirent{});
  e().edit(ROOTINO, [](dinode& d) { d.nlink--; });
  e().edit(hello_, [](dinode& d) { d.nlink--; });
  fsck::Report r = check();
  EXPECT_EQ(r.kinds(), kinds({Kind::Unreachable})) << dump(r);
  EXPECT_EQ(r.count(Kind::Unreachable), 4u) << dump(r);
}

// ---------------------------------------------------------- superblock

TEST_F(Fsck, BadMagic) {
  superblock sb = e().sb();
  sb.magic ^= 1;
  std::memcpy(e().block(1), &sb, sizeof sb);
  expect_kinds({Kind::Superblock});
}

TEST_F(Fsck, SizeLargerThanTheImage) {
  e().bytes().resize(e().bytes().size() - BSIZE);  // a truncated image
  expect_kinds({Kind::Superblock});
}

TEST_F(Fsck, RegionsOverlap) {
  superblock sb = e().sb();
  sb.inodestart = sb.logstart + 3;  // inside the log
  std::memcpy(e().block(1), &sb, sizeof sb);
  expect_kinds({Kind::Superblock});
  sb = e().sb();
  sb.nblocks += 2;  // data area over the bitmap
  std::memcpy(e().block(1), &sb, sizeof sb);
  expect_kinds({Kind::Superblock});
}

TEST(FsckSuperblock, ImageTooSmall) {
  fsck::Report r = fsck::check(std::vector<uint8_t>(BSIZE, 0));
  EXPECT_EQ(r.kinds(), kinds({Kind::Superblock})) << dump(r);
  r = fsck::check({});
  EXPECT_EQ(r.kinds(), kinds({Kind::Superblock})) << dump(r);
}

// ----------------------------------------------------------------- log

// A crash in the middle of installing a committed group: the group (create
// /d1/new with three blocks, one more name for x) is in the log, and only
// some of its blocks reached home.
class FsckLog : public Fsck {
 protected:
  void SetUp() override {
    Fsck::SetUp();
    std::vector<uint8_t> before = e().bytes();
    new_ = e().mkfile(d1_, "new", pattern(3 * BSIZE - 5, 11));
    e().link(d2_, "x2", x_);
    std::vector<uint8_t> after = e().bytes();
    // The group: every block the operations changed, in block order.
    for (uint32_t b = 0; b < e().sb().size; b++) {
      if (std::memcmp(&before[size_t{b} * BSIZE], &after[size_t{b} * BSIZE], BSIZE) != 0)
        group_.push_back({b, e().copy_block(b)});
    }
    ASSERT_GE(group_.size(), 5u);  // inode, bitmap, 3 data, dir blocks...
    // Home: every changed block but the bitmap's is installed.
    bitmap_ = BBLOCK(e().block_of(new_, 0), e().sb());
    e().bytes() = before;
    before_ = before;
    for (auto& [b, data] : group_)
      if (b != bitmap_) std::memcpy(e().block(b), data.data(), BSIZE);
    e().write_log(group_);
  }

  uint32_t new_ = 0;
  uint32_t bitmap_ = 0;
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> group_;
  std::vector<uint8_t> before_;  // the image before the group
};

TEST_F(FsckLog, ReplayMakesAHalfInstalledGroupConsistent) {
  fsck::Report r = check();
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.replayed, group_.size());
  EXPECT_EQ(r.files, 7u);  // the new file is there
  EXPECT_NE(fsck::summary("x", r).find("replayed"), std::string::npos);
}

TEST_F(FsckLog, WithoutTheLogTheHomeBlocksAreInconsistent) {
  // The control: the same home blocks with the header's count cleared.
  e().set_log_count(0);
  fsck::Report r = check();
  EXPECT_EQ(r.replayed, 0u);
  EXPECT_EQ(r.kinds(), kinds({Kind::MarkedFree})) << dump(r);
}

TEST_F(FsckLog, AGroupWithoutAllItsBlocksIsDropped) {
  // A crash while the group was being written: the header reached the
  // disk, one logged block did not. The checksum tells, and nothing home
  // had been touched yet.
  std::vector<uint8_t> log(e().bytes().begin() + size_t{e().sb().logstart} * BSIZE,
                           e().bytes().begin() + size_t{e().sb().logstart + 1 + 3} * BSIZE);
  e().bytes() = before_;
  std::memcpy(e().block(e().sb().logstart), log.data(), log.size());  // header + 2 blocks
  fsck::Report r = check();
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.replayed, 0u);
  EXPECT_EQ(r.dropped, group_.size());
  EXPECT_NE(fsck::summary("x", r).find("never committed"), std::string::npos);
}

TEST_F(FsckLog, OneChangedByteInTheLogDropsTheGroup) {
  e().block(e().sb().logstart + 1)[100] ^= 1;
  fsck::Report r = check();
  EXPECT_EQ(r.replayed, 0u);
  EXPECT_EQ(r.dropped, group_.size());
  EXPECT_EQ(r.kinds(), kinds({Kind::MarkedFree})) << dump(r);  // as if no log
}

TEST_F(FsckLog, ReplayingOverAFullyInstalledGroupIsHarmless) {
  for (auto& [b, data] : group_) std::memcpy(e().block(b), data.data(), BSIZE);
  fsck::Report r = check();
  EXPECT_TRUE(r.ok()) << dump(r);
}

TEST_F(FsckLog, ReplayOfADamagedBlockIsCheckedAfterwards) {
  // The logged bitmap block lost the new file's bits: the replay itself
  // produces the inconsistency.
  for (auto& [b, data] : group_) {
    if (b != bitmap_) continue;
    for (uint32_t i = 0; i < 3; i++) {
      uint32_t blk = e().block_of(new_, i);
      data[(blk % BPB) / 8] &= static_cast<uint8_t>(~(1u << (blk % 8)));
    }
  }
  e().write_log(group_);
  fsck::Report r = check();
  EXPECT_EQ(r.replayed, group_.size());
  EXPECT_EQ(r.kinds(), kinds({Kind::MarkedFree})) << dump(r);
  EXPECT_EQ(r.count(Kind::MarkedFree), 3u) << dump(r);
}

TEST_F(FsckLog, HeaderCountBeyondTheLog) {
  // Not replayed; the home blocks (half installed) are checked as they are.
  for (auto& [b, data] : group_) std::memcpy(e().block(b), data.data(), BSIZE);
  e().set_log_count(e().sb().nlog);  // one more than it can hold
  fsck::Report r = check();
  EXPECT_EQ(r.replayed, 0u);
  EXPECT_EQ(r.kinds(), kinds({Kind::Log})) << dump(r);
}

TEST_F(FsckLog, HomeBlockOutsideTheImage) {
  for (auto& [b, data] : group_) std::memcpy(e().block(b), data.data(), BSIZE);
  group_.back().first = e().sb().size;
  e().write_log(group_);
  expect_kinds({Kind::Log});
}

TEST_F(FsckLog, HomeBlockIsTheSuperblock) {
  for (auto& [b, data] : group_) std::memcpy(e().block(b), data.data(), BSIZE);
  group_.push_back({1, e().copy_block(1)});
  e().write_log(group_);
  expect_kinds({Kind::Log});
}

TEST_F(FsckLog, BlockLoggedTwice) {
  for (auto& [b, data] : group_) std::memcpy(e().block(b), data.data(), BSIZE);
  group_.push_back(group_.front());
  e().write_log(group_);
  expect_kinds({Kind::Log});
}

}  // namespace

// ------------------------------------------------- double-indirect files

// A file reaching into the double-indirect region (two of its indirect
// blocks used), as mkfs and the kernel lay it out.
class FsckDouble : public ::testing::Test {
 protected:
  static constexpr uint32_t kBlocks = NDIRECT + NINDIRECT + NINDIRECT + 5;
  void SetUp() override {
    mkfs::Image img;
    ASSERT_EQ(img.add_file("huge", pattern(size_t{kBlocks} * BSIZE - 7, 9)), "");
    ASSERT_EQ(img.add_file("small", pattern(100, 8)), "");
    ed_ = std::make_unique<Editor>(std::move(img).finish());
    huge_ = ed_->lookup(ROOTINO, "huge");
    small_ = ed_->lookup(ROOTINO, "small");
  }
  std::set<Kind> found() { return fsck::check(ed_->bytes()).kinds(); }
  uint32_t mid(uint32_t k) { return ed_->ind_get(ed_->inode(huge_).addrs[NDIRECT + 1], k); }

  std::unique_ptr<Editor> ed_;
  uint32_t huge_ = 0, small_ = 0;
};

TEST_F(FsckDouble, IsConsistent) {
  fsck::Report r = fsck::check(ed_->bytes());
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_NE(mid(1), 0u);
  EXPECT_EQ(mid(2), 0u);
}

TEST_F(FsckDouble, BlockSharedThroughTheSecondLevelIsADuplicate) {
  uint32_t shared = ed_->inode(small_).addrs[0];
  ed_->ind_set(mid(1), 2, shared);
  // And the block it named before is owned by nobody now.
  EXPECT_EQ(found(), kinds({Kind::DupBlock, Kind::Leak}));
}

TEST_F(FsckDouble, MissingSecondLevelBlockIsAHole) {
  // Drop indirect block 1 of the double-indirect block: its blocks become
  // holes, and the blocks it named (and it) leaks.
  ed_->ind_set(ed_->inode(huge_).addrs[NDIRECT + 1], 1, 0);
  EXPECT_EQ(found(), kinds({Kind::Size, Kind::Leak}));
}

TEST_F(FsckDouble, EmptyIndexBlockPastTheEndIsReported) {
  // An empty indirect block 3 (covering blocks far past the end).
  uint32_t spare = mid(1);
  ed_->ind_set(ed_->inode(huge_).addrs[NDIRECT + 1], 3, spare);
  for (uint32_t j = 0; j < NINDIRECT; j++) ed_->ind_set(spare, j, 0);
  ed_->ind_set(ed_->inode(huge_).addrs[NDIRECT + 1], 1, 0);
  std::set<Kind> k = found();
  EXPECT_TRUE(k.count(Kind::Size)) << "kinds found: " << k.size();
}
