// Host tests for path splitting (kernel/fs/path.h), the code every path
// lookup in the kernel runs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fs/path.h"

namespace {

// All elements of path, or {"<error>"} if an element is refused.
std::vector<std::string> split(const char* path) {
  std::vector<std::string> out;
  char name[DIRSIZ + 1];
  for (;;) {
    Result<const char*> rest = next_element(path, name);
    if (!rest.ok()) return {"<error>"};
    if (rest.value() == nullptr) return out;
    out.push_back(name);
    path = rest.value();
  }
}

TEST(Path, SplitsOnSlashes) {
  EXPECT_EQ(split("a/b/c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split("/usr/bin"), (std::vector<std::string>{"usr", "bin"}));
}

TEST(Path, RepeatedAndTrailingSlashesAreIgnored) {
  EXPECT_EQ(split("//a///b/"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split("/"), std::vector<std::string>{});
  EXPECT_EQ(split(""), std::vector<std::string>{});
}

TEST(Path, DotsAreOrdinaryElements) {
  EXPECT_EQ(split("./../x"), (std::vector<std::string>{".", "..", "x"}));
}

TEST(Path, RestTellsWhetherTheElementWasTheLast) {
  char name[DIRSIZ + 1];
  Result<const char*> r = next_element("dir/file//", name);
  ASSERT_TRUE(r.ok());
  EXPECT_STREQ(name, "dir");
  EXPECT_STREQ(r.value(), "file//");
  r = next_element(r.value(), name);
  ASSERT_TRUE(r.ok());
  EXPECT_STREQ(name, "file");
  EXPECT_STREQ(r.value(), "");  // empty rest: "file" was the last element
}

TEST(Path, NamesUpToDirsizAreKeptLongerOnesRefused) {
  std::string exact(DIRSIZ, 'n');
  std::string longer(DIRSIZ + 1, 'n');
  EXPECT_EQ(split(("/d/" + exact).c_str()), (std::vector<std::string>{"d", exact}));
  EXPECT_EQ(split(("/d/" + longer).c_str()), std::vector<std::string>{"<error>"});
  EXPECT_EQ(split((longer + "/d").c_str()), std::vector<std::string>{"<error>"});
}

}  // namespace
