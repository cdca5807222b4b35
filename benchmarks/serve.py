"""Measure ``scaffold serve``: first-time zips against a cold ``scaffold new``, then load tests.

    python benchmarks/serve.py [--runs 15] [--requests 200] [--concurrency 20]
                               [--cache-size 4M] [--write FILE]

Uses the benchmark venv of ``run.py`` (scaffold from this checkout, here with
its ``web`` extra). Every request goes to 127.0.0.1. A zip of answers never
asked before (a new project name each time, so the archive cache cannot serve
it) and the cold render are measured in turn (zip, render, zip, render, ...)
and compared by their medians. Two load tests follow, a fixed number of
requests at a time: a mix of ten answer sets, as a team asks for the same few
starters, and answers that are all new; each reports throughput, latency and
failures. The memory of the server and its render workers is taken before and
after, beside the configured cache bound, which the all-new test overfills.
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
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BIN, ROOT, bench_env, prepare, sh, timed

#: A first-time zip must cost at most this share of a cold ``scaffold new``.
ZIP_TARGET = 0.15
#: The 95th percentile latency of the mixed load test must stay within this, in seconds.
P95_TARGET = 1.0
FRAMEWORK = "flask"
#: The mixed load test's answer sets: every framework, criteria, options, overrides.
ANSWER_SETS = [
    {"name": "shop", "framework": "django"},
    {"name": "shop", "size": "large", "builtins": "yes"},
    {"name": "api", "framework": "fastapi", "auth": "yes"},
    {"name": "svc", "framework": "flask", "database": "postgresql"},
    {"name": "blog", "size": "small", "app_type": "web"},
    {"name": "hub", "framework": "fastapi", "size": "large", "api_docs": "yes"},
    {"name": "crm", "framework": "django", "docker": "false", "ci": "gitlab"},
    {"name": "tool", "framework": "flask", "license": "Apache-2.0"},
    {"name": "feed", "framework": "fastapi", "database": "none"},
    {"name": "portal", "framework": "flask", "database": "postgresql", "auth": "yes"},
]


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


def memory_of(pid: int) -> tuple[int, int]:
    """Resident memory in KiB of the server ``pid`` and of its workers together."""
    return memory_kib([pid]), memory_kib(children(pid))


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
def server(
    tmp: Path, renders: int, cache_size: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``scaffold serve`` from the benchmark venv, ready with ``renders`` workers."""
    port = free_port()
    env = {**bench_env(), "TMPDIR": str(tmp)}
    command = [str(BIN / "scaffold"), "serve", "--port", str(port), "--workers", str(renders)]
    command += ["--cache-size", cache_size]
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


def mixed_url(base: str, index: int) -> str:
    """The archive of one of the mixed test's answer sets, in turn."""
    return f"{base}/starter.zip?{urllib.parse.urlencode(ANSWER_SETS[index % len(ANSWER_SETS)])}"


def health(base: str) -> dict[str, Any]:
    """The server's /health answer."""
    with urllib.request.urlopen(f"{base}/health", timeout=30) as response:  # noqa: S310
        answer: dict[str, Any] = json.load(response)
    return answer


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
    mixed: LoadResult
    new: LoadResult
    #: Resident memory in KiB of the server process and of its workers, before and after.
    memory_before: tuple[int, int]
    memory_after: tuple[int, int]
    #: The archive cache as /health reports it at the end (entries, bytes, limit, counts).
    cache: dict[str, int]
    dirs_left: int
    #: The machine's one-minute load average at the end: other work slows both sides.
    load_average: float

    @property
    def ratio(self) -> float:
        """One zip against one cold render: below 1 is faster."""
        return self.zip_time / self.cold_time


def measure(runs: int, requests: int, concurrency: int, cache_size: str) -> Figures:
    """Time first-time zips against cold renders in turn, then run both load tests."""
    renders = max(1, min(4, os.cpu_count() or 1))
    cold = [str(BIN / "scaffold"), "new", "x", "--framework", FRAMEWORK, "--defaults", "--no-git"]
    with (
        tempfile.TemporaryDirectory(prefix="scaffold-bench-serve-") as tmp,
        server(Path(tmp), renders, cache_size) as (process, base),
    ):
        zips, colds = [], []
        for run in range(runs):
            zips.append(one_zip(zip_url(base, f"x{run}")))
            with tempfile.TemporaryDirectory(prefix="scaffold-bench-") as scratch:
                colds.append(timed(cold, Path(scratch)))
        # As many renders first as the tests make: the workers reach their warm state.
        load(lambda index: zip_url(base, f"warm{index}"), requests, concurrency)
        before = memory_of(process.pid)
        mixed = load(lambda index: mixed_url(base, index), requests, concurrency)
        new = load(lambda index: zip_url(base, f"load{index}"), requests, concurrency)
        time.sleep(1)
        after = memory_of(process.pid)
        cache = health(base)["cache"]
        left = sum(len(list(scratch.iterdir())) for scratch in Path(tmp).glob("scaffold-serve-*"))
    return Figures(
        renders, runs, statistics.median(zips), statistics.median(colds), requests, concurrency,
        mixed, new, before, after, cache, left, os.getloadavg()[0],
    )  # fmt: skip


