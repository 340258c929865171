// Tests for tools/mkfs.cpp and the on-disk layout in include/weft/fs.h.
//
// Images are read back with nothing but the fs.h structures and macros, the
// way the kernel reads them, not with mkfs's own helpers: a bug in the
// writer then cannot hide behind the same bug in the reader.
#define MKFS_NO_MAIN
#include "mkfs.cpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <set>

#include "pattern.h"

namespace {

namespace fs = std::filesystem;

// A finished image, read through the on-disk structures. Out-of-range
// accesses throw (vector::at), which GoogleTest reports as a failure.
class Disk {
 public:
  explicit Disk(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {
    sb_ = get<superblock>(1, 0);
  }

  template <typename T>
  T get(uint32_t blockno, size_t off) const {
    size_t at = size_t{blockno} * BSIZE + off;
    (void)bytes_.at(at + sizeof(T) - 1);  // bounds check
    T v;
    std::memcpy(&v, &bytes_[at], sizeof v);
    return v;
  }

  const superblock& sb() const { return sb_; }
  size_t bytes() const { return bytes_.size(); }

  dinode inode(uint32_t inum) const {
    return get<dinode>(IBLOCK(inum, sb_), (inum % IPB) * sizeof(dinode));
  }

  // Data blocks of a file in file order; the indirect block (if any) is
  // reported separately because it holds no file bytes.
  std::vector<uint32_t> data_blocks(const dinode& d, uint32_t* indirect = nullptr) const {
    uint32_t n = (d.size + BSIZE - 1) / BSIZE;
    std::vector<uint32_t> out;
    for (uint32_t i = 0; i < n && i < NDIRECT; i++) out.push_back(d.addrs[i]);
    if (indirect) *indirect = d.addrs[NDIRECT];
    for (uint32_t i = NDIRECT; i < n && i < NDIRECT + NINDIRECT; i++)
      out.push_back(get<uint32_t>(d.addrs[NDIRECT], (i - NDIRECT) * sizeof(uint32_t)));
    // Past those, through the double-indirect block.
    for (uint32_t i = NDIRECT + NINDIRECT; i < n; i++) {
      uint32_t k = i - NDIRECT - NINDIRECT;
      uint32_t mid = get<uint32_t>(d.addrs[NDIRECT + 1], (k / NINDIRECT) * sizeof(uint32_t));
      out.push_back(get<uint32_t>(mid, (k % NINDIRECT) * sizeof(uint32_t)));
    }
    return out;
  }

  std::vector<uint8_t> contents(const dinode& d) const {
    std::vector<uint8_t> out;
    uint32_t left = d.size;
    for (uint32_t b : data_blocks(d)) {
      uint32_t n = std::min<uint32_t>(left, BSIZE);
      auto first = bytes_.begin() + static_cast<std::ptrdiff_t>(size_t{b} * BSIZE);
      out.insert(out.end(), first, first + n);
      left -= n;
    }
    return out;
  }

  // Directory entries in on-disk order: (name, inum), free entries skipped.
  std::vector<std::pair<std::string, uint32_t>> entries(uint32_t dir) const {
    std::vector<uint8_t> raw = contents(inode(dir));
    std::vector<std::pair<std::string, uint32_t>> out;
    for (size_t off = 0; off + sizeof(dirent) <= raw.size(); off += sizeof(dirent)) {
      dirent de;
      std::memcpy(&de, &raw[off], sizeof de);
      if (de.inum == 0) continue;
      out.emplace_back(std::string(de.name, strnlen(de.name, DIRSIZ)), de.inum);
    }
    return out;
  }

  bool used(uint32_t b) const {
    uint8_t byte = get<uint8_t>(BBLOCK(b, sb_), (b % BPB) / 8);
    return (byte >> (b % 8)) & 1;
  }

 private:
  std::vector<uint8_t> bytes_;
  superblock sb_;
};

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A fresh directory for the input files and the image, removed afterwards.
class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "weft-mkfs-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& rel, const std::vector<uint8_t>& data) {
    fs::path p = dir_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    return p.string();
  }
  std::string image_path() const { return (dir_ / "fs.img").string(); }
  Disk read_image() const {
    std::vector<uint8_t> bytes;
    EXPECT_TRUE(mkfs::read_host_file(image_path(), bytes));
    return Disk(std::move(bytes));
  }

