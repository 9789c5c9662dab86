"""A private pcscd with the vsmartcard vpcd driver, for tests and for developers.

`PcscdHarness.start()` gives a pcscd that pyscard in *this* process can reach, with virtual readers
whose card side is a TCP port (vpcd): connect a virtual card to `port_for(reader)` and the reader
shows a card.

Preferred: an isolated instance — `unshare -m -n` + tmpfs on /run/pcscd + `pcscd -f -c CONF`: its
own mount namespace (its socket) and its own network namespace (its vpcd TCP ports, on a loopback
nobody else sees), so it never disturbs the machine's own pcscd and parallel test runs cannot
meet, whatever ports they pick. A card side must then create its socket inside that network
namespace: `vpcd_wire.connect()` does for the harness's ports (a helper thread setns()es into
`/proc/PID/ns/net` first); subprocesses learn namespace and ports from `$CARDKIT_VPCD_NETNS`
in `.env`.
Without the rights for a network namespace the harness falls back to the shared one (random
ports). Fallback: the system pcscd with its /etc/reader.conf.d vpcd entries (started here
when we are root and it is not running).

libpcsclite reads PCSCLITE_CSOCK_NAME once, at the first PC/SC call of the process, and caches it.
So the client must be pointed *before* any context is made: `point_client()` sets the variable to a
stable symlink (`client_link()`) whose target the harness sets later — to the private socket, the
system socket, or nothing (= "pcscd not running"). Subprocesses get the same variable via `.env`.

vpcd wire protocol (vsmartcard, vpcd.c): every message is a big-endian uint16 length + payload;
1-byte payloads from vpcd are control codes (00 off, 01 on, 02 reset, 04 get ATR), longer ones are
command APDUs answered with data + SW1 SW2. `VpcdStubCard` is a minimal card side (tests only).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ReaderError
from . import vpcd_wire as wire

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
SYSTEM_SOCKET = Path("/run/pcscd/pcscd.comm")
SYSTEM_READER_CONF_DIR = Path("/etc/reader.conf.d")
ENV_VAR = "PCSCLITE_CSOCK_NAME"
NETNS_VAR = wire.NETNS_VAR
VPCD_SLOTS = 2  # vpcd exposes two readers per channel: "<name> 00 00" (port) and "00 01" (port+1)
READY_TIMEOUT = 5.0


# --- pointing the PC/SC client --------------------------------------------------------------------


def client_link() -> Path:
    """The stable path this process's libpcsclite is pointed at (a symlink we retarget)."""
    return Path(tempfile.gettempdir()) / f"cardkit-pcsc-{os.getuid()}-{os.getpid()}" / "pcscd.comm"


def point_client(target: Path | None = SYSTEM_SOCKET) -> Path:
    """Point this process's PC/SC client at `target` (None = nowhere: "pcscd not running").

    Sets PCSCLITE_CSOCK_NAME to `client_link()` if it is not set yet; only effective when called
    before the first PC/SC context of the process (libpcsclite caches the name).
    """
    link = client_link()
    if not link.parent.exists():
        link.parent.mkdir(mode=0o700, parents=True)
        atexit.register(shutil.rmtree, link.parent, True)
    os.environ.setdefault(ENV_VAR, str(link))
    retarget(target)
    return link


