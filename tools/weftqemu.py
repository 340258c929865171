"""Booting weft under QEMU from Python: the command line and a console
session that can wait for text, type into the guest and collect its exit
status. Used by run.py (make run) and runtests.py (make test)."""

import os
import select
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")


def qemu_cmd(cpus=2, tick=100, args="", mem="128M", image=None,
             snapshot=True):
    """snapshot=False lets the guest write the image file itself (the crash
    test keeps what a killed machine left on its disk)."""
    image = image or os.path.join(BUILD, "fs.img")
    drive = f"file={image},if=none,format=raw,id=x0"
    if snapshot:
        drive += ",snapshot=on"
    return [
        "qemu-system-riscv64", "-machine", "virt", "-bios", "default",
        "-nographic", "-m", mem, "-smp", str(cpus),
        "-kernel", os.path.join(BUILD, "kernel.elf"),
        "-global", "virtio-mmio.force-legacy=false",
        # snapshot (the default): tests never change the image on disk, so
        # every boot starts from the same file system.
        "-drive", drive,
        "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0",
        "-append", f"tick={tick} {args}".strip(),
        "-monitor", "none", "-serial", "stdio",
    ]


class Guest:
    """A running QEMU whose console we read and type into."""

    def __init__(self, cmd, echo=None, log=None):
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, bufsize=0)
        self.out = b""       # everything the console printed
        self.echo = echo     # file-like: stream output as it comes
        self.log = log

    def _read_some(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            return False
        data = os.read(self.proc.stdout.fileno(), 65536)
        if not data:
            return None  # QEMU closed its output: it exited
        self.out += data
        if self.echo:
            self.echo.write(data.decode("utf-8", "replace"))
            self.echo.flush()
        if self.log:
            self.log.write(data)
            self.log.flush()
        return True

    def wait_for(self, predicate, timeout):
        """Read until predicate(self.out) holds; False on timeout or exit."""
        deadline = time.monotonic() + timeout
        while not predicate(self.out):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._read_some(min(left, 0.5)) is None:
                return predicate(self.out)
        return True

    def type(self, text):
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass

    def wait_exit(self, timeout):
        """QEMU's exit status, or None if it did not exit in time."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read_some(0.2)
        while self._read_some(0) is True:
            pass
        return self.proc.poll()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def drain(self):
        """After QEMU ended: collect what it printed that is still unread."""
        while self._read_some(0.2) is True:
            pass


def boot_logged(cpus, tick, image, log):
    """Boots on a writable image (the disk keeps what the guest wrote, even
    when QEMU is killed), with the console going to log. The crash and
    orphan tests use it."""
    g = Guest(qemu_cmd(cpus, tick, image=image, snapshot=False), log=log)
    log.write(f"\n===== boot (pid {g.proc.pid}) =====\n".encode())
    return g


def fsck_logged(fsck, image, what, log):
    """Runs fsck on image; returns (its exit status, its output), logged."""
    p = subprocess.run([fsck, image], capture_output=True, text=True)
    out = (p.stdout + p.stderr).strip()
    log.write(f"\n===== fsck {what}: status {p.returncode}\n{out}\n".encode())
    return p.returncode, out
