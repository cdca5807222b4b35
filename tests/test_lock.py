"""Locked dependencies: ``--install`` with uv writes and commits uv.lock; CI installs from it.

The generated workflows are not only read: their install scripts are run here,
in a fresh venv, against a lock that pins an older gunicorn than the newest
the version ranges allow, so only an install from the lock passes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generated import (
    LOCKED_GUNICORN,
    lock_with_old_gunicorn,
    locked_version,
    make_lock_stale,
    render_project,
)
from helpers import clean_env, run_scaffold, uv_available
from scaffold.frameworks import Framework
from scaffold.install import LOCK_FILE, find_uv

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not uv_available(), reason="uv is not available"),
]


def git(project: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True)
    return result.stdout


def installed_version(bin_dir: Path, package: str) -> str:
    script = f"import importlib.metadata as m; print(m.version({package!r}))"
    result = subprocess.run(
        [str(bin_dir / "python"), "-c", script], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_install_with_uv_writes_the_lock_commits_it_and_installs_from_it(workdir):
    args = ["new", "svc", "-y", "--framework", "flask", "--install", "--installer", "uv"]
    result = run_scaffold(args, workdir, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    project = workdir / "svc"
    assert "Locking dependencies with uv (uv.lock)... done (" in result.stdout
    assert "Wrote uv.lock with the exact versions installed, and committed it." in result.stdout
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "log", "--format=%s").splitlines() == [
        "Lock the dependencies with uv",
        "Initial commit from scaffold",
    ]
    bin_dir = project / ".venv" / "bin"
    for package in ("flask", "gunicorn", "pytest"):
        assert installed_version(bin_dir, package) == locked_version(project / LOCK_FILE, package)
    check = subprocess.run(
        [str(find_uv()), "lock", "--check", "--python", sys.executable],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr


def test_a_lock_in_a_repository_scaffold_did_not_create_is_left_uncommitted(workdir):
    git(workdir, "init", "-q")
    args = ["new", "svc", "-y", "--framework", "fastapi", "--install", "--installer", "uv"]
    result = run_scaffold(args, workdir, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Wrote uv.lock with the exact versions installed; commit it." in result.stdout
    assert (workdir / "svc" / LOCK_FILE).exists()
    assert git(workdir, "log", "--all", "--format=%s") == ""


def test_install_with_pip_writes_no_lock_and_says_so(workdir):
    args = ["new", "svc", "-y", "--framework", "flask", "--no-git", "--install"]
    result = run_scaffold([*args, "--installer", "pip"], workdir, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No uv.lock: pip installs from the version ranges" in result.stdout
    assert not (workdir / "svc" / LOCK_FILE).exists()


def ci_install_script(project: Path, ci: str) -> str:
    """The shell lines the generated CI runs to install the project."""
    if ci == "github":
        workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
        (step,) = (s for s in workflow["jobs"]["test"]["steps"] if s.get("name") == "Install")
        return str(step["run"])
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    return "\n".join(line for line in pipeline["test"]["before_script"] if "PIP_CACHE" not in line)


def run_ci_install(
    project: Path, ci: str, tmp_path: Path
) -> tuple[Path, subprocess.CompletedProcess]:
    """Run the CI's install lines with ``python`` from a fresh venv, as the runner's Python."""
    # A venv with pip, as a CI runner's Python has (uv's venvs have none).
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "runner")], check=True)
    bin_dir = tmp_path / "runner" / "bin"
    env = clean_env(RUNNER_TEMP=str(tmp_path), VIRTUAL_ENV=str(bin_dir.parent))
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    result = subprocess.run(
        ["bash", "-e", "-c", ci_install_script(project, ci)],
        cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    return bin_dir, result


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_the_generated_ci_installs_the_locked_versions(tmp_path, ci):
    project = render_project(tmp_path, Framework.FLASK, "-d", f"ci={ci}")
    lock_with_old_gunicorn(project)
    bin_dir, result = run_ci_install(project, ci, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert installed_version(bin_dir, "gunicorn") == LOCKED_GUNICORN
    # The dev tools the later CI steps call come from the lock too.
    assert installed_version(bin_dir, "mypy") == locked_version(project / LOCK_FILE, "mypy")
    assert (bin_dir / "ruff").exists() and (bin_dir / "coverage").exists()


def test_the_generated_ci_refuses_a_lock_older_than_pyproject(tmp_path):
    project = render_project(tmp_path, Framework.FLASK, "-d", "ci=github")
    lock_with_old_gunicorn(project)
    make_lock_stale(project)
    _bin_dir, result = run_ci_install(project, "github", tmp_path)
    assert result.returncode != 0
    assert "needs to be updated" in result.stderr


def test_without_a_lock_the_generated_ci_installs_from_the_ranges(tmp_path):
    project = render_project(tmp_path, Framework.FLASK, "-d", "ci=github")
    bin_dir, result = run_ci_install(project, "github", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert installed_version(bin_dir, "gunicorn") != LOCKED_GUNICORN
