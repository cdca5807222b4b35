"""Build and run generated projects: render, install into a fresh venv, start servers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from helpers import clean_env, run_scaffold
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.install import LOCK_FILE, find_uv

#: Older than the newest gunicorn within the starters' range, so a lock pinning it decides.
LOCKED_GUNICORN = "23.0.0"


def render_project(parent: Path, framework: Framework, *extra: str, name: str = "svc") -> Path:
    """``scaffold new`` a project with defaults (plus ``extra`` options); return its path."""
    args = ["new", name, "-y", "--framework", framework.value, "--no-git", *extra]
    result = run_scaffold(args, parent)
    assert result.returncode == 0, result.stderr
    return parent / name


def install_project(project: Path) -> Path:
    """A fresh venv in ``project/.venv`` with the project and its dev extra; returns its bin dir."""
    return make_venv(project / ".venv", "-e", ".[dev]", cwd=project)


def make_venv(venv: Path, *requirements: str, cwd: Path | None = None) -> Path:
    """A fresh venv with ``requirements`` installed (with uv when there is one); its bin dir."""
    python = str(venv / "bin" / "python")
    uv = find_uv()
    if uv:
        commands = [
            [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
            [uv, "pip", "install", "--quiet", "--python", python, *requirements],
        ]
    else:
        commands = [
            [sys.executable, "-m", "venv", str(venv)],
            [python, "-m", "pip", "install", "-q", *requirements],
        ]
    for command in commands:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{command}:\n{result.stdout}{result.stderr}"
    return venv / "bin"


def build_wheel(source: Path, out: Path, env: dict[str, str] | None = None) -> Path:
    """Build scaffold's wheel from ``source`` (a checkout or an sdist) into ``out``."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        env=None if env is None else {**os.environ, **env},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (wheel,) = out.glob("scaffold_starter-*.whl")
    return wheel


def project_env(bin_dir: Path, **overrides: str | None) -> dict[str, str]:
    """The environment a developer has after activating the project's venv."""
    env = clean_env(VIRTUAL_ENV=str(bin_dir.parent), DJANGO_SETTINGS_MODULE=None, **overrides)
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    return env


def run_in(project: Path, command: str, env: dict[str, str], timeout: float = 300) -> str:
    """Run a documented shell command in the project; fail with its output if it fails."""
    result = subprocess.run(
        ["sh", "-c", command],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{command!r} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def start(project: Path, command: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a documented server command in its own process group."""
    return subprocess.Popen(
        ["sh", "-c", f"exec {command}"], cwd=project, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def production_env(framework: Framework, port: int, data_dir: Path) -> dict[str, str]:
    """What an operator sets in production, served on loopback with two workers.

    The SQLite file goes to ``data_dir`` through an absolute URL, as in the Dockerfile.
    """
    return {
        **FRAMEWORKS[framework].production_env(hosts="127.0.0.1,localhost"),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
    }


def locked_version(lock: Path, package: str) -> str:
    """The version of ``package`` that uv.lock pins."""
    packages = tomllib.loads(lock.read_text())["package"]
    (version,) = {entry["version"] for entry in packages if entry["name"] == package}
    return str(version)


def lock_with_old_gunicorn(project: Path) -> None:
    """Write the project's uv.lock with gunicorn held at ``LOCKED_GUNICORN``."""
    uv = str(find_uv())
    pin = f"gunicorn=={LOCKED_GUNICORN}"
    subprocess.run(
        [uv, "lock", "--quiet", "--python", sys.executable, "--upgrade-package", pin],
        cwd=project, check=True, capture_output=True,
    )  # fmt: skip
    assert locked_version(project / LOCK_FILE, "gunicorn") == LOCKED_GUNICORN


def make_lock_stale(project: Path) -> None:
    """Add a dependency to the Flask project's pyproject.toml without locking it."""
    pyproject = project / "pyproject.toml"
    added = pyproject.read_text().replace('    "Flask>=', '    "six>=1.16",\n    "Flask>=')
    assert added != pyproject.read_text()
    pyproject.write_text(added)


# ------------------------------------------------ scratch clones of scaffold itself

IDENTITY = ["-c", "user.name=Test User", "-c", "user.email=test@example.com"]


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"git {args}: {result.stderr}"
    return result.stdout


def isolated_env(home: Path, **overrides: str | None) -> dict[str, str]:
    """An environment with its own HOME: no user git config, caches or data of the machine."""
    home.mkdir(parents=True, exist_ok=True)
    settings: dict[str, str | None] = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "COPIER_CACHE_DIR": None,
        "GIT_CONFIG_GLOBAL": None,
    }
    return clean_env(**{**settings, **overrides})


def tree(project: Path) -> dict[str, bytes]:
    """Every file of the project outside .git, with its content."""
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def clone_working_tree(source: Path, target: Path) -> str:
    """A clone of ``source`` holding its working tree as one more commit; that commit's id."""
    git(source.parent, "clone", "--quiet", str(source), str(target))
    listed = git(source, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    wanted = {name for name in listed.split("\0") if name and (source / name).is_file()}
    for name in git(target, "ls-files", "-z").split("\0"):
        if name and name not in wanted:
            (target / name).unlink()
    for name in wanted:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target / name)
    git(target, "add", "--all")
    git(target, "commit", "--quiet", "--allow-empty", "-m", "The working tree of the checkout")
    return git(target, "rev-parse", "HEAD").strip()
