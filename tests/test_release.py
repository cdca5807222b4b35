"""Releases, from the maintainer's command to a user's update, in a scratch clone of scaffold.

The clone starts at this checkout's working tree (commit X). A project is made
by a build of X, as the Quickstart or an editable install between releases
makes it; then the templates change (Y), ``tools/release.py`` releases Y as
0.2.0-like release R1, the templates change again and R2 is released. Both
releases are built into real wheels from their tags, and the project is
updated to each: it must equal a fresh render of that release plus the user's
own edits.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

import scaffold
from generated import build_wheel, clone_working_tree, git, isolated_env, make_venv, tree

ROOT = Path(__file__).resolve().parent.parent
FIRST = Version(scaffold.__version__).base_version
_NEXT = Version(FIRST)
SECOND = f"{_NEXT.major}.{_NEXT.minor + 1}.0"
GITIGNORE = Path("templates") / "_shared" / "gitignore.jinja"
LOGS = "\n# Logs\n*.log\n"  # the change at Y, which a build of X lacks
CACHES, CACHES_LATER = "# Python caches and build output", "# Python caches, wheels and builds"
USER_LINE = "# Local settings and secrets: never commit them"
USER_DELETED = ".github/workflows/ci.yml"
#: What scaffold new writes besides the templates: a fresh secret, a dated decision record.
OWN_FILES = {".env", "docs/decisions/0001-framework.md"}

pytestmark = [
    pytest.mark.xdist_group("releases"),
    pytest.mark.skipif(shutil.which("git") is None, reason="releases need git"),
]


@dataclass(frozen=True)
class Releases:
    """The scratch clone, its two releases installed, and a project made before either."""

    source: Path
    home: Path
    project: Path
    made_with: str
    first: Path
    second: Path


def release(source: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the clone's own release command, as a maintainer would."""
    return subprocess.run(
        [sys.executable, str(source / "tools" / "release.py"), *args],
        cwd=source, capture_output=True, text=True, check=False,
        env=isolated_env(source.parent / "maintainer", GIT_AUTHOR_NAME="M", GIT_AUTHOR_EMAIL="m@x",
                         GIT_COMMITTER_NAME="M", GIT_COMMITTER_EMAIL="m@x"),
    )  # fmt: skip


def released_venv(source: Path, version: str, work: Path) -> Path:
    """Build the wheel of ``version`` from its tag and install it into a venv of its own."""
    checkout = work / f"at-{version}"
    git(source, "worktree", "add", "--quiet", "--detach", str(checkout), f"v{version}")
    wheel = build_wheel(checkout, work / f"dist-{version}")
    assert wheel.name.startswith(f"scaffold_starter-{version}-")
    return make_venv(work / f"venv-{version}", str(wheel))


def edit_templates(source: Path, message: str, edit: str, new: str | None = None) -> None:
    """Commit a change of the clone's templates: ``edit`` appended, or replaced by ``new``."""
    path = source / GITIGNORE
    text = path.read_text()
    path.write_text(text + edit if new is None else text.replace(edit, new))
    assert path.read_text() != text
    git(source, "commit", "--quiet", "-am", message)


def edit_like_a_user(project: Path) -> None:
    """An edit far from the template's changes, a deleted file and a file of the user's own."""
    gitignore = project / ".gitignore"
    lines = gitignore.read_text().splitlines(keepends=True)
    lines[0] = f"{USER_LINE}\n"
    gitignore.write_text("".join(lines))
    (project / USER_DELETED).unlink()
    (project / "notes.md").write_text("Mine.\n")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "My changes")


def scaffold_at(bin_dir: Path, home: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(bin_dir / "scaffold"), *args], cwd=cwd, env=isolated_env(home),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def releases_table(source: Path) -> dict[str, str]:
    config = tomllib.loads((source / "pyproject.toml").read_text())
    return config["tool"]["hatch"]["build"]["hooks"]["custom"]["releases"]


def commit_of(answers_file: Path) -> str:
    return str(yaml.safe_load(answers_file.read_text())["_commit"])


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> Releases:
    work = tmp_path_factory.mktemp("releases")
    source, home = work / "scaffold", work / "home"
    clone_working_tree(ROOT, source)
    # X: a project made by this clone's own source, as an editable install runs it.
    made = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "shop", "-y", "--framework", "flask"],
        cwd=work, env=isolated_env(home, PYTHONPATH=str(source)),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project = work / "shop"
    made_with = commit_of(project / ".copier-answers.yml")
    edit_like_a_user(project)
    edit_templates(source, "Ignore log files", LOGS)  # Y
    done = release(source)
    assert done.returncode == 0, done.stderr
    first = released_venv(source, FIRST, work)
    edit_templates(source, "Name the wheels in .gitignore", CACHES, CACHES_LATER)
    done = release(source)
    assert done.returncode == 0, done.stderr
    second = released_venv(source, SECOND, work)
    return Releases(source, home, project, made_with, first, second)


