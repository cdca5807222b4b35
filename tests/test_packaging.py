"""The wheel carries the templates in the package; CI tests that wheel, not the source tree."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

import scaffold
from generated import build_wheel
from scaffold.answers import ci_is_set
from scaffold.install import find_uv
from scaffold.options import templates_root
from scaffold.versions.history import bundle_versions, is_release
from scaffold.versions.source import installed_history, installed_version, releases_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    return zipfile.ZipFile(build_wheel(ROOT, tmp_path_factory.mktemp("wheel")))


def test_every_template_file_ships_inside_the_package(wheel):
    names = set(wheel.namelist())
    source = ROOT / "templates"
    for path in source.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert f"scaffold/templates/{path.relative_to(source).as_posix()}" in names, path


def test_no_top_level_templates_package(wheel):
    assert not any(name.startswith("templates/") for name in wheel.namelist())


def test_the_package_is_typed_and_has_its_entry_point(wheel):
    names = wheel.namelist()
    assert "scaffold/py.typed" in names
    (entry_points,) = [name for name in names if name.endswith("entry_points.txt")]
    assert "scaffold = scaffold._cli:run" in wheel.read(entry_points).decode()


@pytest.mark.skipif(not ci_is_set(), reason="only CI promises a non-editable install")
def test_ci_runs_against_the_installed_wheel_not_the_source_tree():
    package_dir = Path(scaffold.__file__).resolve().parent
    assert package_dir != ROOT / "scaffold", "CI must test a non-editable install"
    assert templates_root() == package_dir / "templates"


def _history_of(wheel: zipfile.ZipFile, scratch: Path) -> dict[str, str]:
    bundle = scratch / "templates.bundle"
    bundle.write_bytes(wheel.read("scaffold/versions/templates.bundle"))
    return bundle_versions(bundle)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_wheel_ships_the_history_of_every_release(wheel, tmp_path):
    commits = _history_of(wheel, tmp_path)
    assert set(releases_of(ROOT)) <= set(commits)
    assert list(commits)[-1] == installed_version()
    # The newest commit holds exactly the template files the wheel ships as a folder.
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", str(tmp_path / "templates.bundle"), str(clone)], check=True
    )
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout.split("\0")[:-1]
    prefix = "scaffold/templates/"
    shipped = [name.removeprefix(prefix) for name in wheel.namelist() if name.startswith(prefix)]
    assert sorted(listed) == sorted(shipped)
    assert _git(clone, "describe", "--tags") == f"v{installed_version()}"
    # The same commit ids as the history this checkout builds for itself.
    with installed_history() as history:
        assert dict(history.commits) == commits


def test_every_templates_tree_since_the_first_release_is_a_version(wheel, tmp_path):
    """Whatever commit of the main line a build was made from, later builds know its templates."""
    commits = _history_of(wheel, tmp_path)
    bundle = tmp_path / "templates.bundle"
    first = min(releases_of(ROOT).items(), key=lambda item: Version(item[0]))[1]
    line = _git(ROOT, "rev-list", "--first-parent", f"{first}^..HEAD").split()
    shipped = set(_git(ROOT, "rev-parse", *(f"{commit}:templates" for commit in line)).split())
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--mirror", str(bundle), str(clone)], check=True)
    held = _git(clone, "log", "--no-walk", "--format=%T %P", *commits.values()).splitlines()
    assert shipped <= {line.split()[0] for line in held}
    assert all(len(line.split()) == 1 for line in held)  # root commits: ids fixed by the tree
    for version, commit in commits.items():
        if not is_release(version):  # a dev version names its tree
            assert _git(clone, "rev-parse", f"{commit}^{{tree}}").startswith(version[-8:])


@pytest.mark.skipif(find_uv() is None, reason="building an sdist needs uv here")
def test_an_sdist_carries_the_history_to_its_wheel(wheel, tmp_path):
    built = subprocess.run(
        [str(find_uv()), "build", "--sdist", "-q", "--out-dir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (sdist,) = tmp_path.glob("scaffold_starter-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"hatch_build.py", "scaffold/versions/templates.bundle"} <= names
    expected = _history_of(wheel, tmp_path)
    # Built from the sdist (no .git), with git and without it: the same commit ids.
    for name, env in (
        ("with-git", None),
        ("without-git", {"PATH": str(Path(sys.executable).parent)}),
    ):
        rebuilt = build_wheel(sdist, tmp_path / name, env=env)
        assert _history_of(zipfile.ZipFile(rebuilt), tmp_path / name) == expected


def test_a_shallow_clone_says_how_to_get_the_releases(tmp_path):
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", ROOT.as_uri(), str(clone)], check=True)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(clone)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "are not in this checkout; build from a full clone (git fetch --unshallow)" in (
        result.stderr
    )
