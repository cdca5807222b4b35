"""Measure scaffold against the tools people use today, side by side, in one run.

    python benchmarks/run.py [--runs 15] [--green-runs 3] [--write docs/performance.md]

The script builds its own venv under benchmarks/.work/ with scaffold (a normal,
non-editable install of this checkout), copier, cookiecutter, Django and uv, so
every tool is measured on the same interpreter and disk. Each figure is the
median of several runs, interleaved (A, B, A, B, ...) so that a burst of load
on the machine hits both sides; results are reported as ratios to the peer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
VENV = WORK / "venv"
BIN = VENV / "bin"
CACHE = WORK / "template-cache"
FRAMEWORKS = ("django", "flask", "fastapi")
PEERS = ["copier>=9.17.2,<10", "cookiecutter>=2.6", "Django>=5.2,<7", "uv>=0.5"]

#: Builds the command line of one measured run, given the scratch directory it runs in.
Command = Callable[[Path], list[str]]
Measure = Callable[[Sequence[str], Path], float]

EXPLANATION = """\
- *Start-up*: `scaffold --help` against `copier --help`.
- *Render*: CPU time (user and system, git and other child processes included) of
  `scaffold new x --framework F --defaults --no-git` against `copier copy --defaults`
  of the same bundled template. `django-admin startproject` (a much smaller project)
  and `cookiecutter --no-input` of a template holding the same files as the Flask
  starter are reference points, not targets. scaffold renders with copier itself; it
  comes out ahead because it compiles each template once per release and keeps the
  compiled code in the user's cache directory (`scaffold.template_cache`; the first
  render after an install compiles, and is the "no template cache" row), skips
  copier's per-file `git config` call that cannot apply to a fresh project, reads
  copier.yml once, and skips the interpreter's final garbage collection
  (`scaffold._cli.run`). The cache takes a few hundred kilobytes per release in
  `~/.cache/scaffold/templates` (the platform's user cache directory);
  `SCAFFOLD_CACHE_DIR` moves it, and an empty value turns it off.
- *Time to green*: `scaffold new x --framework F --defaults --check` with uv and a
  warm cache, against the manual path: `copier copy`, `python -m venv`,
  `pip install -e '.[dev]'`, `pytest`.
- *Peak memory*: maximum resident set size of the whole process, from `wait4`.
"""


@dataclass
class Row:
    """One line of the results table."""

    benchmark: str
    ours: float
    peer_name: str
    peer: float
    target: float | None
    unit: str = "s"

    @property
    def ratio(self) -> float:
        """Ours divided by the peer's: below 1 is faster or smaller."""
        return self.ours / self.peer

    @property
    def verdict(self) -> str:
        """Whether the ratio meets its target; reference rows have none."""
        if self.target is None:
            return "reference"
        return "meets target" if self.ratio <= self.target else "misses target"


def sh(command: Sequence[str], cwd: Path | None = None) -> None:
    """Run a set-up command; stop the benchmark with its output if it fails."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shown = " ".join(map(str, command))
        sys.exit(f"benchmark set-up failed: {shown}\n{result.stdout}{result.stderr}")


def prepare(fresh: bool) -> None:
    """The benchmark venv with scaffold from this checkout and every peer."""
    if fresh and VENV.exists():
        shutil.rmtree(VENV)
    if not VENV.exists():
        sh([sys.executable, "-m", "venv", str(VENV)])
    pip = [str(BIN / "python"), "-m", "pip", "install", "-q"]
    sh([*pip, str(ROOT), *PEERS])
    sh([*pip, "--force-reinstall", "--no-deps", str(ROOT)])  # this checkout, not a cached build


def bench_env() -> dict[str, str]:
    """The environment of every measured command: the benchmark venv first on PATH.

    scaffold keeps compiled templates in a cache directory of the benchmark's
    own, warmed by the first render, as a user's is after their first project.
    """
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "CI")}
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env["SCAFFOLD_CACHE_DIR"] = str(CACHE)
    return env


def timed(command: Sequence[str], cwd: Path) -> float:
    """Wall time of one run in seconds; the command must succeed."""
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=cwd, env=bench_env(), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(command)}\n{result.stdout}{result.stderr}")
    return elapsed


def usage(command: Sequence[str], cwd: Path) -> resource.struct_rusage:
    """The resources one run used, from wait4: the process and every process it waited for."""
    process = subprocess.Popen(
        command, cwd=cwd, env=bench_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _pid, status, used = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(command)}")
    return used


def cpu_time(command: Sequence[str], cwd: Path) -> float:
    """CPU seconds of one run, user and system, its child processes (git, ...) included.

    Less disturbed than wall time by other work on a shared machine.
    """
    used = usage(command, cwd)
    return used.ru_utime + used.ru_stime


def peak_memory(command: Sequence[str], cwd: Path) -> float:
    """Peak resident memory of one run in MiB (the largest of the process and its children)."""
    return usage(command, cwd).ru_maxrss / 1024


def interleaved(commands: dict[str, Command], runs: int, measure: Measure) -> dict[str, float]:
    """Median of ``runs`` measurements of each command, taken in turn, each in a fresh directory."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, build in commands.items():
            with tempfile.TemporaryDirectory(prefix="scaffold-bench-") as scratch:
                samples[name].append(measure(build(Path(scratch)), Path(scratch)))
    return {name: statistics.median(values) for name, values in samples.items()}


def templates_dir() -> str:
    """The copier template inside the installed scaffold: the very files scaffold renders."""
    code = "from scaffold.options import templates_root; print(templates_root())"
    result = subprocess.run([str(BIN / "python"), "-c", code], capture_output=True, text=True)
    return result.stdout.strip()


def cookiecutter_template() -> Path:
    """A cookiecutter template of comparable size: the files of a rendered Flask project."""
    template = WORK / "cookiecutter-flask"
    if template.exists():
        shutil.rmtree(template)
    with tempfile.TemporaryDirectory() as scratch:
        sh(
            [str(BIN / "scaffold"), "new", "x", "-y", "--framework", "flask", "--no-git"],
            Path(scratch),
        )
        shutil.copytree(
            Path(scratch) / "x",
            template / "{{cookiecutter.project_slug}}",
            ignore=shutil.ignore_patterns(".env"),
        )
    settings = {"project_slug": "x", "_copy_without_render": ["*.html", "*.css"]}
    (template / "cookiecutter.json").write_text(json.dumps(settings))
    return template


def scaffold_new(framework: str, *extra: str, cache: bool = True) -> Command:
    """``scaffold new x`` for one framework, without questions (``cache=False``: compiling all)."""
    command = [str(BIN / "scaffold"), "new", "x", "--framework", framework, "--defaults", *extra]
    if not cache:
        command = ["env", "SCAFFOLD_CACHE_DIR=", *command]
    return lambda scratch: command


def copier_copy(framework: str, templates: str) -> Command:
    """``copier copy`` of the same bundled template, without questions.

    The Python version is given as scaffold picks it (the running one), so both
    tools write the same project; the template's own default may not install here.
    """
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    data = ["--data", f"framework={framework}", "--data", "project_name=x"]
    data += ["--data", f"python_version={python}"]
    command = [str(BIN / "copier"), "copy", "--defaults", "--quiet", *data, templates, "x"]
    return lambda scratch: command


def manual_path(framework: str, templates: str) -> Command:
    """What a copier user does today to reach a green test run."""
    steps = " && ".join(
        [
            " ".join(copier_copy(framework, templates)(Path())),
            "cd x",
            f"{sys.executable} -m venv .venv",
            ".venv/bin/pip install -q -e '.[dev]'",
            ".venv/bin/python -m pytest -q",
        ]
    )
    return lambda scratch: ["sh", "-c", steps]


def fixed(*command: str) -> Command:
    """A command that does not depend on the scratch directory."""
    return lambda scratch: list(command)


def run(runs: int, green_runs: int) -> list[Row]:
    """Every benchmark, in order; one row per comparison."""
    templates = templates_dir()
    rows: list[Row] = []
    help_runs = {
        "scaffold": fixed(str(BIN / "scaffold"), "--help"),
        "copier": fixed(str(BIN / "copier"), "--help"),
    }
    startup = interleaved(help_runs, runs, timed)
    rows.append(
        Row("Start-up: `--help`", startup["scaffold"], "copier --help", startup["copier"], 0.25)
    )

    cookiecutter = str(cookiecutter_template())
    for framework in FRAMEWORKS:
        commands = {
            "scaffold": scaffold_new(framework, "--no-git"),
            "copier": copier_copy(framework, templates),
            "django-admin": fixed(str(BIN / "django-admin"), "startproject", "x"),
            "cookiecutter": fixed(str(BIN / "cookiecutter"), "--no-input", cookiecutter),
        }
        commands["uncached"] = scaffold_new(framework, "--no-git", cache=False)
        with tempfile.TemporaryDirectory() as scratch:  # the first render fills the cache
            timed(commands["scaffold"](Path(scratch)), Path(scratch))
        render = interleaved(commands, runs, cpu_time)
        label = f"Render {framework} (CPU)"
        rows.append(Row(label, render["scaffold"], "copier copy", render["copier"], 0.75))
        for peer in ("django-admin startproject", "cookiecutter --no-input"):
            rows.append(Row(label, render["scaffold"], peer, render[peer.split()[0]], None))
        uncached = f"Render {framework} (CPU), no template cache"
        rows.append(Row(uncached, render["uncached"], "copier copy", render["copier"], None))

    for framework in FRAMEWORKS:
        ours = scaffold_new(framework, "--no-git", "--check", "--installer", "uv")
        with tempfile.TemporaryDirectory() as scratch:  # warm uv's cache, as the target says
            timed(ours(Path(scratch)), Path(scratch))
        green = interleaved(
            {"scaffold": ours, "manual": manual_path(framework, templates)}, green_runs, timed
        )
        peer = "copier + venv + pip + pytest"
        rows.append(
            Row(f"Time to green {framework}", green["scaffold"], peer, green["manual"], 0.35)
        )

    memory_runs = {
        "scaffold": scaffold_new("flask", "--no-git"),
        "copier": copier_copy("flask", templates),
    }
    memory = interleaved(memory_runs, runs, peak_memory)
    rows.append(
        Row(
            "Peak memory, render flask",
            memory["scaffold"],
            "copier copy",
            memory["copier"],
            1.1,
            "MiB",
        )
    )
    return rows


def table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| benchmark | scaffold | peer | peer's figure | ratio | target | |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for row in rows:
        target = f"<= {row.target:.2f}" if row.target is not None else "-"
        ours, peer = f"{row.ours:.3f} {row.unit}", f"{row.peer:.3f} {row.unit}"
        lines.append(
            f"| {row.benchmark} | {ours} | {row.peer_name} | {peer} | {row.ratio:.2f} "
            f"| {target} | {row.verdict} |"
        )
    return "\n".join(lines)


def report(rows: list[Row], runs: int, green_runs: int) -> str:
    """The Markdown page written to docs/performance.md."""
    machine = f"Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    return "\n".join(
        [
            "# Performance",
            "",
            "Measured by `python benchmarks/run.py`, which installs scaffold and its peers into",
            "one venv and times them side by side. Each figure is the median of interleaved",
            f"runs ({runs} runs; {green_runs} for time to green), so the ratios are what",
            "matter: machines are noisy, and absolute times differ between machines.",
            "",
            f"Last run: {date.today().isoformat()}, {machine}, {os.cpu_count()} CPUs.",
            "",
            table(rows),
            "",
            EXPLANATION,
        ]
    )


def main() -> None:
    """Set up, measure, print and optionally write the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="runs per quick measurement")
    parser.add_argument(
        "--green-runs", type=int, default=3, help="runs per time-to-green measurement"
    )
    parser.add_argument("--write", metavar="FILE", help="also write the report to FILE")
    parser.add_argument("--fresh", action="store_true", help="rebuild the benchmark venv")
    args = parser.parse_args()
    prepare(args.fresh)
    shutil.rmtree(CACHE, ignore_errors=True)  # compiled by this checkout, not an earlier one
    rows = run(args.runs, args.green_runs)
    text = report(rows, args.runs, args.green_runs)
    print(text)
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
