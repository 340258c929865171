// A minimal intrusive doubly-linked list. The node lives inside the object,
// so putting an object on a list never allocates (safe under a spin lock).
#pragma once

#include "lib/types.h"

struct ListNode {
  ListNode* prev = this;
  ListNode* next = this;
  bool linked() const { return next != this; }
};

// List of T, linked through the member T::*Node.
template <typename T, ListNode T::*Node>
class IntrusiveList {
 public:
  bool empty() const { return head_.next == &head_; }

  void push_back(T* item) {
    ListNode* n = &(item->*Node);
    n->prev = head_.prev;
    n->next = &head_;
    head_.prev->next = n;
    head_.prev = n;
  }

  void push_front(T* item) {
    ListNode* n = &(item->*Node);
    n->next = head_.next;
    n->prev = &head_;
    head_.next->prev = n;
    head_.next = n;
  }

  void remove(T* item) {
    ListNode* n = &(item->*Node);
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
  }

  T* front() { return empty() ? nullptr : owner(head_.next); }

  // Iteration: for (T* x = l.front(); x; x = l.next(x)). Removing x is
  // allowed if the next element was fetched first.
  T* next(T* item) {
    ListNode* n = (item->*Node).next;
    return n == &head_ ? nullptr : owner(n);
  }

  T* pop_front() {
    T* item = front();
    if (item) remove(item);
    return item;
  }

 private:
  static T* owner(ListNode* n) {
    // Offset of the node inside T, computed without a T object.
    const auto off = reinterpret_cast<uptr>(&(static_cast<T*>(nullptr)->*Node));
    return reinterpret_cast<T*>(reinterpret_cast<uptr>(n) - off);
  }
  ListNode head_;
};