def load_row(label: str, result: LoadResult, target: str) -> str:
    """One row of the load table."""
    return (
        f"| {label} | {result.rate:.1f} | {result.percentile(0.5):.3f} s "
        f"| {result.percentile(0.95):.3f} s | {max(result.latencies):.3f} s "
        f"| {len(result.failures)} | {target} |"
    )


def report(figures: Figures) -> str:
    """The Markdown page written by --write."""
    verdict = "meets target" if figures.ratio <= ZIP_TARGET else "misses target"
    mixed = figures.mixed
    mixed_ok = mixed.percentile(0.95) <= P95_TARGET and not mixed.failures
    mixed_verdict = f"p95 <= {P95_TARGET:g} s, no failure: {'met' if mixed_ok else 'missed'}"
    machine = f"Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    cache = figures.cache
    mib = 1024 * 1024
    lines = [
        "# Performance of `scaffold serve`",
        "",
        "Measured by `python benchmarks/serve.py` on 127.0.0.1, with the server's default",
        f"of {figures.renders} render workers and an archive cache of "
        f"{cache['limit'] / mib:g} MiB. Last run: {date.today().isoformat()}, {machine},",
        f"{os.cpu_count()} CPUs, load average {figures.load_average:.1f} at the end (other",
        "work on the machine slows both sides of the comparison and the load tests alike).",
        "",
        "| benchmark | scaffold serve | peer | peer's figure | ratio | target | |",
        "|---|---:|---|---:|---:|---:|---|",
        f"| First-time zip of the {FRAMEWORK} starter (median of {figures.runs}, "
        f"a new name each) | {figures.zip_time:.3f} s | cold `scaffold new --no-git` "
        f"| {figures.cold_time:.3f} s | {figures.ratio:.2f} | <= {ZIP_TARGET:.2f} | {verdict} |",
        "",
        f"Load tests: {figures.requests} `/starter.zip` requests each, "
        f"{figures.concurrency} at a time.",
        "",
        "| answers | requests/s | p50 | p95 | max | failures | target |",
        "|---|---:|---:|---:|---:|---:|---|",
        load_row(f"a mix of {len(ANSWER_SETS)} answer sets", mixed, mixed_verdict),
        load_row("all new (every archive rendered)", figures.new, "none"),
        "",
        "| memory | server | workers | together |",
        "|---|---:|---:|---:|",
        *(
            f"| {when} | {server / 1024:.1f} MiB | {workers / 1024:.1f} MiB "
            f"| {(server + workers) / 1024:.1f} MiB |"
            for when, (server, workers) in (
                ("before the load tests", figures.memory_before),
                ("after both", figures.memory_after),
            )
        ),
        "",
        f"Cache bound {cache['limit'] / mib:g} MiB; at the end it held {cache['entries']} "
        f"archives, {cache['bytes'] / mib:.1f} MiB. Render directories left: {figures.dirs_left}.",
        "",
        "Memory is the resident set, taken once as many new archives as the load tests",
        "ask for have been made (the cache is full by then), and after both tests. The",
        "archives are kept by the server process; the all-new test asks for more of them",
        "than the cache holds, so the least recently used are dropped and the cache stays",
        f"within its bound ({cache['renders']} archives rendered in all, {cache['hits']} "
        f"answered from the cache, {cache['shared']} by another request's render).",
        "",
        "A first-time zip needs no start-up of its own: each worker has imported copier",
        "and rendered a project of each framework before its first request, keeps the",
        "templates it has compiled in memory, builds copier's render context once per",
        "project, and packs the archive in memory, so a request pays only for its render.",
    ]
    failures = [*mixed.failures, *figures.new.failures]
    lines += [f"- {failure}" for failure in failures[:10]]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Set up, measure, print and optionally write the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="zip/cold render pairs to time")
    parser.add_argument("--requests", type=int, default=200, help="requests of the load test")
    parser.add_argument("--concurrency", type=int, default=20, help="requests at a time")
    parser.add_argument(
        "--cache-size", default="4M", help="the server's archive cache (small: the test fills it)"
    )
    parser.add_argument("--write", metavar="FILE", help="also write the report to FILE")
    parser.add_argument("--fresh", action="store_true", help="rebuild the benchmark venv")
    args = parser.parse_args()
    prepare(args.fresh)
    sh([str(BIN / "python"), "-m", "pip", "install", "-q", f"{ROOT}[web]"])
    if shutil.which("git") is None:
        sys.exit("the cold render needs git on PATH")
    text = report(measure(args.runs, args.requests, args.concurrency, args.cache_size))
    print(text, end="")
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
