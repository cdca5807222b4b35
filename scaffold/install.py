"""Install a generated project into its own ``.venv`` and optionally run its tests.

uv is used when it can be found (on PATH, or the ``uv`` package from the
``fast`` extra of ``scaffold-starter``): it installs several times faster than ``python -m
venv`` + pip, which remain the fallback, and it first writes ``uv.lock``, the
exact versions every later install (CI, the Docker image) repeats. pip has no
lock format: its projects install from the version ranges. Every command
gets an argument list (never a shell string), its output is captured, and a
failure reports the command and the tail of what it printed. An interruption
(Ctrl-C, SIGTERM, SIGHUP) kills the running commands with everything they
started, then removes the half-made ``.venv``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from scaffold import interrupts
from scaffold.errors import InstallError, UsageError
from scaffold.progress import Steps

if TYPE_CHECKING:
    from scaffold.placement import ProjectResult
    from scaffold.plan import ProjectPlan

Installer = Literal["auto", "uv", "pip"]
INSTALLERS: tuple[Installer, ...] = ("auto", "uv", "pip")
VENV_DIR = ".venv"
LOCK_FILE = "uv.lock"
TAIL_LINES = 25


@dataclass(frozen=True)
class Command:
    """One step of the installation: what to show, and what to run."""

    title: str
    argv: tuple[str, ...]


def find_uv() -> str | None:
    """The uv executable: on PATH, or from the ``uv`` Python package; None when neither."""
    if found := shutil.which("uv"):
        return found
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        return None


def choose_installer(requested: Installer) -> tuple[Literal["uv", "pip"], str | None]:
    """Resolve ``auto`` to uv when available; refuse ``uv`` when it is not."""
    uv = find_uv()
    if requested == "uv" and uv is None:
        from scaffold.distribution import installation

        raise UsageError(
            "--installer uv: uv was not found; install it "
            f"({installation().install_command('fast')}) or use --installer pip"
        )
    if requested == "pip" or uv is None:
        return "pip", None
    return "uv", uv


def venv_python(project: Path) -> Path:
    """The interpreter inside the project's venv."""
    if os.name == "nt":
        return project / VENV_DIR / "Scripts" / "python.exe"
    return project / VENV_DIR / "bin" / "python"


def install_commands(project: Path, installer: Installer) -> list[Command]:
    """The commands that create the venv and install the project with its dev extra."""
    chosen, uv = choose_installer(installer)
    python = str(venv_python(project))
    if chosen == "uv" and uv:
        # --locked: the install fails rather than drift from the lock just written.
        return [
            Command(
                f"Locking dependencies with uv ({LOCK_FILE})",
                (uv, "lock", "--quiet", "--python", sys.executable),
            ),
            Command(
                "Installing dependencies with uv",
                (uv, "sync", "--locked", "--extra", "dev", "--python", sys.executable),
            ),
        ]
    return [
        Command("Creating .venv", (sys.executable, "-m", "venv", VENV_DIR)),
        Command(
            "Installing dependencies with pip",
            (python, "-m", "pip", "install", "--disable-pip-version-check", "-e", ".[dev]"),
        ),
    ]


def setup_commands(project: Path, setup: Sequence[str]) -> list[Command]:
    """The project's one-time set-up (e.g. database migrations), run with the venv's programs."""
    commands = []
    for line in setup:
        program, *args = shlex.split(line)
        bin_dir = venv_python(project).parent
        executable = str(venv_python(project) if program == "python" else bin_dir / program)
        commands.append(Command(f"Running {line}", (executable, *args)))
    return commands


def check_command(project: Path) -> Command:
    """The command that runs the generated project's own tests."""
    return Command("Running the project's tests", (str(venv_python(project)), "-m", "pytest", "-q"))


