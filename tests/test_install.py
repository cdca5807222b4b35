"""``--install`` and ``--check``: a venv, the project installed, its tests run, progress shown."""

from __future__ import annotations

import re

import pexpect
import pytest

from helpers import clean_env, run_scaffold, scaffold_command, uv_available
from scaffold import _cli, install

pytestmark = pytest.mark.e2e

INSTALLERS = [
    pytest.param("uv", marks=pytest.mark.skipif(not uv_available(), reason="uv is not available")),
    "pip",
]


@pytest.mark.parametrize("installer", INSTALLERS)
def test_check_installs_and_runs_the_tests(workdir, installer):
    args = [
        "new",
        "svc",
        "-y",
        "--framework",
        "fastapi",
        "--no-git",
        "--check",
        "--installer",
        installer,
    ]
    result = run_scaffold(args, workdir, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    project = workdir / "svc"
    assert (project / ".venv" / "bin" / "python").exists()
    assert f"Installing dependencies with {installer}... done (" in result.stdout
    # FastAPI's set-up (its migrations) runs alongside the tests, in one step.
    assert "Running alembic upgrade head and the project's tests... done (" in result.stdout
    assert re.search(r"Tests: \d+ passed in [\d.]+s", result.stdout)
    steps = result.stdout.split("Next steps:")[1]
    assert "source .venv/bin/activate" in steps
    assert "python -m venv" not in steps and "pip install" not in steps and "pytest" not in steps


def test_install_runs_the_one_time_set_up(workdir):
    result = run_scaffold(
        ["new", "svc", "-y", "--framework", "django", "--install"], workdir, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Running python manage.py migrate... done" in result.stdout
    assert (workdir / "svc" / "db.sqlite3").exists()
    steps = result.stdout.split("Next steps:")[1]
    assert "manage.py migrate" not in steps and "pytest" in steps


@pytest.mark.parametrize("installer", INSTALLERS)
def test_failed_install_keeps_the_project_and_shows_the_failing_command(workdir, installer):
    dead_index = "http://127.0.0.1:9/simple"
    env = clean_env(
        UV_INDEX_URL=dead_index, UV_DEFAULT_INDEX=dead_index, UV_NO_CACHE="1", UV_OFFLINE=None,
        PIP_INDEX_URL=dead_index, PIP_NO_CACHE_DIR="1", PIP_FIND_LINKS="", PIP_RETRIES="0",
        PIP_TIMEOUT="2", PIP_CONFIG_FILE="/dev/null",
    )  # fmt: skip
    args = ["new", "svc", "-y", "--framework", "flask", "--install", "--installer", installer]
    result = run_scaffold(args, workdir, env=env, timeout=600)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("scaffold: error: '") and "failed with exit code" in last
    assert "install" in last and "the project itself is complete" in last
    assert len(result.stderr.strip().splitlines()) > 1  # the tail of the installer's output
    # uv fails at its first step, the lock; pip at its install.
    first_network_step = (
        "Locking dependencies with" if installer == "uv" else "Installing dependencies with"
    )
    assert f"{first_network_step} {installer}" in result.stdout and "failed (" in result.stdout
    assert (workdir / "svc" / "pyproject.toml").exists()
    assert not (workdir / "svc" / ".venv").exists()
    assert not (workdir / "svc" / "uv.lock").exists()


def test_installer_uv_without_uv_is_a_usage_error(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    monkeypatch.setattr(install, "find_uv", lambda: None)
    assert _cli.main(["new", "svc", "-y", "--install", "--installer", "uv"]) == 2
    assert "uv was not found" in capsys.readouterr().err
    assert list(workdir.iterdir()) == []  # refused before anything was written


def test_auto_falls_back_to_pip_without_uv(monkeypatch, tmp_path):
    monkeypatch.setattr(install, "find_uv", lambda: None)
    titles = [command.title for command in install.install_commands(tmp_path, "auto")]
    assert titles == ["Creating .venv", "Installing dependencies with pip"]


def test_set_up_commands_use_the_venv_programs(tmp_path):
    setup = ["python manage.py migrate", "flask --app svc init-db"]
    commands = install.setup_commands(tmp_path, setup)
    assert [command.title for command in commands] == [f"Running {line}" for line in setup]
    assert commands[0].argv == (str(tmp_path / ".venv" / "bin" / "python"), "manage.py", "migrate")
    assert commands[1].argv[0] == str(tmp_path / ".venv" / "bin" / "flask")


def test_check_runs_the_set_up_alongside_the_tests(workdir):
    args = ["new", "svc", "-y", "--framework", "django", "--no-git", "--check"]
    result = run_scaffold(args, workdir, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Running python manage.py migrate and the project's tests... done (" in result.stdout
    assert (workdir / "svc" / "db.sqlite3").exists()


def test_live_progress_on_a_terminal(workdir):
    command, *rest = scaffold_command()
    args = [*rest, "new", "svc", "-y", "--framework", "flask", "--no-git", "--install"]
    env = clean_env(TERM="xterm", COLUMNS="100")
    child = pexpect.spawn(command, args, cwd=str(workdir), env=env, encoding="utf-8", timeout=600)
    child.expect(pexpect.EOF)
    output = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before)
    child.close()
    assert child.exitstatus == 0, output
    assert re.search(r"✓.*Installing dependencies with \w+.*\(\d+\.\d+s\)", output)
    # While a step runs, the spinner line shows its name and the elapsed time (0:00:0x).
    assert re.search(r"Installing dependencies with \w+.*\d:\d\d:\d\d", output)


def test_failing_project_tests_are_reported_and_the_project_kept(workdir, monkeypatch, capsys):
    import sys

    from scaffold.install import Command

    failing = Command(
        "Running the project's tests", (sys.executable, "-c", "print('boom'); exit(3)")
    )
    monkeypatch.setattr(install, "check_command", lambda project: failing)
    monkeypatch.chdir(workdir)
    assert _cli.main(["new", "svc", "-y", "--framework", "flask", "--no-git", "--check"]) == 1
    err = capsys.readouterr().err
    assert "boom" in err and "failed with exit code 3" in err
    assert (workdir / "svc" / ".venv").is_dir()  # the install itself worked: keep it
    assert (workdir / "svc" / "pyproject.toml").exists()
