"""Time, peak memory and CPU of one operation, as the peer benchmark reads them: for a command,
its own process (``wait4`` in a small launcher); for a server, the server's process tree during
the request (``/proc``: the peak is VmHWM, reset before the request, so it is that request's)."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Measurement:
    seconds: float
    peak_mib: float
    cpu_seconds: float
    growth_mib: float | None = None  # servers only: peak minus the RSS before the request
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def median_of(measurements: list[Measurement]) -> dict:
    """Median time, peak and CPU of the runs, with the single run times."""
    growths = [m.growth_mib for m in measurements if m.growth_mib is not None]
    peaks = [m.peak_mib for m in measurements]
    return {
        "seconds": statistics.median(m.seconds for m in measurements),
        "runs": [m.seconds for m in measurements],
        "peak_mib": statistics.median(m.peak_mib for m in measurements),
        "peak_range": (min(peaks), max(peaks)),
        "cpu_seconds": statistics.median(m.cpu_seconds for m in measurements),
        "growth_mib": statistics.median(growths) if growths else None,
        "detail": measurements[-1].detail,
    }


# Runs the command and writes its resource use to argv[1]. A small process in between: a child's
# ru_maxrss starts from the memory of the process that forked it (the kernel records the old
# address space's peak at exec), so a command forked straight from this benchmark, which holds
# the peer's tasks, would report the benchmark's memory instead of its own.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_pid, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as report:
    json.dump({"seconds": seconds, "maxrss_kib": usage.ru_maxrss,
               "cpu": usage.ru_utime + usage.ru_stime}, report)
sys.exit(os.waitstatus_to_exitcode(status) and 1)
"""


def command_measure(command: list[str], *, env: dict, cwd: Path) -> tuple[Measurement, str]:
    """Run a command to its end: wall clock, its peak RSS and its CPU seconds; and its stdout.
    Raises RuntimeError with its output when it fails."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        done = subprocess.run(
            [sys.executable, "-c", LAUNCHER, report.name, *command],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            output = done.stderr or done.stdout
            raise RuntimeError(f"{' '.join(command[:4])} failed:\n{output[-3000:]}")
        usage = json.load(report)
    measurement = Measurement(
        seconds=usage["seconds"], peak_mib=usage["maxrss_kib"] / 1024, cpu_seconds=usage["cpu"]
    )
    return measurement, done.stdout


# --------------------------------------------------------------------------------------------
# A server's process tree
# --------------------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (a server may fork workers)."""
    pids, index = [pid], 0
    while index < len(pids):
        for task in Path(f"/proc/{pids[index]}/task").glob("*"):
            try:
                pids += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
        index += 1
    return pids


def status_kib(pid: int, field: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads (and its children already reaped)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3; utime, stime, cutime, cstime are 14-17.
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def peak_reset(pid: int) -> bool:
    """Set VmHWM back to the current RSS (Linux >= 4.0), so it becomes the peak from now on."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def server_measure(pid: int, work: Callable[[], str]) -> Measurement:
    """Wall clock of work() (one request, until its answer is complete), and the server's
    peak RSS, RSS growth and CPU seconds during it."""
    pids = process_tree(pid)
    exact = all([peak_reset(p) for p in pids])
    rss_before = sum(status_kib(p, "VmRSS") for p in pids)
    cpu_before = sum(cpu_seconds(p) for p in pids)
    started = time.perf_counter()
    detail = work()
    seconds = time.perf_counter() - started
    pids = process_tree(pid)
    peak = sum(status_kib(p, "VmHWM" if exact else "VmRSS") for p in pids)
    return Measurement(
        seconds=seconds,
        peak_mib=peak / 1024,
        cpu_seconds=sum(cpu_seconds(p) for p in pids) - cpu_before,
        growth_mib=(peak - rss_before) / 1024,
        detail=detail,
    )
