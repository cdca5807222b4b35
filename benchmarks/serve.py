"""Measure ``scaffold serve``: one warm zip against a cold ``scaffold new``, then a load test.

    python benchmarks/serve.py [--runs 15] [--requests 200] [--concurrency 20] [--write FILE]

Uses the benchmark venv of ``run.py`` (scaffold from this checkout, here with
its ``web`` extra). Every request goes to 127.0.0.1. The zip and the cold
render are measured in turn (zip, render, zip, render, ...) and compared by
their medians; the load test sends a bounded number of requests, a fixed
number at a time, and reports throughput, latency and the memory of the server
and its render workers before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BIN, ROOT, bench_env, prepare, sh, timed

#: The zip of one project must cost at most this share of a cold ``scaffold new``.
ZIP_TARGET = 0.5
FRAMEWORK = "flask"


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc), zombies left out."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
            if int(parent) == pid and state != "Z":
                found.append(int(stat.parent.name))
    return sorted(found)


def memory_kib(pids: list[int]) -> int:
    """Resident memory of these processes together, in KiB."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def check_zip(body: bytes) -> None:
    """Raise unless ``body`` is a sound zip archive."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        if (bad := archive.testzip()) is not None:
            raise ValueError(f"corrupt member {bad}")


@dataclass
class LoadResult:
    """What a load test saw: one latency per request, the failures, the wall time."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Requests answered per second."""
        return len(self.latencies) / self.seconds

    def percentile(self, share: float) -> float:
        """The latency that ``share`` of the requests stayed within (nearest rank)."""
        ordered = sorted(self.latencies)
        return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def load(
    url_for: Callable[[int], str],
    requests: int,
    concurrency: int,
    check: Callable[[bytes], None] = check_zip,
) -> LoadResult:
    """Send ``requests`` GETs, ``concurrency`` at a time; each must be a 200 passing ``check``."""
    result = LoadResult()

    def one(index: int) -> None:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(url_for(index), timeout=120) as response:  # noqa: S310
                check(response.read())
        except Exception as error:  # every failure is counted, whatever it is
            result.failures.append(f"request {index}: {error}")
        result.latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    result.seconds = time.perf_counter() - started
    return result


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def server(tmp: Path, renders: int) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``scaffold serve`` from the benchmark venv, ready with ``renders`` workers."""
    port = free_port()
    env = {**bench_env(), "TMPDIR": str(tmp)}
    command = [str(BIN / "scaffold"), "serve", "--port", str(port), "--renders", str(renders)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            with (
                contextlib.suppress(OSError, ValueError),
                urllib.request.urlopen(f"{url}/health", timeout=5) as response,  # noqa: S310
            ):
                if json.load(response)["renders"]["workers"] == renders:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                sys.exit("benchmark set-up failed: scaffold serve did not become ready")
            time.sleep(0.1)
        yield process, url
    finally:
        process.terminate()
        process.wait(timeout=30)


def zip_url(base: str, name: str) -> str:
    """The archive of the benchmarked project."""
    return f"{base}/starter.zip?name={name}&framework={FRAMEWORK}"


def one_zip(url: str) -> float:
    """Wall time of one zip request, answered in full."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310
        check_zip(response.read())
    return time.perf_counter() - started


@dataclass
class Figures:
    """Everything one run measured."""

    renders: int
    runs: int
    zip_time: float
    cold_time: float
    requests: int
    concurrency: int
    load: LoadResult
    memory_before: int
    memory_after: int
    dirs_left: int
    #: The machine's one-minute load average at the end: other work slows both sides.
    load_average: float

    @property
    def ratio(self) -> float:
        """One zip against one cold render: below 1 is faster."""
        return self.zip_time / self.cold_time


