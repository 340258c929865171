# weft: build the kernel, the user programs and the disk image; boot and test.
#   make qemu          boot to the shell (CPUS=N harts, default 2)
#   make test          build everything and run every test layer
#   make run CMD='..'  boot, type CMD into the shell, power off with its status
#                      (ARGS='shootdown=brigade' adds kernel boot arguments)
#   make fuzz          the system-call fuzzer (SECONDS=60 SEED=1 CPUS=2)
#   make soak          the continuous-operation mix (MINUTES=10 CPUS=2)
#   make crashtest     kill the machine KILLS times mid-workload, fsck each time
#   make orphantest    crash with an unlinked file open, check the next boot
#                      frees it (ROUNDS=N rounds)
#   make bench         bench and bench-sync on CPUS=1 and 2 (ICOUNT=1: count
#                      instructions, exact and repeatable; ROUNDS=N: medians
#                      of N boots each)
#   make trace CMD='..' the kernel event trace of CMD: build/trace/trace.html
#                      (docs/timeline.md)
#   make qemu-gdb      boot halted, waiting for gdb-multiarch (see .gdbinit)

CPUS ?= 2
TICK ?= 100
MEM ?= 128M
B := build

CROSS := riscv64-linux-gnu-
CC := $(CROSS)gcc
CXX := $(CROSS)g++
OBJDUMP := $(CROSS)objdump
HOSTCXX ?= g++
QEMU := qemu-system-riscv64

ARCHFLAGS := -march=rv64gc -mabi=lp64d -mcmodel=medany
# The kernel has no floating point at all: built for the soft-float ABI and
# linked without libgcc, any floating-point operation in kernel code fails
# to link, so the F registers always hold user state (kernel/arch/riscv64/
# fpu.S saves and restores them).
KARCHFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany \
  -idirafter kernel/arch/riscv64/include
COMMON_NOARCH := -ffreestanding -nostdlib -fno-pie -fno-omit-frame-pointer \
  -fno-stack-protector -fno-common -O2 -g -Wall -Wextra -Werror -MMD -MP \
  -fno-tree-loop-distribute-patterns -Iinclude
COMMON := $(ARCHFLAGS) $(COMMON_NOARCH)
# Debian's libstdc++ is configured hosted, so <atomic> would pull in Linux's
# <syscall.h> (for atomic wait); its SYS_* names clash with ours. Pretend
# that header was already included.
NOHOSTED := -D_GLIBCXX_ATOMIC_WAIT_H
KCXXFLAGS := $(KARCHFLAGS) $(COMMON_NOARCH) $(NOHOSTED) -std=c++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics \
  -fno-asynchronous-unwind-tables -iquote kernel
# user/xv6 holds headers at the paths xv6 programs include (docs/xv6.md).
UCFLAGS := $(COMMON) -std=gnu11 -Iuser/lib -Iuser/xv6 -fno-builtin-printf -fno-builtin-malloc
UCXXFLAGS := $(COMMON) $(NOHOSTED) -std=c++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics -Iuser/lib
LDFLAGS := -static -no-pie -nostdlib -Wl,--build-id=none -Wl,--no-warn-rwx-segments

KSRC := $(shell find kernel -name '*.cpp' -o -name '*.S' | sort)
KOBJ := $(patsubst %,$(B)/%.o,$(KSRC))
ULIBSRC := $(shell find user/lib -name '*.c' -o -name '*.cpp' -o -name '*.S' | sort)
ULIBOBJ := $(patsubst %,$(B)/%.o,$(ULIBSRC))
# Every source file in user/programs and user/tests is one program on the disk,
# and so is every directory user/programs/NAME/ (program NAME, all its *.c).
UPROGSRC := $(wildcard user/programs/*.c user/programs/*.cpp user/tests/*.c user/tests/*.cpp)
UPROGDIRS := $(patsubst %/,%,$(sort $(dir $(wildcard user/programs/*/*.c))))
UPROGS := $(sort $(foreach s,$(UPROGSRC) $(UPROGDIRS),$(B)/bin/$(basename $(notdir $(s)))))
# The disk gets copies without debug information (a fifth of the size);
# build/bin keeps the full programs for gdb and addr2line.
UDISK := $(patsubst $(B)/bin/%,$(B)/disk/%,$(UPROGS))

all: $(B)/kernel.elf $(B)/fs.img $(B)/fsck

$(B)/kernel/%.cpp.o: kernel/%.cpp | deps
	@mkdir -p $(dir $@)
	$(CXX) $(KCXXFLAGS) -c $< -o $@
$(B)/kernel/%.S.o: kernel/%.S | deps
	@mkdir -p $(dir $@)
	$(CXX) $(KCXXFLAGS) -c $< -o $@
$(B)/kernel.elf: $(KOBJ) kernel/kernel.ld
	$(CXX) $(LDFLAGS) -T kernel/kernel.ld $(KOBJ) -o $@
	$(OBJDUMP) -d $@ > $(B)/kernel.asm