def project_environment(project: Path) -> dict[str, str]:
    """The environment for commands run in the project: its venv first, scaffold's own venv gone."""
    # UV_PROJECT_ENVIRONMENT would make `uv sync` install somewhere else than .venv.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT")
    }
    env["PATH"] = os.pathsep.join([str(venv_python(project).parent), env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(project / VENV_DIR)
    return env


class _Children:
    """The commands running now, each in its own process group.

    On an interruption every group is killed and waited for before the
    exception goes on, so no installer is still writing into ``.venv`` while
    the clean-up removes it (pip starts build back-ends of its own).
    """

    def __init__(self) -> None:
        self._running: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()

    def execute(self, command: Command, project: Path, env: dict[str, str]) -> str:
        """Run one command in ``project`` and return its output; a failure raises with its tail."""
        # A signal while the process starts waits until it is listed: interrupted
        # inside Popen, the child would run on with nobody left to kill it.
        with interrupts.deferred():
            try:
                process = subprocess.Popen(
                    command.argv,
                    cwd=project,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    errors="replace",
                    start_new_session=True,
                )
            except OSError as error:
                raise InstallError(f"cannot run {command.argv[0]}: {error.strerror}") from error
            with self._lock:
                self._running.add(process)
        # Interrupted, the process stays listed, for stopped_on_interrupt to kill.
        output, _ = process.communicate()
        with self._lock:
            self._running.discard(process)
        if process.returncode != 0:
            tail = "\n".join(output.rstrip().splitlines()[-TAIL_LINES:])
            command_line = shlex.join(command.argv)
            raise InstallError(
                f"'{command_line}' failed with exit code {process.returncode} in {project}",
                details=tail,
            )
        return output

    @contextmanager
    def stopped_on_interrupt(self) -> Iterator[_Children]:
        """Kill every command still running when the block is interrupted."""
        try:
            yield self
        except KeyboardInterrupt:
            with interrupts.deferred():
                self._kill_all()
            raise

    def _kill_all(self) -> None:
        with self._lock:
            running = list(self._running)
        for process in running:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        for process in running:
            process.wait()


def run(commands: Sequence[Command], project: Path, steps: Steps) -> None:
    """Run each command in ``project`` as its own step, stopping at the first failure."""
    env = project_environment(project)
    with _Children().stopped_on_interrupt() as children:
        for command in commands:
            with steps.step(command.title):
                children.execute(command, project, env)


def run_together(commands: Sequence[Command], title: str, project: Path, steps: Steps) -> list[str]:
    """Run independent commands at the same time, as one step; return their outputs.

    Any failure fails the step.

    The project's tests use their own database, so they need not wait for the
    set-up commands (migrations) that prepare the development one.
    """
    from concurrent.futures import ThreadPoolExecutor

    env = project_environment(project)
    with (
        steps.step(title),
        ThreadPoolExecutor(max_workers=len(commands)) as pool,
        _Children().stopped_on_interrupt() as children,
    ):
        futures = [pool.submit(children.execute, command, project, env) for command in commands]
        # The first failure, in command order, is raised.
        return [future.result() for future in futures]


def install(project: Path, installer: Installer, steps: Steps) -> bool:
    """Create ``project/.venv`` and install the project; tell whether ``uv.lock`` was written.

    A failed install removes what it made: the venv, and a lock file that the
    install that failed was writing.
    """
    made = [path for path in (project / VENV_DIR, project / LOCK_FILE) if not path.exists()]
    try:
        run(install_commands(project, installer), project, steps)
    except BaseException:
        with interrupts.deferred():
            for path in made:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        raise
    return (project / LOCK_FILE) in made and (project / LOCK_FILE).exists()


def set_up(
    result: ProjectResult, plan: ProjectPlan, installer: Installer, *, check: bool, steps: Steps
) -> list[str]:
    """Install a new project, commit its lock, run its set-up (and tests): notes on what happened.

    With ``check`` the project's tests run alongside the set-up. A failure says
    the project itself is complete: only the installation failed.
    """
    from scaffold.frameworks import FRAMEWORKS
    from scaffold.placement import commit_file

    project = result.path
    package, database = str(plan.options["package_name"]), str(plan.options["database"])
    setup = FRAMEWORKS[plan.framework].setup(package, database)
    notes = []
    try:
        if not install(project, installer, steps):
            notes.append(
                f"No {LOCK_FILE}: pip installs from the version ranges; "
                "'uv lock' writes one (see the README)."
            )
        elif commit_file(result, plan, LOCK_FILE, "Lock the dependencies with uv"):
            notes.append(f"Wrote {LOCK_FILE} with the exact versions installed, and committed it.")
        else:
            notes.append(f"Wrote {LOCK_FILE} with the exact versions installed; commit it.")
        commands = setup_commands(project, setup)
        if not check:
            run(commands, project, steps)
            return notes
        commands.append(check_command(project))
        title = " and ".join([*setup, "the project's tests"])
        *_, test_output = run_together(commands, f"Running {title}", project, steps)
    except InstallError as error:
        raise InstallError(
            f"{error}; the project itself is complete in {project}", details=error.details
        ) from error
    summary = test_output.strip().splitlines()[-1] if test_output.strip() else ""
    return [*notes, f"Tests: {summary.strip('= ')}"]
