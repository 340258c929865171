// Host tests for the kernel's header-only library pieces: the intrusive list
// the run queue and futex buckets use, and Result with TRY/CHECK.
#include <gtest/gtest.h>

#include <vector>

#include "lib/list.h"
#include "lib/result.h"

namespace {

struct Item {
  int v;
  ListNode node;
};
using List = IntrusiveList<Item, &Item::node>;

std::vector<int> values(List& l) {
  std::vector<int> out;
  for (Item* x = l.front(); x; x = l.next(x)) out.push_back(x->v);
  return out;
}

TEST(IntrusiveList, StartsEmptyAndUnlinked) {
  List l;
  Item a{1, {}};
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.front(), nullptr);
  EXPECT_EQ(l.pop_front(), nullptr);
  EXPECT_FALSE(a.node.linked());
}

TEST(IntrusiveList, PushBackIsFifoPushFrontIsLifo) {
  List l;
  Item a{1, {}}, b{2, {}}, c{3, {}};
  l.push_back(&a);
  l.push_back(&b);
  l.push_front(&c);
  EXPECT_EQ(values(l), (std::vector<int>{3, 1, 2}));
  EXPECT_TRUE(a.node.linked());
  EXPECT_EQ(l.pop_front(), &c);
  EXPECT_EQ(l.pop_front(), &a);
  EXPECT_EQ(l.pop_front(), &b);
  EXPECT_TRUE(l.empty());
  EXPECT_FALSE(b.node.linked());
}

TEST(IntrusiveList, RemoveFromAnyPlaceWhileIterating) {
  List l;
  Item items[5] = {{0, {}}, {1, {}}, {2, {}}, {3, {}}, {4, {}}};
  for (Item& it : items) l.push_back(&it);
  // Remove the odd ones, fetching next before removing (as futex wake does).
  for (Item* x = l.front(); x;) {
    Item* next = l.next(x);
    if (x->v % 2) l.remove(x);
    x = next;
  }
  EXPECT_EQ(values(l), (std::vector<int>{0, 2, 4}));
  EXPECT_FALSE(items[1].node.linked());
  // A removed node can go back in.
  l.push_front(&items[3]);
  EXPECT_EQ(values(l), (std::vector<int>{3, 0, 2, 4}));
}

Result<int> half(int x) {
  if (x % 2) return Error::Invalid;
  return x / 2;
}

Result<int> quarter(int x) {
  int h = TRY(half(x));
  return TRY(half(h));
}

Result<void> must_be_even(int x) {
  CHECK(half(x));
  return {};
}

TEST(Result, CarriesValueOrError) {
  Result<int> ok = half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value(), 4);
  Result<int> bad = half(7);
  EXPECT_FALSE(bad.ok());
  EXPECT_FALSE(static_cast<bool>(bad));
  EXPECT_EQ(bad.error(), Error::Invalid);
}

TEST(Result, TryReturnsTheFirstError) {
  EXPECT_EQ(quarter(8).value(), 2);
  EXPECT_EQ(quarter(6).error(), Error::Invalid);  // 6 -> 3 -> odd
  EXPECT_EQ(quarter(5).error(), Error::Invalid);
}

TEST(Result, CheckForVoidResults) {
  EXPECT_TRUE(must_be_even(4).ok());
  EXPECT_EQ(must_be_even(3).error(), Error::Invalid);
  Result<void> fine;
  EXPECT_TRUE(fine.ok());
}

}  // namespace