def measure(runs: int, requests: int, concurrency: int) -> Figures:
    """Time zips against cold renders in turn, then run the load test."""
    renders = max(1, min(4, os.cpu_count() or 1))
    cold = [str(BIN / "scaffold"), "new", "x", "--framework", FRAMEWORK, "--defaults", "--no-git"]
    with (
        tempfile.TemporaryDirectory(prefix="scaffold-bench-serve-") as tmp,
        server(Path(tmp), renders) as (process, base),
    ):
        zips, colds = [], []
        for run in range(runs):
            zips.append(one_zip(zip_url(base, f"x{run}")))
            with tempfile.TemporaryDirectory(prefix="scaffold-bench-") as scratch:
                colds.append(timed(cold, Path(scratch)))
        load(lambda index: zip_url(base, f"warm{index}"), concurrency, concurrency)
        before = memory_kib([process.pid, *children(process.pid)])
        result = load(lambda index: zip_url(base, f"load{index}"), requests, concurrency)
        time.sleep(1)
        after = memory_kib([process.pid, *children(process.pid)])
        left = sum(len(list(scratch.iterdir())) for scratch in Path(tmp).glob("scaffold-serve-*"))
    return Figures(
        renders, runs, statistics.median(zips), statistics.median(colds), requests, concurrency,
        result, before, after, left, os.getloadavg()[0],
    )  # fmt: skip


def report(figures: Figures) -> str:
    """The Markdown page written by --write."""
    verdict = "meets target" if figures.ratio <= ZIP_TARGET else "misses target"
    machine = f"Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    result = figures.load
    lines = [
        "# Performance of `scaffold serve`",
        "",
        "Measured by `python benchmarks/serve.py` on 127.0.0.1, with the server's default",
        f"of {figures.renders} render workers. Last run: {date.today().isoformat()}, {machine},",
        f"{os.cpu_count()} CPUs, load average {figures.load_average:.1f} at the end (other",
        "work on the machine slows both sides of the comparison and the load test alike).",
        "",
        "| benchmark | scaffold serve | peer | peer's figure | ratio | target | |",
        "|---|---:|---|---:|---:|---:|---|",
        f"| One zip of the {FRAMEWORK} starter (median of {figures.runs}) "
        f"| {figures.zip_time:.3f} s | cold `scaffold new --no-git` | {figures.cold_time:.3f} s "
        f"| {figures.ratio:.2f} | <= {ZIP_TARGET:.2f} | {verdict} |",
        "",
        f"Load test: {figures.requests} `/starter.zip` requests, {figures.concurrency} at a time.",
        "",
        "| requests/s | p50 | p95 | max | failures | memory before | after | dirs left |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {result.rate:.1f} | {result.percentile(0.5):.3f} s | {result.percentile(0.95):.3f} s "
        f"| {max(result.latencies):.3f} s | {len(result.failures)} "
        f"| {figures.memory_before / 1024:.1f} MiB | {figures.memory_after / 1024:.1f} MiB "
        f"| {figures.dirs_left} |",
        "",
        "Memory is the resident set of the server and its workers together. A zip needs",
        "no start-up of its own: each worker has imported copier and rendered a project",
        "before the first request, so a request pays only for its render and its archive.",
    ]
    lines += [f"- {failure}" for failure in result.failures[:10]]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Set up, measure, print and optionally write the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="zip/cold render pairs to time")
    parser.add_argument("--requests", type=int, default=200, help="requests of the load test")
    parser.add_argument("--concurrency", type=int, default=20, help="requests at a time")
    parser.add_argument("--write", metavar="FILE", help="also write the report to FILE")
    parser.add_argument("--fresh", action="store_true", help="rebuild the benchmark venv")
    args = parser.parse_args()
    prepare(args.fresh)
    sh([str(BIN / "python"), "-m", "pip", "install", "-q", f"{ROOT}[web]"])
    if shutil.which("git") is None:
        sys.exit("the cold render needs git on PATH")
    text = report(measure(args.runs, args.requests, args.concurrency))
    print(text, end="")
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
