"""Start-up stays light: help, version and a JSON recommendation load no heavy library."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = (
    "copier", "questionary", "rich", "jinja2", "prompt_toolkit", "yaml", "pydantic",
    "starlette", "uvicorn", "asyncio",
)  # fmt: skip

PROBE = """
import sys
from scaffold._cli import main
try:
    code = main({args!r})
except SystemExit as exit:
    code = exit.code
heavy = sorted(name for name in {heavy!r} if name in sys.modules)
print("LOADED:" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["new", "--help"],
        ["recommend", "--defaults", "--json"],
        ["frameworks"],
        ["serve", "--help"],
        ["update", "--help"],
        ["check-update", "--help"],
    ],
)
def test_light_commands_import_no_heavy_library(args):
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = result.stderr.strip().splitlines()[-1]
    assert loaded == "LOADED:", f"{args} imported {loaded.removeprefix('LOADED:')}"


@pytest.mark.parametrize(
    "args",
    [
        ["--defaults"],
        ["--defaults", "--framework", "fastapi"],  # an override: what it gives up is printed
        ["-y", "-d", "size=large", "--pretend"],
    ],
)
def test_new_without_a_terminal_loads_no_prompt_of_its_own(tmp_path, args):
    """The wizard and scaffold's prompts load questionary, so only a terminal run imports them.
    (copier imports questionary itself, so that library is not checked here.)"""
    mine = ("scaffold.wizard", "scaffold.prompts")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE.format(args=["new", "x", "--no-git", "-o", str(tmp_path), *args], heavy=mine),
        ],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    loaded = result.stderr.strip().splitlines()[-1]
    assert loaded == "LOADED:", f"{args} imported {loaded.removeprefix('LOADED:')}"
