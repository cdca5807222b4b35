"""Failures, signals and closed streams at every stage: no partial project, nothing lost.

In-process tests patch one step to fail; the others send real signals to a
real ``scaffold`` process at the moment a stage is reached, or give it a real
full disk, a failing git, closed standard streams.
"""

from __future__ import annotations

import errno
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest

from helpers import (
    clean_env,
    failing_git_env,
    git_available,
    scaffold_command,
    snapshot,
    staging_left,
    tmpfs,
    uv_available,
)
from scaffold import _cli, answers, install, placement, project
from scaffold.errors import TemplateError


@pytest.fixture
def here(workdir, monkeypatch):
    """Run scaffold in-process in a directory that already holds a file of the user's."""
    monkeypatch.chdir(workdir)
    (workdir / "keep.txt").write_text("precious")
    return workdir


def assert_untouched(directory: Path, *, project_exists: bool = False) -> None:
    names = sorted(path.name for path in directory.iterdir())
    expected = ["keep.txt", "shop"] if project_exists else ["keep.txt"]
    assert names == expected, names
    assert (directory / "keep.txt").read_text() == "precious"


def interrupt(*_args, **_kwargs):
    raise KeyboardInterrupt


def render_then(error: BaseException):
    """A render that writes part of the project, then fails like a real one would."""
    real_render = project.render

    def partial_render(request, destination):
        real_render(request, destination)
        raise error

    return partial_render


@pytest.fixture
def at_a_terminal(monkeypatch):
    """Pretend a person is at the terminal, so the prompt functions are called."""
    monkeypatch.setattr(answers, "can_prompt", lambda: True)
    from scaffold import prompts

    return prompts