  fs::path dir_;
};

TEST(Layout, RegionsFollowEachOtherInOrder) {
  const superblock& sb = mkfs::kLayout.sb;
  EXPECT_EQ(sb.magic, static_cast<uint32_t>(FSMAGIC));
  EXPECT_EQ(sb.size, static_cast<uint32_t>(FSSIZE));
  EXPECT_EQ(sb.ninodes, static_cast<uint32_t>(NINODES));
  EXPECT_EQ(sb.nlog, static_cast<uint32_t>(LOGBLOCKS + 1));
  EXPECT_EQ(sb.logstart, 2u);  // block 0 unused, block 1 the superblock
  EXPECT_EQ(sb.inodestart, sb.logstart + sb.nlog);
  // The inode blocks hold every inode, and not a whole block more.
  uint32_t ninodeblocks = sb.bmapstart - sb.inodestart;
  EXPECT_GE(ninodeblocks * IPB, sb.ninodes);
  EXPECT_LT((ninodeblocks - 1) * IPB, sb.ninodes);
  // Likewise the bitmap has a bit for every block.
  uint32_t datastart = sb.size - sb.nblocks;
  uint32_t nbitmap = datastart - sb.bmapstart;
  EXPECT_GE(nbitmap * BPB, sb.size);
  EXPECT_LT((nbitmap - 1) * BPB, sb.size);
  EXPECT_EQ(mkfs::kLayout.datastart, datastart);
  // The last inode and the last block map into their regions.
  EXPECT_LT(IBLOCK(NINODES - 1, sb), sb.bmapstart);
  EXPECT_LT(BBLOCK(FSSIZE - 1, sb), datastart);
}

TEST(Layout, SmallImage) {
  mkfs::Layout l = mkfs::make_layout(100, 2 * IPB + 1, 10);
  EXPECT_EQ(l.sb.nlog, 11u);
  EXPECT_EQ(l.sb.inodestart, 13u);
  EXPECT_EQ(l.ninodeblocks, 3u);
  EXPECT_EQ(l.sb.bmapstart, 16u);
  EXPECT_EQ(l.nbitmap, 1u);
  EXPECT_EQ(l.datastart, 17u);
  EXPECT_EQ(l.sb.nblocks, 83u);
}

TEST(DiskName, StripsDirectoriesAndOneUnderscore) {
  EXPECT_EQ(mkfs::disk_name("build/bin/_cat"), "cat");
  EXPECT_EQ(mkfs::disk_name("/a/b/README.md"), "README.md");
  EXPECT_EQ(mkfs::disk_name("_init"), "init");
  EXPECT_EQ(mkfs::disk_name("__x"), "_x");
  EXPECT_EQ(mkfs::disk_name("dir/plain_name"), "plain_name");
}

class MkfsImage : public TempDir {
 protected:
  void SetUp() override {
    TempDir::SetUp();
    // A small file, an empty one, one that needs the indirect block, one at
    // exactly DIRSIZ bytes of name, and one given with directories and '_'.
    files_ = {
        {"hello", bytes_vec("hello, weft\n")},
        {"empty", {}},
        {"big", pattern((NDIRECT + 3) * BSIZE + 123, 7)},
        {"fourteen_chars", pattern(BSIZE, 8)},  // exactly one block
        {"cat", pattern(5000, 9)},
    };
    std::vector<std::string> paths = {
        write("hello", files_["hello"]),
        write("empty", files_["empty"]),
        write("big", files_["big"]),
        write("fourteen_chars", files_["fourteen_chars"]),
        write("build/bin/_cat", files_["cat"]),
    };
    ASSERT_EQ(mkfs::build_image_file(image_path(), paths), "");
  }
  static std::vector<uint8_t> bytes_vec(const std::string& s) { return {s.begin(), s.end()}; }