def fresh_render(releases: Releases, bin_dir: Path, parent: Path) -> dict[str, bytes]:
    """What the installed release makes of the project's answers, with the user's edits."""
    parent.mkdir()
    files = ["--data-file", str(releases.project / ".copier-answers.yml")]
    files += ["--data-file", str(releases.project / ".scaffold-answers.yml")]
    made = scaffold_at(bin_dir, releases.home, parent, "new", "shop", "-y", *files)
    assert made.returncode == 0, made.stderr
    edit_like_a_user(parent / "shop")
    return {name: data for name, data in tree(parent / "shop").items() if name not in OWN_FILES}


def test_a_release_commits_tags_and_opens_the_next_version(releases):
    source = releases.source
    table = releases_table(source)
    subjects = git(source, "log", "--format=%s", "-6").splitlines()
    assert subjects == [
        f"Open {Version(SECOND).major}.{Version(SECOND).minor + 1}.0.dev0 after releasing {SECOND}",
        f"Release scaffold {SECOND}",
        "Name the wheels in .gitignore",
        f"Open {SECOND}.dev0 after releasing {FIRST}",
        f"Release scaffold {FIRST}",
        "Ignore log files",
    ]
    for version in (FIRST, SECOND):
        assert git(source, "rev-parse", f"v{version}^{{commit}}").strip() == table[version]
        declared = git(source, "show", f"v{version}:scaffold/__init__.py")
        assert f'__version__ = "{version}"' in declared
    assert f'__version__ = "{SECOND}' not in (source / "scaffold" / "__init__.py").read_text()
    assert git(source, "status", "--porcelain") == ""


def test_the_project_of_a_build_between_releases_gets_every_change(releases, tmp_path):
    assert releases.made_with.startswith(f"v{FIRST}.dev")  # a version of its own, not v{FIRST}
    project = releases.project
    check = scaffold_at(releases.first, releases.home, project, "check-update")
    assert check.returncode == 2, check.stdout + check.stderr
    updated = scaffold_at(releases.first, releases.home, project, "update")
    assert updated.returncode == 0, updated.stderr
    assert "*.log" in (project / ".gitignore").read_text()  # not taken for a user's deletion
    ours = {name: data for name, data in tree(project).items() if name not in OWN_FILES}
    assert ours == fresh_render(releases, releases.first, tmp_path / "first")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", f"Update to {FIRST}")
    updated = scaffold_at(releases.second, releases.home, project, "update")
    assert updated.returncode == 0, updated.stderr
    ours = {name: data for name, data in tree(project).items() if name not in OWN_FILES}
    assert ours == fresh_render(releases, releases.second, tmp_path / "second")
    assert scaffold_at(releases.second, releases.home, project, "check-update").returncode == 0


def test_a_build_refuses_a_releases_table_that_skips_a_version(releases, tmp_path):
    clone = tmp_path / "forgetful"
    git(tmp_path, "clone", "--quiet", str(releases.source), str(clone))
    pyproject = clone / "pyproject.toml"
    released = releases_table(clone)[FIRST]
    pyproject.write_text(pyproject.read_text().replace(f'"{FIRST}" = "{released}"\n', ""))
    git(clone, "commit", "--quiet", "-am", f"Forget {FIRST}")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(clone)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode != 0
    assert (
        f"the releases table in pyproject.toml skips {FIRST}, which builds of commit "
        f'{released[:12]} record; add "{FIRST}" = "{released}" to it'
    ) in built.stderr


@pytest.mark.parametrize(
    ("prepare", "args", "expected"),
    [
        ("dirty", [], "the checkout has uncommitted changes; commit or stash them first"),
        ("", ["0.0.1"], "0.0.1 is older than"),
        ("", ["soon"], "soon is not a version (PEP 440), such as 0.3.0"),
    ],
)
def test_the_release_command_refuses_in_one_line(releases, tmp_path, prepare, args, expected):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(releases.source), str(clone))
    if prepare == "dirty":
        (clone / "scratch.txt").write_text("not committed\n")
    head = git(clone, "rev-parse", "HEAD")
    refused = release(clone, *args)
    assert refused.returncode == 1
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith(f"release: error: {expected}")
    assert git(clone, "rev-parse", "HEAD") == head and git(clone, "tag", "--list") == (
        git(releases.source, "tag", "--list")
    )
