"""CPU time and memory of process trees, read from /proc (Linux only)."""

import os
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after its closing one.
    return text[text.rindex(")") + 2 :].split()


def parent_map() -> dict[int, int]:
    """pid -> parent pid of every process on the machine."""
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    return parents


def process_tree(root: int, parents: dict[int, int] | None = None) -> list[int]:
    """`root` and all its live descendants."""
    parents = parent_map() if parents is None else parents
    children = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    tree, stack = [], [root] if root in parents else []
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, ()))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of the processes and of their children that have exited.

    Summed over a whole live tree this counts every process once: an exited process's time
    is in its reaping parent's cutime/cstime.
    """
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            # utime, stime, cutime, cstime are fields 14-17 of stat; 12-15 after the name.
            total += sum(int(value) for value in fields[11:15])
    return total / CLOCK_TICKS


def memory_kib(pids: list[int]) -> dict:
    """Summed resident memory now (VmRSS) and each process's own peak (VmHWM), in KiB."""
    rss = peak = 0
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
            elif line.startswith("VmHWM:"):
                peak += int(line.split()[1])
    return {"rss_kib": rss, "hwm_kib": peak}


def pss_kib(pids: list[int]) -> int:
    """Summed proportional set size: resident memory with shared pages divided among their sharers.

    Unlike RSS it can be summed over processes that share memory (PostgreSQL's shared buffers,
    gunicorn workers forked from a preloaded master) without counting shared pages twice.
    """
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
                break
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # guest time is already in user
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


class TreeWatcher:
    """Follows named process trees during a run: CPU used, peak summed PSS, per-process RSS peaks."""

    def __init__(self, roots: dict[str, int], single: frozenset = frozenset()):
        self.roots = roots
        self.single = single  # names whose process is measured alone, without its children
        self.start_cpu = {}
        self.peak_pss = {name: 0 for name in roots}
        self.peak_processes = {name: 0 for name in roots}
        self.hwm = {name: {} for name in roots}
        self.machine_start = None

    def _trees(self) -> dict[str, list[int]]:
        parents = parent_map()
        return {
            name: ([root] if root in parents else []) if name in self.single else process_tree(root, parents)
            for name, root in self.roots.items()
        }

    def start(self) -> None:
        """Take the starting CPU figures."""
        trees = self._trees()
        self.start_cpu = {name: cpu_seconds(pids) for name, pids in trees.items()}
        self.machine_start = machine_cpu()
        self.sample(trees)

    def sample(self, trees: dict[str, list[int]] | None = None) -> None:
        """Update the memory peaks (call every fraction of a second)."""
        trees = self._trees() if trees is None else trees
        for name, pids in trees.items():
            for pid in pids:
                memory = memory_kib([pid])
                if memory["hwm_kib"]:
                    self.hwm[name][pid] = max(self.hwm[name].get(pid, 0), memory["hwm_kib"])
            self.peak_pss[name] = max(self.peak_pss[name], pss_kib(pids))
            self.peak_processes[name] = max(self.peak_processes[name], len(pids))

    def finish(self, wall_seconds: float) -> dict:
        """CPU seconds and share of one core per tree, memory peaks, and the machine's other load."""
        trees = self._trees()
        self.sample(trees)
        busy_end, total_end = machine_cpu()
        busy_start, total_start = self.machine_start
        result = {}
        ours = 0.0
        for name, pids in trees.items():
            used = cpu_seconds(pids) - self.start_cpu.get(name, 0.0)
            ours += used
            result[name] = {
                "cpu_seconds": round(used, 2),
                "cpu_cores": round(used / wall_seconds, 3) if wall_seconds else None,
                "peak_memory_mib": round(self.peak_pss[name] / 1024, 1),  # summed PSS
                "sum_of_process_rss_peaks_mib": round(sum(self.hwm[name].values()) / 1024, 1),
                "processes": self.peak_processes[name],
            }
        busy = busy_end - busy_start
        cores = (total_end - total_start) / wall_seconds if wall_seconds else 0
        result["machine"] = {
            "busy_cpu_seconds": round(busy, 2),
            "cores": round(cores, 2),
            "utilisation": round(busy / (total_end - total_start), 3) if total_end > total_start else None,
            # CPU used by processes outside the watched trees (other people's tests, say).
            "other_cpu_seconds": round(max(0.0, busy - ours), 2),
        }
        return result


def wait_quiet(limit: float, threshold: float = 0.3) -> dict:
    """Wait (up to `limit` seconds) until the machine's busy CPU over 2 s is under `threshold` cores."""
    started = time.monotonic()
    while True:
        busy_before, total_before = machine_cpu()
        time.sleep(2)
        busy_after, total_after = machine_cpu()
        cores = (busy_after - busy_before) / 2
        waited = time.monotonic() - started
        if cores < threshold or waited >= limit:
            return {"waited_s": round(waited, 1), "background_cores": round(cores, 2)}
        print(f"  the machine is busy ({cores:.2f} cores): waiting", flush=True)