@pytest.mark.parametrize("prompt", ["ask_criteria", "ask", "confirm", "choose_answer_to_change"])
def test_ctrl_c_at_a_prompt(here, at_a_terminal, monkeypatch, capsys, prompt):
    from scaffold.criteria import CRITERIA

    monkeypatch.setattr(at_a_terminal, "ask_criteria", lambda questions, given: dict(given))
    monkeypatch.setattr(at_a_terminal, "ask", lambda question: question.default)
    monkeypatch.setattr(at_a_terminal, "confirm", lambda message, default: default)
    monkeypatch.setattr(at_a_terminal, "choose_answer_to_change", lambda answers: None)
    monkeypatch.setattr(at_a_terminal, prompt, interrupt)
    assert _cli.main(["new", "shop"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert_untouched(here)
    assert CRITERIA  # the questions exist, so the first prompt was really reached


@pytest.mark.parametrize(
    ("target", "replacement"),
    [
        ("render", render_then(KeyboardInterrupt())),
        ("write_env_file", interrupt),
        ("init_repository", interrupt),
        ("plan_moves", interrupt),
        ("apply_plan", interrupt),
    ],
)
def test_ctrl_c_while_generating(here, monkeypatch, capsys, target, replacement):
    monkeypatch.setattr(project if hasattr(project, target) else placement, target, replacement)
    assert _cli.main(["new", "shop", "-y"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err
    assert_untouched(here)


def test_an_interruption_cleans_up_even_with_keep_on_failure(here, monkeypatch, capsys):
    monkeypatch.setattr(project, "render", render_then(KeyboardInterrupt()))
    assert _cli.main(["new", "shop", "-y", "--keep-on-failure"]) == 130
    assert "kept in" not in capsys.readouterr().err
    assert_untouched(here)


def test_ctrl_c_while_generating_into_an_existing_directory_keeps_everything(here, monkeypatch):
    target = here / "shop"
    target.mkdir()
    (target / "README.md").write_text("my readme")
    monkeypatch.setattr(project, "render", render_then(KeyboardInterrupt()))
    assert _cli.main(["new", "shop", "-y", "--force"]) == 130
    assert [p.name for p in target.iterdir()] == ["README.md"]
    assert (target / "README.md").read_text() == "my readme"
    assert_untouched(here, project_exists=True)


def test_ctrl_c_while_installing_removes_only_the_half_made_venv(here, monkeypatch, capsys):
    def interrupted_run(commands, directory, steps):
        (directory / install.VENV_DIR).mkdir()
        raise KeyboardInterrupt

    monkeypatch.setattr(install, "run", interrupted_run)
    assert _cli.main(["new", "shop", "-y", "--install", "--no-git"]) == 130
    assert "complete in" in capsys.readouterr().err
    assert (here / "shop" / "pyproject.toml").exists()
    assert not (here / "shop" / install.VENV_DIR).exists()


def test_render_failure_leaves_nothing(here, monkeypatch, capsys):
    monkeypatch.setattr(project, "render", render_then(TemplateError("template broke")))
    assert _cli.main(["new", "shop", "-y"]) == 1
    assert "scaffold: error: template broke" in capsys.readouterr().err
    assert_untouched(here)


def test_keep_on_failure_keeps_the_partial_output_and_says_where(here, monkeypatch, capsys):
    monkeypatch.setattr(project, "render", render_then(TemplateError("template broke")))
    assert _cli.main(["new", "shop", "-y", "--keep-on-failure"]) == 1
    err = capsys.readouterr().err
    kept = Path(err.split("is kept in ")[1].strip())
    assert (kept / "pyproject.toml").exists()
    # Kept where it was staged: inside the target, which holds nothing else.
    assert kept.parent.parent == here / "shop" and kept.parent.name.endswith(".partial")
    assert [path.name for path in (here / "shop").iterdir()] == [kept.parent.name]


def test_disk_full_while_rendering(here, monkeypatch, capsys):
    full = OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(project, "render", render_then(full))
    assert _cli.main(["new", "shop", "-y"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert_untouched(here)


def test_read_only_file_system(here, monkeypatch, capsys):
    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(here))

    monkeypatch.setattr(placement.tempfile, "mkdtemp", read_only)
    assert _cli.main(["new", "shop", "-y"]) == 1
    assert "Read-only file system" in capsys.readouterr().err
    assert_untouched(here)


def test_bundled_templates_render_with_unsafe_features_off(tmp_path):
    """The templates need no --trust: copier's own unsafe check passes with unsafe=False."""
    from copier import run_copy

    from scaffold.frameworks import Framework
    from scaffold.options import templates_root

    for framework in Framework:
        destination = tmp_path / framework
        data = {"framework": framework, "project_name": "demo"}
        run_copy(
            str(templates_root()), destination, data=data, defaults=True, unsafe=False, quiet=True
        )
        assert (destination / "pyproject.toml").exists()


# ------------------------------------------------------------ moves that fail halfway


def failing_rename(monkeypatch, *, fail_at: int, undo_fails: bool = False) -> list[Path]:
    """Make the ``fail_at``-th rename of a move fail, as a full or cross-device disk would."""
    real_rename = Path.rename
    calls: list[Path] = []

    def rename(self, target):
        calls.append(self)
        undoing = ".partial" in str(target) and ".partial" not in str(self)
        if len(calls) == fail_at or (undo_fails and undoing):
            raise OSError(errno.EXDEV, "Invalid cross-device link", str(self))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    return calls


@pytest.mark.parametrize("fail_at", [1, 2, 5, 12])
def test_a_move_that_fails_halfway_is_undone(here, monkeypatch, capsys, fail_at):
    target = here / "shop"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / ".env").write_text("MINE=1\n")
    before = snapshot(here)
    calls = failing_rename(monkeypatch, fail_at=fail_at)
    assert _cli.main(["new", "shop", "-y", "--force"]) == 1
    err = capsys.readouterr().err
    assert "Invalid cross-device link" in err and len(err.splitlines()) == 1
    assert len(calls) == 2 * fail_at - 1  # each move made before the failure was moved back
    assert snapshot(here) == before


def test_a_failed_move_that_cannot_be_undone_keeps_the_rest_and_says_where(
    here, monkeypatch, capsys
):
    failing_rename(monkeypatch, fail_at=3, undo_fails=True)
    assert _cli.main(["new", "shop", "-y"]) == 1
    err = capsys.readouterr().err
    assert "undoing it failed for" in err and "the rest of the project is in" in err
    kept = Path(err.split("the rest of the project is in ")[1].split(";")[0].strip())
    assert (kept / ".env").exists()  # the staging directory was kept, not deleted


# ------------------------------------------------------------------ real processes


def start(args: list[str], cwd: Path, **env: str | None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*scaffold_command(), *args], cwd=cwd, env=clean_env(**env), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str], what: str) -> None:
    """Poll every millisecond until ``condition`` holds; fail if the process ends first."""
    deadline = time.monotonic() + 120
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            out, err = process.communicate()
            pytest.fail(f"scaffold ended ({process.returncode}) before {what}:\n{out}{err}")
        time.sleep(0.001)


def staging_dirs(target: Path) -> list[Path]:
    return list(target.glob(".scaffold-*.partial")) if target.is_dir() else []


STAGES = {
    # The staging directory exists from the claim on; .env is written after rendering.
    "rendering": lambda target: (
        bool(staging_dirs(target))
        and not any((staging / "shop" / ".env").exists() for staging in staging_dirs(target))
    ),
    "committing": lambda target: any(
        (staging / "shop" / ".git").exists() for staging in staging_dirs(target)
    ),
}
SIGNALS = [signal.SIGTERM, signal.SIGHUP, signal.SIGINT]


@pytest.fixture
def slow_commit(tmp_path: Path) -> dict[str, str]:
    """An environment whose new git repositories take seconds to commit (a sleeping hook).

    Without it, a loaded machine can finish the commit and the move between the
    moment a test sees the commit begin and the moment its signal arrives.
    """
    hooks = tmp_path / "git-template" / "hooks"
    hooks.mkdir(parents=True)
    hook = hooks / "pre-commit"
    hook.write_text("#!/bin/sh\nsleep 5\n")
    hook.chmod(0o755)
    return {"GIT_TEMPLATE_DIR": str(hooks.parent)}


@pytest.mark.parametrize("stage", sorted(STAGES))
@pytest.mark.parametrize("number", SIGNALS, ids=[s.name for s in SIGNALS])
def test_a_signal_while_generating_cleans_up_like_ctrl_c(workdir, stage, number, slow_commit):
    (workdir / "keep.txt").write_text("precious")
    env = slow_commit if stage == "committing" else {}
    process = start(["new", "shop", "-y", "--framework", "django"], workdir, **env)
    wait_for(lambda: STAGES[stage](workdir / "shop"), process, f"{stage} began")
    process.send_signal(number)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + number, err
    assert f"scaffold: interrupted ({signal.Signals(number).name})" in err
    assert "Traceback" not in err
    # No project, no staging directory with its live secret, nothing else touched.
    assert sorted(snapshot(workdir)) == ["keep.txt"]


def test_a_second_signal_does_not_cut_the_clean_up_short(workdir, slow_commit):
    process = start(["new", "shop", "-y"], workdir, **slow_commit)
    wait_for(lambda: STAGES["committing"](workdir / "shop"), process, "the commit began")
    sent = (signal.SIGTERM, signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGTERM)
    for number in sent:
        process.send_signal(number)
    _out, err = process.communicate(timeout=60)
    # Pending signals arrive in the kernel's order; the first one decides the exit code.
    assert process.returncode in {128 + number for number in sent}, err
    assert "Traceback" not in err and err.count("scaffold: interrupted") == 1
    assert list(workdir.iterdir()) == []


def test_a_run_killed_outright_is_cleaned_up_by_the_next_run(workdir):
    """SIGKILL cannot be handled: the staging directory stays until the next run takes it."""
    process = start(["new", "shop", "-y"], workdir)
    wait_for(lambda: STAGES["committing"](workdir / "shop"), process, "the commit began")
    process.kill()
    process.wait()
    assert staging_left(workdir)
    rerun = subprocess.run(
        [*scaffold_command(), "new", "shop", "-y"], cwd=workdir, env=clean_env(),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert staging_left(workdir) == []
    assert (workdir / "shop" / "pyproject.toml").exists()


@pytest.fixture
def silent_index() -> Iterator[str]:
    """A package index that accepts connections and never answers, so installs hang."""
    server = socket.create_server(("127.0.0.1", 0))
    connections: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connections.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/simple"
    server.close()
    for connection in connections:
        connection.close()


def descendants(pid: int) -> set[int]:
    """Every live process started, directly or not, by ``pid`` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


INSTALLERS = [
    pytest.param("uv", marks=pytest.mark.skipif(not uv_available(), reason="uv is missing")),
    "pip",
]


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("installer", INSTALLERS)
def test_a_signal_during_install_removes_the_half_made_venv_and_lock(
    workdir, silent_index, number, installer
):
    args = ["new", "svc", "-y", "--framework", "flask", "--install", "--installer", installer]
    process = start(
        args, workdir, UV_INDEX_URL=silent_index, UV_DEFAULT_INDEX=silent_index,
        UV_NO_CACHE="1", UV_OFFLINE=None, UV_HTTP_TIMEOUT="300", PIP_INDEX_URL=silent_index,
        PIP_NO_CACHE_DIR="1", PIP_FIND_LINKS="", PIP_TIMEOUT="300", PIP_CONFIG_FILE="/dev/null",
    )  # fmt: skip
    venv, lock = workdir / "svc" / ".venv", workdir / "svc" / "uv.lock"
    # uv's first step, the lock, already waits for the index; pip's install does.
    step = "lock" if installer == "uv" else "install"

    def installing() -> bool:
        started = installer == "uv" or venv.is_dir()
        return started and any(step in _command_line(pid) for pid in descendants(process.pid))

    wait_for(installing, process, "the installer started")
    children = descendants(process.pid)
    process.send_signal(number)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + number, err
    assert "Traceback" not in err
    assert not venv.exists() and not lock.exists()
    assert (workdir / "svc" / "pyproject.toml").exists()  # the project itself is complete
    alive = {pid for pid in children if _running(pid)}
    assert not alive, f"installer processes still running: {alive}"


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# ---------------------------------------------------------------- closed streams, EOF


@pytest.mark.parametrize(
    ("redirect", "args"),
    [
        ("<&-", ["new", "shop"]),  # no stdin: no prompts, the defaults are used
        (">&-", ["new", "shop", "-y"]),
        ("2>&-", ["new", "shop", "-y"]),
        ("<&- >&- 2>&-", ["new", "shop", "-y"]),
    ],
)
def test_closed_standard_streams(workdir, redirect, args):
    command = " ".join(["exec", *(f"'{part}'" for part in [*scaffold_command(), *args]), redirect])
    result = subprocess.run(
        ["sh", "-c", command], cwd=workdir, env=clean_env(), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    project = workdir / "shop"
    assert (project / "pyproject.toml").is_file()
    # Nothing meant for the terminal landed in a file that took a free descriptor.
    assert (project / ".env").read_text().startswith("# Development settings")
    assert "Next steps" not in "".join(
        path.read_text(errors="replace") for path in project.rglob("*") if path.is_file()
    )


def test_closed_stderr_with_an_error_still_exits_2(workdir):
    command = f"exec '{scaffold_command()[0]}' new 'a/b' 2>&-"
    result = subprocess.run(["sh", "-c", command], cwd=workdir, env=clean_env(), check=False)
    assert result.returncode == 2
    assert list(workdir.iterdir()) == []


PROMPT_READY = r"\x1b\[\?2004h"  # prompt_toolkit turns bracketed paste on when it reads keys


def at_a_prompt(workdir: Path, tmp_path: Path) -> pexpect.spawn:
    """``scaffold new shop`` waiting at the author's name, its only question, on a terminal."""
    home = tmp_path / "home"
    home.mkdir()
    given = {
        "package_name": "shop", "description": "x", "author_email": "", "database": "sqlite",
        "python_version": "3.11", "auth": "no", "docker": "no", "ci": "none", "license": "MIT",
    }  # fmt: skip
    args = [*scaffold_command()[1:], "new", "shop", "--framework", "flask"]
    args += [f"--data={key}={value}" for key, value in given.items()]
    env = clean_env(
        PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", HOME=str(home), GIT_CONFIG_NOSYSTEM="1"
    )
    child = pexpect.spawn(scaffold_command()[0], args, cwd=str(workdir), env=env,
                          encoding="utf-8", timeout=60, dimensions=(40, 120))  # fmt: skip
    child.expect(PROMPT_READY)
    child.send("y")  # customise the project options: the author's name is asked
    child.expect("Author's name")
    child.expect(r"\x1b\[\?25h")  # drawn, cursor shown: reading keys
    return child


def test_ctrl_d_at_an_empty_text_prompt_is_a_one_line_error(workdir, tmp_path):
    child = at_a_prompt(workdir, tmp_path)
    child.send("\x15\x04")  # Ctrl-U empties the line, Ctrl-D ends the input
    child.expect(pexpect.EOF)
    child.close()
    output = child.before
    assert child.exitstatus == 1, output
    assert "scaffold: error: input ended (Ctrl-D or a closed stdin)" in output
    assert "Traceback" not in output and "EOFError" not in output
    assert list(workdir.iterdir()) == []


#: The console script's way of running scaffold, then signals once the command is over.
SIGNALS_AFTER_THE_COMMAND = """
import os, signal, sys
from scaffold._cli import main
code = main(["new", "late", "-y", "--no-git"], exiting=True)
for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    os.kill(os.getpid(), number)
sys.exit(code)
"""


def test_a_signal_once_the_command_is_over_leaves_its_exit_code(workdir):
    """A signal between the report and the exit (an update's conflicts, say) is ignored."""
    result = subprocess.run(
        [sys.executable, "-c", SIGNALS_AFTER_THE_COMMAND],
        cwd=workdir, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Created late" in result.stdout and "interrupted" not in result.stderr
    assert (workdir / "late" / "pyproject.toml").is_file()


@pytest.mark.parametrize("number", SIGNALS, ids=[s.name for s in SIGNALS])
def test_signals_until_the_process_is_gone_leave_its_exit_code(workdir, number):
    """Signals sent one after another, from the error line to the exit, change nothing.

    Python puts the default handlers back as it shuts down, so one of them used
    to kill scaffold there, and the caller saw the signal instead of exit 2.
    """
    process = start(["new", "Bad Name!", "-y"], workdir)
    assert process.stderr is not None
    assert "is not a valid package name" in process.stderr.readline()
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        process.send_signal(number)  # a no-op once the process has ended
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 2, err
    assert "interrupted" not in err and "Traceback" not in err
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_at_a_prompt_exits_128_plus_n_and_writes_nothing(workdir, tmp_path, number):
    child = at_a_prompt(workdir, tmp_path)
    child.kill(number)
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus is None, "scaffold died of the signal instead of exiting cleanly"
    assert child.exitstatus == 128 + number
    assert "Traceback" not in child.before
    assert list(workdir.iterdir()) == []


# ------------------------------------------------------------ git failing, full disks


@pytest.mark.skipif(not git_available(), reason="git is not installed")
def test_a_failed_first_commit_fails_the_run_and_moves_nothing(workdir, tmp_path):
    env = failing_git_env(tmp_path, "echo 'refusing this commit' >&2; exit 1")
    result = subprocess.run(
        [*scaffold_command(), "new", "shop", "-y"], cwd=workdir, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "git could not make the first commit (refusing this commit); nothing was written" in (
        result.stderr
    )
    assert len(result.stderr.splitlines()) == 1
    assert list(workdir.iterdir()) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 16 MiB file system, mounted for the test and unmounted after."""
    with tmpfs(tmp_path / "disk", "16m") as mount_point:
        yield mount_point


@pytest.mark.skipif(not git_available(), reason="git is not installed")
def test_a_disk_that_fills_up_while_git_commits_fails_the_run_and_moves_nothing(
    small_disk, tmp_path
):
    # The hook fills the disk, so that git itself then fails to write the commit.
    filler = small_disk / "filler"
    env = failing_git_env(tmp_path, f"cat /dev/zero > '{filler}' 2>/dev/null; exit 0")
    work = small_disk / "work"
    work.mkdir()
    result = subprocess.run(
        [*scaffold_command(), "new", "shop", "-y"], cwd=work, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert filler.stat().st_size > 1 << 20  # the disk really was filled
    assert result.returncode == 1, result.stdout + result.stderr
    assert "git could not make the first commit" in result.stderr
    assert "nothing was written" in result.stderr and len(result.stderr.splitlines()) == 1
    assert list(work.iterdir()) == []


def test_a_full_disk_while_rendering_leaves_nothing(small_disk):
    work = small_disk / "work"
    work.mkdir()
    (small_disk / "filler").write_bytes(b"\0" * (16 * 1024 * 1024 - 64 * 1024))
    result = subprocess.run(
        [*scaffold_command(), "new", "shop", "-y", "--framework", "django"], cwd=work,
        env=clean_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert list(work.iterdir()) == []
