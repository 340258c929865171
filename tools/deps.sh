#!/bin/sh
# Install what a fresh Debian/Ubuntu machine lacks to build and boot weft.
# Silent when everything is already there.
need=""
command -v riscv64-linux-gnu-g++ >/dev/null 2>&1 || need="$need g++-riscv64-linux-gnu"
command -v riscv64-linux-gnu-gcc >/dev/null 2>&1 || need="$need gcc-riscv64-linux-gnu"
command -v qemu-system-riscv64 >/dev/null 2>&1 || need="$need qemu-system-misc"
command -v gdb-multiarch >/dev/null 2>&1 || need="$need gdb-multiarch"
command -v g++ >/dev/null 2>&1 || need="$need g++"
command -v python3 >/dev/null 2>&1 || need="$need python3"
command -v cmake >/dev/null 2>&1 || need="$need cmake"
[ -f /usr/include/gtest/gtest.h ] || need="$need libgtest-dev"
# The trace page's test loads it in a real browser (tools/tracetest.py).
command -v chromium >/dev/null 2>&1 || need="$need chromium"
[ -z "$need" ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "deps: installing:$need"
$sudo apt-get update -qq || exit 1
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $need >/dev/null || exit 1
echo "deps: installed:$need"