$(B)/user/%.c.o: user/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -c $< -o $@
$(B)/user/%.cpp.o: user/%.cpp | deps
	@mkdir -p $(dir $@)
	$(CXX) $(UCXXFLAGS) -c $< -o $@
$(B)/user/%.S.o: user/%.S | deps
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -c $< -o $@
$(B)/ulib.a: $(ULIBOBJ)
	rm -f $@ && $(CROSS)ar rcs $@ $^

# A program is linked from its objects ($(2)): the one of the source file of
# its name, or those of every *.c file in the directory of its name.
define prog_rule
$(B)/bin/$(basename $(notdir $(1))): $(2) $(B)/ulib.a user/user.ld
	@mkdir -p $(B)/bin
	$(CXX) $(LDFLAGS) -T user/user.ld $(2) $(B)/ulib.a -lgcc -o $$@
endef
$(foreach s,$(UPROGSRC),$(eval $(call prog_rule,$(s),$(B)/$(s).o)))
$(foreach d,$(UPROGDIRS),$(eval $(call prog_rule,$(d),$(patsubst %,$(B)/%.o,$(wildcard $(d)/*.c)))))

$(B)/mkfs: tools/mkfs.cpp include/weft/fs.h include/weft/param.h include/stat.h | deps
	@mkdir -p $(B)
	$(HOSTCXX) -std=c++20 -O2 -Wall -Wextra -Werror -Iinclude -o $@ tools/mkfs.cpp

$(B)/fsck: tools/fsck.cpp include/weft/fs.h include/stat.h | deps
	@mkdir -p $(B)
	$(HOSTCXX) -std=c++20 -O2 -Wall -Wextra -Werror -Iinclude -o $@ tools/fsck.cpp

$(B)/disk/%: $(B)/bin/%
	@mkdir -p $(B)/disk
	$(CROSS)strip -o $@ $<

$(B)/fs.img: $(B)/mkfs $(UDISK) README.md
	$(B)/mkfs $@ README.md $(UDISK)

# Install the cross toolchain and QEMU on a fresh Debian/Ubuntu machine.
deps:
	@tools/deps.sh

QEMUOPTS = -machine virt -bios default -nographic -m $(MEM) -smp $(CPUS) \
  -kernel $(B)/kernel.elf -global virtio-mmio.force-legacy=false \
  -drive file=$(B)/fs.img,if=none,format=raw,id=x0 \
  -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0 \
  -append "tick=$(TICK) $(ARGS)"

qemu: all
	$(QEMU) $(QEMUOPTS)

qemu-gdb: all
	@echo "*** now run 'gdb-multiarch' in this directory (it reads .gdbinit)"
	$(QEMU) $(QEMUOPTS) -S -gdb tcp::26001

# CMD goes through the environment so that quotes in it survive.
run: export WEFT_CMD = $(CMD)
run: all
	python3 tools/run.py --cpus $(CPUS) --tick $(TICK) --args "$(ARGS)" -- "$$WEFT_CMD"

test: all
	python3 tools/runtests.py

# The long-running tools of docs/reliability.md. SEED= reproduces a run.
SEED ?= 1
SECONDS ?= 60
fuzz: all
	python3 tools/fuzz.py --seconds $(SECONDS) --cpus $(CPUS) --seed $(SEED) --tick $(TICK)

# Everything at once for MINUTES minutes, resources checked after each round.
MINUTES ?= 10
soak: all
	python3 tools/soak.py --minutes $(MINUTES) --cpus $(CPUS) --tick $(TICK)

# Kill the machine KILLS times in the middle of a write-heavy workload and
# check the disk each time (tools/crashtest.py).
KILLS ?= 20
crashtest: all $(B)/fsck
	python3 tools/crashtest.py --kills $(KILLS) --seed $(SEED) --cpus $(CPUS)

# Crash with an unlinked file still open (and a removed cwd); the next boot
# must free both (tools/orphantest.py).
orphantest: all
	python3 tools/orphantest.py --rounds $(ROUNDS) --cpus $(CPUS)

# The kernel event trace of one command line: build/trace/trace.html (one
# lane per hart) and trace.json (Perfetto, chrome://tracing); docs/timeline.md.
trace: export WEFT_CMD = $(CMD)
trace: all
	python3 tools/timeline.py --cpus $(CPUS) --tick $(TICK) --args "$(ARGS)" -- "$$WEFT_CMD"

# Per-operation costs side by side, written to build/bench/ (tools/bench.py).
BENCH_CPUS ?= 1,2
ROUNDS ?= 1
bench: all
	python3 tools/bench.py --cpus $(BENCH_CPUS) --rounds $(ROUNDS) $(if $(ICOUNT),--icount)

clean:
	rm -rf $(B)

.PHONY: all deps qemu qemu-gdb run test fuzz soak crashtest orphantest bench trace clean
-include $(shell find $(B) -name '*.d' 2>/dev/null)