def retarget(target: Path | None) -> None:
    """Make `client_link()` lead to `target` (a pcscd.comm socket) or to nothing."""
    link = client_link()
    link.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}.{threading.get_ident()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    if target is None:
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        return
    tmp.symlink_to(target)
    os.replace(tmp, link)


def client_points_at_link() -> bool:
    return os.environ.get(ENV_VAR) == str(client_link())


@contextlib.contextmanager
def pointed_at(target: Path | None, restore: Path | None) -> Iterator[None]:
    """Temporarily retarget the client link (e.g. None = simulate "pcscd not running")."""
    retarget(target)
    try:
        yield
    finally:
        retarget(restore)


# --- reader.conf ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VpcdChannel:
    friendly_name: str
    port: int

    def reader_names(self) -> list[str]:
        return [f"{self.friendly_name} 00 {slot:02X}" for slot in range(VPCD_SLOTS)]


def reader_conf(channels: list[VpcdChannel]) -> str:
    """A pcscd reader.conf (pcscd(8), reader.conf(5)) with one vpcd channel per entry."""
    out = []
    for ch in channels:
        out.append(
            f'FRIENDLYNAME "{ch.friendly_name}"\n'
            f"DEVICENAME   /dev/null:{ch.port}\n"
            f"LIBPATH      {VPCD_DRIVER}\n"
            f"CHANNELID    {ch.port}\n"
        )
    return "\n".join(out)


def parse_vpcd_conf(text: str) -> list[VpcdChannel]:
    """vpcd channels declared in a reader.conf text (entries whose LIBPATH is the vpcd driver)."""
    channels: list[VpcdChannel] = []
    entry: dict[str, str] = {}

    def flush() -> None:
        if "libifdvpcd" in entry.get("LIBPATH", "") and "DEVICENAME" in entry:
            dev = entry["DEVICENAME"]
            port_text = dev.split(":", 1)[1] if ":" in dev else entry.get("CHANNELID", "0x8C7B")
            with contextlib.suppress(ValueError):
                channels.append(VpcdChannel(entry.get("FRIENDLYNAME", "Virtual PCD"),
                                            int(port_text, 0)))
        entry.clear()

    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, value = line.partition(" ")
        key = key.strip().upper()
        if key == "FRIENDLYNAME" and entry:
            flush()
        entry[key] = value.strip().strip('"')
    flush()
    return channels


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux PR_SET_PDEATHSIG: the private pcscd gets SIGTERM if the test process dies."""
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)


def _spawn_private(conf: Path, log: Path, netns: bool) -> subprocess.Popen[bytes]:
    # /run/pcscd must exist as a mount point; creating it is harmless for the system pcscd.
    script = ("mkdir -p /run/pcscd && mount -t tmpfs -o mode=0755 tmpfs /run/pcscd && "
              f'exec pcscd -f -c "{conf}"')
    flags = ["-m"]
    if netns:  # a new network namespace: bring its loopback up for vpcd's listening ports
        flags.append("-n")
        script = "ip link set lo up && " + script
    preexec = _die_with_parent if threading.current_thread() is threading.main_thread() else None
    with open(log, "wb") as logf:
        return subprocess.Popen(["unshare", *flags, "--propagation", "private", "sh", "-c",
                                 script],
                                stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, preexec_fn=preexec)


def _netns_possible() -> bool:
    return (os.geteuid() == 0 and shutil.which("ip") is not None
            and os.environ.get("CARDKIT_PCSCD_NO_NETNS") != "1")




def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _listening(port: int, pid: int | None = None) -> bool:
    """True when something listens on TCP `port` (read from /proc/net/tcp{,6}; with `pid`, in
    that process's network namespace: /proc/PID/net/tcp)."""
    want = f":{port:04X}"
    base = f"/proc/{pid}/net" if pid is not None else "/proc/net"
    for table in (f"{base}/tcp", f"{base}/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if len(parts) > 3 and parts[1].endswith(want) and parts[3] == "0A":
                    return True
    return False


def free_port_block(count: int, lo: int = 40000, hi: int = 60000) -> int:
    """A base port with `count` consecutive free TCP ports (best effort, racy by nature)."""
    import random

    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(200):
        base = rng.randrange(lo, hi - count)
        if all(_port_free(base + i) for i in range(count)):
            return base
    raise ReaderError("no free TCP ports for the virtual readers — close other test runs")


# --- the harness ----------------------------------------------------------------------------------


@dataclass
class PcscdHarness:
    """A pcscd with vpcd readers, reachable by pyscard in this process (see module docstring)."""

    mode: str  # "private" or "system"
    socket_path: Path
    channels: list[VpcdChannel]
    process: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None
    log_path: Path | None = None
    netns: Path | None = None  # /proc/PID/ns/net when vpcd listens in a private namespace
    _started_system: bool = field(default=False, repr=False)

    @property
    def readers(self) -> list[str]:
        return [name for ch in self.channels for name in ch.reader_names()]

    def port_for(self, reader: str | int) -> int:
        """The vpcd TCP port where a card side for `reader` (name or index) connects."""
        names = self.readers
        if isinstance(reader, int):
            reader = names[reader]
        for ch in self.channels:
            for slot, name in enumerate(ch.reader_names()):
                if name == reader:
                    return ch.port + slot
        raise KeyError(f"{reader!r} is not a vpcd reader of this pcscd ({', '.join(names)})")

    @property
    def env(self) -> dict[str, str]:
        """Environment for a subprocess that should use this pcscd (and its vpcd ports)."""
        env = {**os.environ, ENV_VAR: str(self.socket_path)}
        env.pop(NETNS_VAR, None)
        if self.netns is not None:
            env[NETNS_VAR] = wire.netns_spec(self.netns, self.ports)
        return env

    @property
    def ports(self) -> list[int]:
        return [ch.port + s for ch in self.channels for s in range(VPCD_SLOTS)]

    @staticmethod
    def wait_card(reader: str, present: bool = True, timeout: float = 3.0) -> bool:
        """Wait until pcscd shows a card on `reader` (or none, `present=False`); pcscd polls vpcd
        every ~400 ms, so a card side that just connected or closed is seen only then."""
        from ..transport.pcsc import SCARD_STATE_PRESENT, reader_state

        deadline = time.monotonic() + timeout
        while True:
            if bool(reader_state(reader)[0] & SCARD_STATE_PRESENT) == present:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.03)

    # -- life cycle ---------------------------------------------------------------------------

    @classmethod
    def start(cls, channels: int = 1, friendly_name: str = "Virtual PCD",
              prefer_private: bool = True) -> PcscdHarness:
        """Start a private pcscd (else use the system one) and point this process's client at it."""
        errors: list[str] = []
        if not VPCD_DRIVER.exists():
            raise ReaderError(f"vpcd driver missing ({VPCD_DRIVER}) — "
                              "install it with `sudo apt-get install vsmartcard-vpcd`")
        if shutil.which("pcscd") is None:
            raise ReaderError("pcscd not installed — install it with `sudo apt-get install pcscd`")
        if prefer_private:
            for _ in range(3):
                try:
                    h = cls._start_private(channels, friendly_name)
                except ReaderError as exc:
                    errors.append(str(exc))
                    continue
                try:
                    h.activate()
                except ReaderError:
                    h.stop()
                    raise
                return h
        h = cls._system(errors)
        h.activate()
        return h

    def activate(self) -> None:
        """Point this process's PC/SC client (the stable link) at this pcscd, and check it took;
        subprocesses started from now on (`sim serve` …) find its vpcd ports' namespace in
        `$CARDKIT_VPCD_NETNS` (only those ports: other connections are unaffected)."""
        point_client(self.socket_path)
        if self.netns is not None:
            os.environ[NETNS_VAR] = wire.netns_spec(self.netns, self.ports)
        from ..transport.pcsc import list_readers

        try:
            seen = list_readers()
        except ReaderError:
            seen = []
        # Reader names are the same as a system pcscd's vpcd readers, so this check cannot tell
        # the two apart when the system pcscd also runs vpcd; it catches the common case.
        if not set(self.readers) <= set(seen):
            raise ReaderError(
                "this process cannot reach the test pcscd: PCSCLITE_CSOCK_NAME was fixed before "
                "the harness started (start it before any other PC/SC call)")

    @classmethod
    def _start_private(cls, n: int, friendly_name: str) -> PcscdHarness:
        if shutil.which("unshare") is None:
            raise ReaderError("unshare not available")
        workdir = Path(tempfile.mkdtemp(prefix="cardkit-pcscd-"))
        base = free_port_block(VPCD_SLOTS * n)
        chans = [VpcdChannel(friendly_name if n == 1 else f"{friendly_name} {i}",
                             base + VPCD_SLOTS * i) for i in range(n)]
        return _launch_private(workdir, reader_conf(chans), chans)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        pid = self.process.pid if self.netns is not None and self.process is not None else None
        ports = self.ports
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ReaderError(f"private pcscd exited: {self.log_tail()}")
            if self.socket_path.exists() and all(_listening(p, pid) for p in ports):
                return
            time.sleep(0.01)
        raise ReaderError(f"private pcscd not ready within {READY_TIMEOUT:.0f} s: {self.log_tail()}")

    @classmethod
    def _system(cls, errors: list[str]) -> PcscdHarness:
        chans: list[VpcdChannel] = []
        if SYSTEM_READER_CONF_DIR.is_dir():
            for f in sorted(SYSTEM_READER_CONF_DIR.iterdir()):
                with contextlib.suppress(OSError, UnicodeDecodeError):
                    chans += parse_vpcd_conf(f.read_text())
        if not chans:
            raise ReaderError("no vpcd reader configured in /etc/reader.conf.d — install "
                              "`vsmartcard-vpcd` (private pcscd failed: " + "; ".join(errors) + ")")
        h = cls("system", SYSTEM_SOCKET, chans)
        if not SYSTEM_SOCKET.exists():
            if os.geteuid() != 0:
                raise ReaderError("pcscd not running — start it with `sudo systemctl start pcscd`"
                                  " (private pcscd failed: " + "; ".join(errors) + ")")
            h.process = subprocess.Popen(["pcscd", "-f"], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
            h._started_system = True
            h._wait_ready()
        return h

    def log_tail(self, n: int = 5) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        lines = self.log_path.read_text(errors="replace").strip().splitlines()
        return " | ".join(lines[-n:]) or "(empty log)"

    def stop(self) -> None:
        for port in self.ports:
            if self.netns is not None and wire.NETNS_OF_PORT.get(port) == self.netns:
                del wire.NETNS_OF_PORT[port]
        if self.netns is not None and os.environ.get(NETNS_VAR, "").startswith(
                f"{self.netns}:"):
            del os.environ[NETNS_VAR]
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(3)
        self.process = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> PcscdHarness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_empty_pcscd() -> PcscdHarness:
    """A private pcscd with no reader at all (for "no reader" tests). Not activated."""
    if shutil.which("unshare") is None or shutil.which("pcscd") is None:
        raise ReaderError("unshare/pcscd not available")
    workdir = Path(tempfile.mkdtemp(prefix="cardkit-pcscd-empty-"))
    return _launch_private(workdir, "# no readers\n", [])


def _launch_private(workdir: Path, conf_text: str, chans: list[VpcdChannel]) -> PcscdHarness:
    """Write reader.conf, start the private pcscd and wait until it answers."""
    conf = workdir / "reader.conf"
    conf.write_text(conf_text)
    log = workdir / "pcscd.log"
    errors = []
    for netns in ([True, False] if _netns_possible() else [False]):
        proc = _spawn_private(conf, log, netns)
        h = PcscdHarness("private", Path(f"/proc/{proc.pid}/root/run/pcscd/pcscd.comm"), chans,
                         proc, workdir, log,
                         netns=Path(f"/proc/{proc.pid}/ns/net") if netns else None)
        try:
            h._wait_ready()
        except ReaderError as exc:
            errors.append(str(exc))
            h.workdir = None  # keep the folder for the next attempt
            h.stop()
            continue
        if h.netns is not None:
            wire.NETNS_OF_PORT.update(dict.fromkeys(h.ports, h.netns))
        return h
    shutil.rmtree(workdir, ignore_errors=True)
    raise ReaderError("; ".join(errors))


# --- a minimal card side --------------------------------------------------------------------------


def vpcd_connect(port: int, host: str = "127.0.0.1", timeout: float = 5.0) -> socket.socket:
    """Connect a card side to vpcd (the reader now holds a card)."""
    return wire.connect(host, port, timeout)


vpcd_recv = wire.recv_message
vpcd_send = wire.send


@dataclass
class VpcdStubCard:
    """A trivial card for harness tests: answers the ATR and passes APDUs to `handler`.

    Runs in a thread; `stop()` closes the socket (= card removed).
    """

    port: int
    handler: Callable[[bytes], bytes]
    atr: bytes = bytes.fromhex("3B8880010000000000718100F9")  # T=1, contactless-like
    host: str = "127.0.0.1"
    apdus: list[bytes] = field(default_factory=list)
    _sock: socket.socket | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def start(self) -> VpcdStubCard:
        self._sock = vpcd_connect(self.port, self.host)
        self._thread = threading.Thread(target=self._run, name=f"vpcd-stub-{self.port}",
                                        daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        assert self._sock is not None
        sock = self._sock
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([sock], [], [], 0.1)
                if not ready:
                    continue
                msg = vpcd_recv(sock)
            except (ConnectionError, OSError, ValueError):
                return
            if len(msg) == 1:
                if msg[0] == 0x04:
                    vpcd_send(sock, self.atr)
                continue  # 00 off, 01 on, 02 reset: no reply
            self.apdus.append(msg)
            try:
                vpcd_send(sock, self.handler(msg))
            except OSError:
                return

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
        if self._thread is not None:
            self._thread.join(2)

    def __enter__(self) -> VpcdStubCard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
