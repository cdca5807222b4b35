"""The files around a generated project's code: what git keeps out, hooks, update bots, CI.

Each is proven with the real tool: ``git check-ignore`` and ``git add`` for
``.gitignore``, ``pre-commit run`` for the hooks, and the JSON schemas that
``check-jsonschema`` ships (SchemaStore's, the ones editors use) for the
Dependabot, Renovate, GitHub Actions and GitLab CI files.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from containers import readme_docker_commands
from helpers import clean_env, git_available, run_scaffold
from scaffold.frameworks import Framework

pytestmark = pytest.mark.skipif(not git_available(), reason="needs git")

#: Settings files people commonly keep beside the code, besides those the READMEs name.
COMMON_ENV_FILES = (".env", ".env.local", ".env.development", ".env.test", ".env.production.local")


def git(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=project, env=clean_env(), capture_output=True, text=True, check=check
    )


def new_repository(parent: Path, framework: Framework) -> Path:
    """``scaffold new`` with its git repository and first commit."""
    result = run_scaffold(["new", "svc", "-y", "--framework", framework.value], parent)
    assert result.returncode == 0, result.stderr
    return parent / "svc"


def env_files_named(project: Path) -> set[str]:
    """Every ``.env...`` file name the project's README mentions."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"(?<![\w.])\.env(?:\.[\w-]+)*\b", readme))


@pytest.mark.parametrize("framework", list(Framework), ids=lambda f: f.value)
def test_no_settings_file_a_readme_names_can_be_committed(tmp_path, framework):
    """Only ``.env.example`` is tracked; following the Docker steps stages nothing secret."""
    project = new_repository(tmp_path, framework)
    named = env_files_named(project)
    assert {".env", ".env.example", ".env.production"} <= named, named
    secret_files = (named | set(COMMON_ENV_FILES)) - {".env.example"}
    for name in sorted(secret_files):
        ignored = git(project, "check-ignore", "--no-index", "--verbose", name, check=False)
        assert ignored.returncode == 0, f"{name} is not ignored"
        assert ignored.stdout.startswith(".gitignore:"), ignored.stdout
    assert git(project, "check-ignore", "--no-index", ".env.example", check=False).returncode == 1
    assert git(project, "ls-files", ".env.example").stdout == ".env.example\n"

    # The README's own step, then what a user types to commit everything.
    subprocess.run(
        ["sh", "-c", readme_docker_commands(project).write_settings], cwd=project, check=True
    )
    for name in COMMON_ENV_FILES:
        shutil.copy(project / ".env.example", project / name)
    git(project, "add", "-A")
    assert git(project, "status", "--porcelain").stdout == ""
    tracked = git(project, "ls-files").stdout.split()
    assert [name for name in tracked if Path(name).name.startswith(".env")] == [".env.example"]
