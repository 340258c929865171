// Loading ELF executables (ELF-64 object file format, RISC-V psABI).
#include "exec.h"

#include <weft/param.h>

#include "arch/riscv64/riscv.h"
#include "fs/fs.h"
#include "fs/internal.h"
#include "inject.h"
#include "lib/string.h"
#include "memlayout.h"
#include "proc.h"
#include "vm.h"

namespace {
constexpr u32 ELF_MAGIC = 0x464c457f;  // "\x7fELF" little-endian
constexpr u8 ELFCLASS64 = 2;
constexpr u16 EM_RISCV = 243;
constexpr u16 ET_EXEC = 2;
constexpr u32 PT_LOAD = 1;
constexpr u32 PF_X = 1, PF_W = 2, PF_R = 4;

struct ElfHeader {
  u32 magic;
  u8 ident_class, ident_data, ident_version, ident_pad[9];
  u16 type, machine;
  u32 version;
  u64 entry, phoff, shoff;
  u32 flags;
  u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct ProgramHeader {
  u32 type, flags;
  u64 offset, vaddr, paddr, filesz, memsz, align;
};

// Copy into an address space that is not the current one (nobody runs it).
bool copy_into(AddressSpace* as, u64 va, const void* src, size_t n) {
  const u8* s = static_cast<const u8*>(src);
  while (n > 0) {
    u64 pa = as->user_pa(va);
    if (!pa) return false;
    size_t chunk = PGSIZE - (va & (PGSIZE - 1));
    if (chunk > n) chunk = n;
    memcpy(reinterpret_cast<void*>(pa), s, chunk);
    va += chunk, s += chunk, n -= chunk;
  }
  return true;
}

bool read_exact(Inode* ip, void* dst, u64 off, u64 n) {
  if (off + n < off || off + n > 0xffffffffull) return false;
  auto r = readi(ip, false, reinterpret_cast<u64>(dst), static_cast<u32>(off),
                 static_cast<u32>(n));
  return r.ok() && r.value() == n;
}

Result<u64> load_segments(Inode* ip, AddressSpace* as) {
  ElfHeader eh;
  if (!read_exact(ip, &eh, 0, sizeof(eh)) || eh.magic != ELF_MAGIC ||
      eh.ident_class != ELFCLASS64 || eh.machine != EM_RISCV ||
      eh.type != ET_EXEC || eh.phentsize != sizeof(ProgramHeader))
    return Error::NotExec;
  for (u32 i = 0; i < eh.phnum; i++) {
    ProgramHeader ph;
    if (!read_exact(ip, &ph, eh.phoff + i * sizeof(ph), sizeof(ph)))
      return Error::NotExec;
    if (ph.type != PT_LOAD) continue;
    if (ph.memsz < ph.filesz || ph.vaddr + ph.memsz < ph.vaddr ||
        ph.vaddr < USER_BASE || ph.vaddr + ph.memsz > USER_TOP)
      return Error::NotExec;
    u64 perm = ((ph.flags & PF_R) ? PTE_R : 0) | ((ph.flags & PF_W) ? PTE_W : 0) |
               ((ph.flags & PF_X) ? PTE_X : 0);
    CHECK(as->map_zeroed(ph.vaddr, ph.memsz, perm));
    // Read the file bytes straight into the new pages, a page at a time.
    for (u64 off = 0; off < ph.filesz;) {
      u64 va = ph.vaddr + off;
      u64 n = PGSIZE - (va & (PGSIZE - 1));
      if (n > ph.filesz - off) n = ph.filesz - off;
      if (!read_exact(ip, reinterpret_cast<void*>(as->user_pa(va)), ph.offset + off, n))
        return Error::NotExec;
      off += n;
    }
  }
  return eh.entry;
}

// Lay out argv on the new stack; returns the user address of argv[].
Result<u64> push_args(AddressSpace* as, u64 stack_low, u64* sp,
                      char* const argv[], int* argc_out) {
  u64 uargv[MAXARG + 1];
  int argc = 0;
  for (; argv[argc]; argc++) {
    if (argc >= MAXARG) return Error::TooBig;
    size_t len = strlen(argv[argc]) + 1;
    if (*sp - stack_low < len + 16) return Error::TooBig;
    *sp = (*sp - len) & ~u64{15};
    if (!copy_into(as, *sp, argv[argc], len)) return Error::Fault;
    uargv[argc] = *sp;
  }
  uargv[argc] = 0;
  size_t bytes = (argc + 1) * sizeof(u64);
  if (*sp - stack_low < bytes + 16) return Error::TooBig;
  *sp = (*sp - bytes) & ~u64{15};
  if (!copy_into(as, *sp, uargv, bytes)) return Error::Fault;
  *argc_out = argc;
  return *sp;
}

// The new image, built from the locked inode ip: every page mapped and
// loaded, argv on the stack. Nothing of the calling process changes.
struct Image {
  AddressSpace* as;
  u64 entry, sp, argv;
  int argc;
};

Result<void> build_image(Inode* ip, char* const argv[], Image* img) {
  AddressSpace* as = img->as;
  img->entry = TRY(load_segments(ip, as));
  // A guard page below the stack turns an overflow into a fault.
  u64 stack_base = pg_round_up(as->size());
  u64 stack_top = stack_base + (USTACK_PAGES + 1) * PGSIZE;
  CHECK(as->map_zeroed(stack_base, stack_top - stack_base, PTE_R | PTE_W));
  as->make_guard(stack_base);
  img->sp = stack_top;
  img->argv = TRY(push_args(as, stack_base + PGSIZE, &img->sp, argv, &img->argc));
  return {};
}

// Point of no return: the calling thread, now the process's only one,
// takes the new image.
void install_image(const char* path, const Image& img) {
  Process* p = myproc();
  Thread* t = current();
  AddressSpace* old;
  {
    SpinGuard g(p->lock);
    old = p->as;
    p->as = img.as;
  }
  push_off();
  vm_switch_to(img.as);
  pop_off();
  old->put();  // frees the old image unless a clone shares it
  const char* name = path;
  for (const char* s = path; *s; s++)
    if (*s == '/') name = s + 1;
  {
    SpinGuard g(p->lock);
    safestrcpy(p->name, name, sizeof(p->name));
    p->inject = inject_wanted_for(name);
  }
  if (t->tid != p->pid) set_tid(t, p->pid);  // the one thread left is the first
  memset(&t->tf, 0, sizeof(t->tf) - 2 * sizeof(u64));  // keep kernel_sp, kernel_tp
  t->tf.epc = img.entry;
  t->tf.sp = img.sp;
  t->tf.a0 = static_cast<u64>(img.argc);
  t->tf.a1 = img.argv;
  // A new program starts with clean floating-point registers.
  memset(&t->fp, 0, sizeof(t->fp));
  t->fp_stamp = new_fp_stamp();
}
}  // namespace

// Every early return below releases what it took: the log operation and
// the inode lock end with their scopes, the new space is put on any error.
Result<int> exec(const char* path, char* const argv[]) {
  Image img{};
  Result<void> built = Error::NoMemory;
  {
    LogOp op;
    Inode* ip = TRY(lookup(path));
    ilock(ip);
    img.as = AddressSpace::create();
    if (img.as) built = build_image(ip, argv, &img);
    iunlockput(ip);
  }
  if (!built) {
    if (img.as) img.as->put();
    return built.error();
  }
  // The new image is ready. The other threads of the process end before it
  // replaces the old one (a failed exec above leaves them alone); it starts
  // with one thread, the caller.
  if (!end_other_threads()) {
    img.as->put();
    return Error::Interrupted;
  }
  install_image(path, img);
  return img.argc;
}
