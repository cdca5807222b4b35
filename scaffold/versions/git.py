"""Run git as scaffold always does: an argument list, no terminal, no prompt, a time limit."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from scaffold.errors import GitError, ScaffoldError

GIT_TIMEOUT = 120


def run_git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    failure: type[ScaffoldError] = GitError,
) -> subprocess.CompletedProcess[str]:
    """Run ``git ARGS``; with ``check``, a failure raises ``failure`` with git's last line."""
    git = shutil.which("git")
    if git is None:
        raise failure("git is not installed; install it and try again")
    try:
        result = subprocess.run(
            [git, *args],
            cwd=cwd,
            env={**(os.environ if env is None else env), "GIT_TERMINAL_PROMPT": "0"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise failure(f"git {args[0]} did not finish within {GIT_TIMEOUT} s") from None
    if check and result.returncode != 0:
        raise failure(f"git {args[0]} failed: {last_line(result)}")
    return result


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    """The last line git wrote (its reason for failing), or the exit code if it wrote none."""
    lines = (result.stderr or result.stdout or "").strip().splitlines()
    return lines[-1] if lines else f"exit code {result.returncode}"