  std::map<std::string, std::vector<uint8_t>> files_;
};

TEST_F(MkfsImage, SuperblockAndEmptyLog) {
  Disk d = read_image();
  ASSERT_EQ(d.bytes(), size_t{FSSIZE} * BSIZE);
  const superblock& sb = d.sb();
  const superblock& want = mkfs::kLayout.sb;
  EXPECT_EQ(std::memcmp(&sb, &want, sizeof sb), 0);
  EXPECT_EQ(sb.magic, static_cast<uint32_t>(FSMAGIC));
  EXPECT_EQ(sb.size, static_cast<uint32_t>(FSSIZE));
  // The whole log, header first, is zero: n == 0, nothing to recover.
  for (uint32_t b = sb.logstart; b < sb.logstart + sb.nlog; b++)
    for (size_t off = 0; off < BSIZE; off += 8) ASSERT_EQ(d.get<uint64_t>(b, off), 0u);
  // Block 0 is unused.
  for (size_t off = 0; off < BSIZE; off += 8) ASSERT_EQ(d.get<uint64_t>(0, off), 0u);
}

TEST_F(MkfsImage, RootDirectoryListsDotDotDotAndFiles) {
  Disk d = read_image();
  dinode root = d.inode(ROOTINO);
  EXPECT_EQ(root.type, T_DIR);
  EXPECT_GE(root.nlink, 1);
  EXPECT_EQ(root.size % sizeof(dirent), 0u);
  auto ents = d.entries(ROOTINO);
  ASSERT_EQ(ents.size(), 2 + files_.size());
  EXPECT_EQ(ents[0], (std::pair<std::string, uint32_t>{".", ROOTINO}));
  EXPECT_EQ(ents[1], (std::pair<std::string, uint32_t>{"..", ROOTINO}));
  std::set<std::string> names;
  std::set<uint32_t> inums;
  for (size_t i = 2; i < ents.size(); i++) {
    names.insert(ents[i].first);
    inums.insert(ents[i].second);
  }
  std::set<std::string> want;
  for (auto& [name, data] : files_) want.insert(name);
  EXPECT_EQ(names, want);
  EXPECT_EQ(inums.size(), files_.size()) << "two names share an inode";
  EXPECT_EQ(inums.count(0), 0u);
  EXPECT_EQ(inums.count(ROOTINO), 0u);
}

TEST_F(MkfsImage, FilesHaveTheirSizesAndContents) {
  Disk d = read_image();
  for (auto& [name, inum] : d.entries(ROOTINO)) {
    if (name == "." || name == "..") continue;
    SCOPED_TRACE(name);
    ASSERT_LT(inum, d.sb().ninodes);
    dinode ino = d.inode(inum);
    EXPECT_EQ(ino.type, T_FILE);
    EXPECT_EQ(ino.nlink, 1);
    EXPECT_EQ(ino.size, files_[name].size());
    EXPECT_EQ(d.contents(ino), files_[name]);
  }
  // The big file really goes through the indirect block.
  auto ents = d.entries(ROOTINO);
  auto big = std::find_if(ents.begin(), ents.end(), [](auto& e) { return e.first == "big"; });
  ASSERT_NE(big, ents.end());
  EXPECT_NE(d.inode(big->second).addrs[NDIRECT], 0u);
}

TEST_F(MkfsImage, BitmapMarksExactlyTheUsedBlocks) {
  Disk d = read_image();
  const superblock& sb = d.sb();
  uint32_t datastart = sb.size - sb.nblocks;
  std::set<uint32_t> used;
  for (uint32_t b = 0; b < datastart; b++) used.insert(b);  // metadata
  // Every block referenced from an allocated inode, each exactly once.
  for (uint32_t inum = 1; inum < sb.ninodes; inum++) {
    dinode ino = d.inode(inum);
    if (ino.type == 0) continue;
    uint32_t indirect = 0;
    std::vector<uint32_t> blocks = d.data_blocks(ino, &indirect);
    if (indirect) blocks.push_back(indirect);
    for (uint32_t b : blocks) {
      ASSERT_GE(b, datastart) << "inode " << inum << " uses a metadata block";
      ASSERT_LT(b, sb.size);
      ASSERT_TRUE(used.insert(b).second) << "block " << b << " used twice";
    }
  }
  for (uint32_t b = 0; b < sb.size; b++)
    ASSERT_EQ(d.used(b), used.count(b) == 1) << "block " << b;
}

