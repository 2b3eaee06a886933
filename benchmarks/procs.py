"""TreeUsage memory of a process tree, read from /proc (no psutil needed).

`veille ingest` is several processes: the CLI, the temporary Prefect API
server it starts (`prefect server start`), and its extraction workers.
In service mode the Prefect server is a separate, long-running process
(`prefect server start`), sampled as an extra root. What a user's machine has
to hold is their sum, so a thread samples the trees every ~100 ms and keeps
the largest summed VmRSS, with who held what at that moment. Summing RSS
counts shared pages (libraries) once per process: an upper bound, which is
the safe side for a memory budget. The summed PSS (shared pages split
between the processes that map them, from smaps_rollup) is kept too: it is
what the tree really adds to the machine's memory.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class TreeUsage:
    rss_bytes: int = 0
    by_role: dict[str, tuple[int, int]] = field(default_factory=dict)  # role -> (processes, bytes)
    pss_bytes: int = 0  # peak of the summed PSS (its own peak, not at the RSS peak)
    cpu_by_role: dict[str, float] = field(default_factory=dict)  # CPU seconds, last seen
    extra_cpu: float = 0.0  # CPU seconds the extra roots' trees used while sampled
    samples: int = 0
    max_processes: int = 0

    def describe(self) -> str:
        parts = [
            f"{role} {mb(rss)}" if n == 1 else f"{n} {role}s {mb(rss)}"
            for role, (n, rss) in sorted(self.by_role.items(), key=lambda kv: -kv[1][1])
        ]
        return " + ".join(parts)


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MB"


_TICKS = os.sysconf("SC_CLK_TCK")


def _scan() -> tuple[dict[int, list[int]], dict[int, float]]:
    """Children of every process, and the CPU seconds (user + sys) each used so far."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue  # gone since listdir
        # "pid (comm) state ppid ... utime stime ...": comm may hold spaces and parentheses
        fields = stat.rsplit(")", 1)[1].split()
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        cpu[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
    return children, cpu


def tree(root: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """`root` and all its descendants alive now."""
    children = _scan()[0] if children is None else children
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def _kib_field(path: str, name: str) -> int | None:
    """The `name:` line of a /proc file in kB, as bytes; None if the process is gone."""
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(name):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return 0  # a zombie has neither line


def rss_bytes(pid: int) -> int | None:
    return _kib_field(f"/proc/{pid}/status", "VmRSS:")


def pss_bytes(pid: int) -> int | None:
    return _kib_field(f"/proc/{pid}/smaps_rollup", "Pss:")


def _role(pid: int, root: int) -> str:
    if pid == root:
        return "CLI"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmd = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return "other"
    if "uvicorn" in cmd or "server start" in cmd:
        return "Prefect server"
    if "spawn_main" in cmd or "forkserver" in cmd:
        return "worker"
    if "resource_tracker" in cmd:
        return "resource tracker"
    return "other"


class TreeSampler(threading.Thread):
    """Samples the tree under `root` (and those under `extra_roots`, processes
    already running, such as a shared Prefect server) until `stop()`; the
    result is `usage`. CPU time of the extra trees counts from the sampler's
    creation, so only what they used meanwhile is reported."""

    def __init__(self, root: int, interval: float = 0.1, extra_roots: tuple[int, ...] = ()) -> None:
        super().__init__(name=f"rss-sampler-{root}", daemon=True)
        self.root = root
        self.extra_roots = extra_roots
        self.interval = interval
        self.usage = TreeUsage()
        self._roles: dict[int, str] = {}
        self._cpu: dict[int, float] = {}
        self._stopped = threading.Event()
        # CPU seconds the extra trees had used before this sampler: not counted
        self._cpu0: dict[int, float] = {}
        self._extra: set[int] = set()
        if extra_roots:
            children, cpu = _scan()
            self._cpu0 = {pid: cpu.get(pid, 0.0) for r in extra_roots for pid in tree(r, children)}

    def run(self) -> None:
        while not self._stopped.is_set():
            self.sample()
            self._stopped.wait(self.interval)

    def stop(self) -> TreeUsage:
        self._stopped.set()
        self.join()
        return self.usage

    def sample(self) -> None:
        total, pss, count, by_role, n_by_role = 0, 0, 0, Counter[str](), Counter[str]()
        children, cpu = _scan()
        extra = [pid for r in self.extra_roots for pid in tree(r, children)]
        for pid in tree(self.root, children) + extra:
            self._cpu[pid] = cpu.get(pid, self._cpu.get(pid, 0.0))
            rss = rss_bytes(pid)
            if rss is None:
                continue
            role = self._roles.get(pid)
            if role is None:
                extra_root = pid in self.extra_roots
                role = self._roles[pid] = "Prefect server" if extra_root else _role(pid, self.root)
            total += rss
            pss += pss_bytes(pid) or 0
            count += 1
            by_role[role] += rss
            n_by_role[role] += 1
        self.usage.samples += 1
        self.usage.max_processes = max(self.usage.max_processes, count)
        self.usage.pss_bytes = max(self.usage.pss_bytes, pss)
        by_cpu: Counter[str] = Counter()
        for pid, seconds in self._cpu.items():
            by_cpu[self._roles.get(pid, "other")] += seconds - self._cpu0.get(pid, 0.0)
        self.usage.cpu_by_role = dict(by_cpu)
        self._extra.update(extra)
        self.usage.extra_cpu = sum(self._cpu[p] - self._cpu0.get(p, 0.0) for p in self._extra)
        if total > self.usage.rss_bytes:
            self.usage.rss_bytes = total
            self.usage.by_role = {r: (n_by_role[r], by_role[r]) for r in by_role}
