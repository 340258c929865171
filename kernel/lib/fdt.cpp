// Flattened device tree format: a header, a structure block of tokens
// (BEGIN_NODE name, PROP len nameoff value, END_NODE, NOP, END) and a
// strings block; every number is big-endian.
#include "lib/fdt.h"

#include "lib/string.h"

namespace {
constexpr u32 FDT_MAGIC = 0xd00dfeed;
constexpr u32 TOK_BEGIN_NODE = 1;
constexpr u32 TOK_END_NODE = 2;
constexpr u32 TOK_PROP = 3;
constexpr u32 TOK_NOP = 4;

u32 be32(const void* p) {
  const u8* b = static_cast<const u8*>(p);
  return (u32(b[0]) << 24) | (u32(b[1]) << 16) | (u32(b[2]) << 8) | b[3];
}
u64 be64(const void* p) {
  const u8* b = static_cast<const u8*>(p);
  return (u64(be32(b)) << 32) | be32(b + 4);
}
}  // namespace

void fdt_parse(u64 dtb, BootInfo* out) {
  const u8* base = reinterpret_cast<const u8*>(dtb);
  if (dtb == 0 || be32(base) != FDT_MAGIC) return;
  out->dtb_start = dtb;
  out->dtb_end = dtb + be32(base + 4);
  const u8* p = base + be32(base + 8);            // structure block
  const char* strings = reinterpret_cast<const char*>(base + be32(base + 12));

  int depth = 0;
  bool in_memory = false, in_chosen = false;
  for (;;) {
    u32 tok = be32(p);
    p += 4;
    if (tok == TOK_BEGIN_NODE) {
      const char* name = reinterpret_cast<const char*>(p);
      depth++;
      if (depth == 2) {
        in_memory = strncmp(name, "memory", 6) == 0;
        in_chosen = strncmp(name, "chosen", 6) == 0;
      }
      p += (strlen(name) + 1 + 3) & ~size_t{3};
    } else if (tok == TOK_END_NODE) {
      if (depth == 2) in_memory = in_chosen = false;
      depth--;
    } else if (tok == TOK_PROP) {
      u32 len = be32(p);
      const char* pname = strings + be32(p + 4);
      const u8* val = p + 8;
      // The root's #address-cells and #size-cells are 2 on QEMU virt.
      if (in_memory && strncmp(pname, "reg", 4) == 0 && len >= 16 &&
          out->ram_size == 0) {
        out->ram_base = be64(val);
        out->ram_size = be64(val + 8);
      } else if (in_chosen && strncmp(pname, "bootargs", 9) == 0) {
        size_t n = len < sizeof(out->bootargs) ? len : sizeof(out->bootargs) - 1;
        memcpy(out->bootargs, val, n);
        out->bootargs[n] = 0;
      }
      p += 8 + ((len + 3) & ~u32{3});
    } else if (tok == TOK_NOP) {
      continue;
    } else {
      break;  // TOK_END or garbage
    }
  }
}
