"""The wheel carries the templates in the package; CI tests that wheel, not the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import scaffold
from scaffold.answers import ci_is_set
from scaffold.options import templates_root

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("scaffold-*.whl")
    return zipfile.ZipFile(built)


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
