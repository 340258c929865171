// pattern(): test bytes for the host tests of the disk-image tools. They
// differ from block to block, so a block written to the wrong place or read
// back in the wrong order shows up.
#pragma once

#include <cstdint>
#include <vector>

inline std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : v) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<uint8_t>(x >> 24);
  }
  return v;
}