TEST_F(MkfsImage, UnusedInodesAreFree) {
  Disk d = read_image();
  EXPECT_EQ(d.inode(0).type, 0);  // inum 0 means "free" in a dirent
  uint32_t allocated = 0;
  for (uint32_t inum = 1; inum < d.sb().ninodes; inum++)
    if (d.inode(inum).type != 0) allocated++;
  EXPECT_EQ(allocated, 1 + files_.size());
}

TEST_F(TempDir, TooLongNameIsRejectedAndNoImageWritten) {
  std::string ok = write("abcdefghijklmn", {1});      // DIRSIZ bytes: fine
  std::string bad = write("abcdefghijklmno", {2});    // one more: rejected
  std::string err = mkfs::build_image_file(image_path(), {ok, bad});
  EXPECT_NE(err.find("longer than"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(image_path()));
}

TEST_F(TempDir, TooBigFileIsRejected) {
  std::string bad = write("huge", std::vector<uint8_t>(size_t{MAXFILE} * BSIZE + 1, 'x'));
  std::string err = mkfs::build_image_file(image_path(), {bad});
  EXPECT_NE(err.find("too big"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(image_path()));
}

TEST_F(TempDir, UnreadableInputIsRejected) {
  std::string err = mkfs::build_image_file(image_path(), {(dir_ / "missing").string()});
  EXPECT_NE(err.find("cannot read"), std::string::npos) << err;
}

TEST(Image, LargestFileFits) {
  mkfs::Image img;
  std::vector<uint8_t> data = pattern(size_t{MAXFILE} * BSIZE, 3);
  ASSERT_EQ(img.add_file("max", data), "");
  Disk d(std::move(img).finish());
  auto ents = d.entries(ROOTINO);
  ASSERT_EQ(ents.size(), 3u);
  EXPECT_EQ(d.contents(d.inode(ents[2].second)), data);
}

TEST(Image, BadNamesAreRejected) {
  mkfs::Image img;
  EXPECT_NE(img.add_file("", bytes_of("x")), "");
  EXPECT_NE(img.add_file(".", bytes_of("x")), "");
  EXPECT_NE(img.add_file("..", bytes_of("x")), "");
  EXPECT_NE(img.add_file("a/b", bytes_of("x")), "");
  EXPECT_EQ(img.add_file("a", bytes_of("x")), "");
  EXPECT_NE(img.add_file("a", bytes_of("y")).find("duplicate"), std::string::npos);
  // A rejected name allocates nothing.
  Disk d(std::move(img).finish());
  EXPECT_EQ(d.entries(ROOTINO).size(), 3u);
  EXPECT_EQ(d.inode(3).type, 0);
}

TEST(Image, RunsOutOfBlocksAndInodes) {
  // 40 blocks: 2 + 5 log + 1 inode block + 1 bitmap = 9 metadata, 31 data.
  {
    mkfs::Image img(mkfs::make_layout(40, IPB, 4));
    // The root directory takes one data block, leaving 30.
    // 29 data blocks and the indirect block use up the rest exactly.
    EXPECT_EQ(img.add_file("fits", pattern(29 * BSIZE, 1)), "");
    EXPECT_NE(img.add_file("more", bytes_of("x")).find("full"), std::string::npos);
  }
  {
    mkfs::Image img(mkfs::make_layout(40, 4, 4));  // inodes 0..3, root is 1
    EXPECT_EQ(img.add_file("a", bytes_of("a")), "");
    EXPECT_EQ(img.add_file("b", bytes_of("b")), "");
    EXPECT_NE(img.add_file("c", bytes_of("c")).find("inodes"), std::string::npos);
  }
}

}  // namespace
