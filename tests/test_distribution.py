"""The install and upgrade hints scaffold prints: one per way of installing, as the README says."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from scaffold.distribution import DISTRIBUTION, Installation

PIP = f"{shlex.quote(sys.executable)} -m pip"
UV_PIP = f"uv pip --python {shlex.quote(sys.executable)}"
CLONE = Path("/src/scaffold-starter")
WHEEL = Path("/dist/scaffold_starter-0.2.0-py3-none-any.whl")
NEWER = "/dist/scaffold_starter-NEWER-py3-none-any.whl"


@pytest.mark.parametrize(
    ("installation", "install", "upgrade"),
    [
        (Installation(), f"{PIP} install 'scaffold-starter[web]'",
         f"{PIP} install --upgrade scaffold-starter"),
        (Installation(CLONE), f"{PIP} install '{CLONE}[web]'",
         f"git -C {CLONE} pull && {PIP} install --upgrade {CLONE}"),
        (Installation(CLONE, editable=True), f"{PIP} install -e '{CLONE}[web]'",
         f"git -C {CLONE} pull && {PIP} install -e {CLONE}"),
        (Installation(CLONE, tool="uv-pip"), f"{UV_PIP} install '{CLONE}[web]'",
         f"git -C {CLONE} pull && {UV_PIP} install --upgrade {CLONE}"),
        (Installation(CLONE, tool="uv"), f"uv tool install --reinstall '{CLONE}[web]'",
         f"git -C {CLONE} pull && uv tool upgrade {DISTRIBUTION}"),
        (Installation(CLONE, tool="pipx"), f"pipx install --force '{CLONE}[web]'",
         f"git -C {CLONE} pull && pipx upgrade {DISTRIBUTION}"),
        (Installation(WHEEL), f"{PIP} install '{WHEEL}[web]'",
         f"{PIP} install --upgrade {NEWER}"),
        (Installation(WHEEL, tool="uv"), f"uv tool install --reinstall '{WHEEL}[web]'",
         f"uv tool install --reinstall {NEWER}"),
        (Installation(WHEEL, tool="pipx"), f"pipx install --force '{WHEEL}[web]'",
         f"pipx install --force {NEWER}"),
    ],
    ids=["index", "clone", "editable", "uv-pip", "uv-tool", "pipx", "wheel", "wheel-uv",
         "wheel-pipx"],
)  # fmt: skip
def test_each_way_of_installing_gets_its_own_install_and_upgrade_command(
    installation, install, upgrade
):
    assert installation.install_command("web") == install
    assert installation.upgrade_command() == upgrade


def test_the_hints_use_the_distribution_name_not_the_command_name():
    by_name = Installation()
    assert by_name.requirement("fast") == "scaffold-starter[fast]"
    assert " scaffold " not in f" {by_name.upgrade_command()} "
