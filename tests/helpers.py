"""Helpers the tests share: run the installed ``scaffold`` command, ports, HTTP polling, git,
the suite's PostgreSQL and Redis servers."""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from scaffold.answers import ci_is_set
from scaffold.frameworks import Framework

BIN = Path(sys.executable).parent
# The developer's own personal defaults (~/.config/scaffold/config.toml) must not leak
# into the tests; the tests of that file point SCAFFOLD_CONFIG at their own.
os.environ["SCAFFOLD_CONFIG"] = ""

#: The suite's PostgreSQL server (``.ci/run`` starts one); empty outside CI when there is none.
POSTGRES_URL = os.environ.get("SCAFFOLD_TEST_POSTGRES_URL", "")
#: Tests that need the server are skipped without it, except in CI, where that is a failure.
needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL and not ci_is_set(), reason="set SCAFFOLD_TEST_POSTGRES_URL to run"
)
#: The suite's Redis server, without a database number (``.ci/run`` starts Debian's).
REDIS_URL = os.environ.get("SCAFFOLD_TEST_REDIS_URL", "").rstrip("/")
needs_redis = pytest.mark.skipif(
    not REDIS_URL and not ci_is_set(), reason="set SCAFFOLD_TEST_REDIS_URL to run"
)
#: The key that marks a Redis database as taken by a test.
REDIS_CLAIM = "scaffold-suite:claimed"

#: One parameter per framework, grouped so that xdist keeps a framework's tests (and its
#: installed venv) on one worker.
FRAMEWORK_PARAMS = [
    pytest.param(framework, id=framework.value, marks=pytest.mark.xdist_group(framework.value))
    for framework in Framework
]


def scaffold_command() -> list[str]:
    """The installed console script of the interpreter running the tests."""
    script = BIN / "scaffold"
    return [str(script)] if script.exists() else [sys.executable, "-m", "scaffold"]


def clean_env(**overrides: str | None) -> dict[str, str]:
    """The test environment without CI markers, plus ``overrides`` (None removes a variable)."""
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_scaffold(
    args: Sequence[str], cwd: Path, *, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``scaffold ARGS`` with no terminal attached (stdin closed)."""
    return subprocess.run(
        [*scaffold_command(), *args],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_http(
    url: str, process: subprocess.Popen[bytes], timeout: float = 60
) -> tuple[int, bytes]:
    """Poll ``url`` until it answers; fail early if the server process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(
                f"server exited with {process.returncode} before answering {url}:\n{output}"
            )
        try:
            return http_get(url)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"no answer from {url} within {timeout}s")


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """GET ``url``; the status and body, also for error statuses."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server and everything it started (reloaders, workers)."""
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def failing_git_env(tmp_path: Path, hook: str) -> dict[str, str]:
    """The test environment with git running ``hook`` before every commit (a shell snippet)."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "pre-commit").write_text(f"#!/bin/sh\n{hook}\n")
    (hooks / "pre-commit").chmod(0o755)
    return clean_env(
        GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="core.hooksPath", GIT_CONFIG_VALUE_0=str(hooks)
    )


@contextlib.contextmanager
def tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """A real file system of ``size`` mounted at ``mount_point`` for the block (needs root)."""
    mount_point.mkdir(parents=True, exist_ok=True)
    command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)]
    if subprocess.run(command, capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def snapshot(root: Path) -> dict[str, str]:
    """Everything under ``root``, links not followed: each path's kind and content."""
    entries = {}
    for directory, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(directory, name)
            relative = str(path.relative_to(root))
            if path.is_symlink():
                entries[relative] = f"link to {path.readlink()}"
            elif path.is_dir():
                entries[relative] = "directory"
            elif not path.is_file():
                entries[relative] = "special file"
            else:
                entries[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def staging_left(root: Path) -> list[str]:
    """Staging directories (``*.partial``) anywhere under ``root``."""
    return [path for path in snapshot(root) if Path(path).name.endswith(".partial")]


def uv_available() -> bool:
    from scaffold.install import find_uv

    return find_uv() is not None


def git_available() -> bool:
    return shutil.which("git") is not None


def psql(sql: str) -> None:
    psql_path = shutil.which("psql")
    assert psql_path, "psql is needed to create the test databases"
    subprocess.run([psql_path, POSTGRES_URL, "-q", "-c", sql], check=True, capture_output=True)


def redis_cli(url: str, *command: str) -> str:
    """Run one Redis command with Debian's ``redis-cli``; its reply."""
    redis_cli_path = shutil.which("redis-cli")
    assert redis_cli_path, "redis-cli is needed to prepare the Redis databases (redis-tools)"
    result = subprocess.run(
        [redis_cli_path, "-u", url, *command],
        capture_output=True, text=True, timeout=10, check=True,
    )  # fmt: skip
    return result.stdout.strip()


@contextlib.contextmanager
def redis_database() -> Iterator[str]:
    """The URL of a Redis database no one else uses, emptied again afterwards.

    A database is taken only when it holds nothing but the test's own claim,
    so emptying it at the end removes only what the test (and its servers) wrote.
    """
    assert REDIS_URL, "CI must provide SCAFFOLD_TEST_REDIS_URL (see .ci/run)"
    token = secrets.token_hex(8)
    # Database 0 is left to whoever else uses the server.
    for number in random.sample(range(1, 16), 15):
        url = f"{REDIS_URL}/{number}"
        if redis_cli(url, "SET", REDIS_CLAIM, token, "NX", "EX", "1800") != "OK":
            continue
        if redis_cli(url, "DBSIZE") != "1":
            redis_cli(url, "DEL", REDIS_CLAIM)
            continue
        try:
            yield url
        finally:
            redis_cli(url, "FLUSHDB")
        return
    pytest.fail(f"every database of {REDIS_URL} holds data; none is free for the test")
