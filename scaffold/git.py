"""The one way scaffold runs git: an argument list, no prompt, a time limit, a clean environment.

Inside a git hook, or a shell where someone exported ``GIT_DIR``, git reads
variables that point it at another repository, index or work tree: a first
commit made there would stage the project's files in someone else's index, or
create a repository outside the project. Every call drops those variables
(scaffold's own settings, passed as ``env``, are kept), and a failure caused
by a broken git configuration is reported as that, not as whatever the
command was asking.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from scaffold import interrupts
from scaffold.errors import GitConfigError, GitError, ScaffoldError

GIT_TIMEOUT = 120
#: Variables that make git work on another repository, index, object store or work tree
#: than the one of its directory (git's own ``rev-parse --local-env-vars``, and the
#: variables that change how it finds a repository). The user's configuration variables
#: (``GIT_CONFIG_COUNT``...) are kept: they are configuration, and a broken one is reported.
REDIRECTING = frozenset(
    {
        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CEILING_DIRECTORIES", "GIT_COMMON_DIR",
        "GIT_DIR", "GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_GRAFT_FILE",
        "GIT_IMPLICIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_INTERNAL_SUPER_PREFIX",
        "GIT_NAMESPACE", "GIT_NO_REPLACE_OBJECTS", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX",
        "GIT_QUARANTINE_PATH", "GIT_REPLACE_REF_BASE", "GIT_SHALLOW_FILE", "GIT_WORK_TREE",
        # How pathspecs read: scaffold says so itself where it matters.
        "GIT_GLOB_PATHSPECS", "GIT_ICASE_PATHSPECS", "GIT_LITERAL_PATHSPECS",
        "GIT_NOGLOB_PATHSPECS",
    }
)  # fmt: skip
#: What scaffold always sets: never prompt for credentials.
ALWAYS = {"GIT_TERMINAL_PROMPT": "0"}
#: For commands that name files: a path is a path, never a pattern.
LITERAL_PATHS = {"GIT_LITERAL_PATHSPECS": "1"}
#: With ``isolated``: the user's own configuration is left out too.
ISOLATED = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def environment(env: Mapping[str, str] | None = None, *, isolated: bool = False) -> dict[str, str]:
    """The process's environment without the variables that redirect git, plus ``env``.

    ``isolated`` leaves out every ``GIT_`` variable and the user's configuration files.
    """
    dropped = (lambda key: key.startswith("GIT_")) if isolated else REDIRECTING.__contains__
    clean = {key: value for key, value in os.environ.items() if not dropped(key)}
    return {**clean, **ALWAYS, **(ISOLATED if isolated else {}), **(env or {})}


@contextlib.contextmanager
def copier_environment(env: Mapping[str, str] | None = None) -> Iterator[None]:
    """The same clean environment for the git that copier runs, plus ``env``, for the block.

    copier runs git through plumbum, which copies the environment when it is
    imported, and asks dunamai (which runs git with ``os.environ``) for the
    template's version: the variables are dropped from both for the block.
    """
    from plumbum import local

    redirected = {key: os.environ.pop(key) for key in REDIRECTING & os.environ.keys()}
    try:
        with local.env(**(env or {})):
            for key in REDIRECTING & set(local.env.keys()):
                del local.env[key]
            yield
    finally:
        os.environ.update(redirected)


def run_git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    failure: type[ScaffoldError] = GitError,
    stdin: str | None = None,
    isolated: bool = False,
    timeout: float = GIT_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run ``git ARGS`` in ``cwd``; with ``check``, a failure raises ``failure`` with git's reason.

    git runs in its own process group, killed (with whatever it started) before
    an interruption goes on, so no git is left writing into a directory being
    cleaned up. A broken configuration raises :class:`GitConfigError`, with or
    without ``check``.
    """
    git = shutil.which("git")
    if git is None:
        raise failure("git is not installed; install it and try again")
    argv = [git, *args]
    environ = environment(env, isolated=isolated)
    process: subprocess.Popen[str] | None = None
    try:
        with interrupts.deferred():  # a signal now waits until the process can be stopped
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=environ,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        output, errors = process.communicate(stdin, timeout=timeout)
    except BaseException as error:
        if process is not None:
            with interrupts.deferred():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if isinstance(error, subprocess.TimeoutExpired):
            raise failure(f"git {_command(args)} did not finish within {timeout:g} s") from error
        raise
    result = subprocess.CompletedProcess(argv, process.returncode, output, errors)
    if result.returncode != 0:
        _check_configuration(git, cwd, environ)
        if check:
            raise failure(f"git {_command(args)} failed: {last_line(result)}")
    return result


def _command(args: Sequence[str]) -> str:
    """The git command of ``args``, past the ``-c KEY=VALUE`` settings in front of it."""
    rest = list(args)
    while len(rest) > 1 and rest[0] == "-c":
        rest = rest[2:]
    return rest[0] if rest else ""


def _check_configuration(git: str, cwd: Path | None, environ: Mapping[str, str]) -> None:
    """Raise :class:`GitConfigError` when git cannot read its configuration here."""
    probe = subprocess.run(
        [git, "config", "--list"],
        cwd=cwd,
        env=dict(environ),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT,
        check=False,
    )
    if probe.returncode != 0:
        lines = probe.stderr.strip().splitlines()
        reason = "; ".join(line.removeprefix("error: ").removeprefix("fatal: ") for line in lines)
        raise GitConfigError(
            f"git cannot read its configuration ({reason or f'exit code {probe.returncode}'}); "
            "fix it (git config, GIT_CONFIG_* variables), then run scaffold again"
        )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    """The last line git wrote (its reason for failing), or the exit code if it wrote none."""
    lines = (result.stderr or result.stdout or "").strip().splitlines()
    return lines[-1] if lines else f"exit code {result.returncode}"
