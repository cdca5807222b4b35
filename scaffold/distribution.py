"""How this copy of scaffold was installed, so that install and upgrade hints work for it.

scaffold is distributed as ``scaffold-starter``: the package index's ``scaffold`` is an
unrelated project, and asking an installer for that name gets it. scaffold is
installed from a clone or a wheel, with pip, ``uv tool`` or pipx; the ``direct_url.json``
of its dist-info (PEP 610) says from where, and a marker file in the environment says
which tool made it. A hint built from those is a command that works as printed.
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

#: The distribution name: what pip, uv and pipx call scaffold. The command and the import
#: package stay ``scaffold``.
DISTRIBUTION = "scaffold-starter"

#: ``uv`` is ``uv tool``; ``uv-pip`` an ordinary venv that ``uv pip`` installed into.
Tool = Literal["pip", "uv-pip", "uv", "pipx"]


@dataclass(frozen=True)
class Installation:
    """Where this scaffold was installed from, and by which tool."""

    #: The clone or wheel it was installed from; None when installed by name from an index.
    source: Path | None = None
    editable: bool = False
    tool: Tool = "pip"

    def requirement(self, extra: str | None = None) -> str:
        """The requirement that installs this scaffold again, with ``extra`` if given."""
        base = str(self.source) if self.source is not None else DISTRIBUTION
        return base + (f"[{extra}]" if extra else "")

    def install_command(self, extra: str) -> str:
        """The command that adds ``extra`` to this installation."""
        spec = shlex.quote(self.requirement(extra))
        if self.tool == "uv":
            return f"uv tool install --reinstall {spec}"
        if self.tool == "pipx":
            return f"pipx install --force {spec}"
        editable = "-e " if self.editable else ""
        return f"{self._pip()} install {editable}{spec}"

    def upgrade_command(self) -> str:
        """The command that upgrades this installation to the newest scaffold it can reach."""
        if self.source is not None and self.source.suffix == ".whl":
            newer = shlex.quote(
                str(self.source.with_name("scaffold_starter-NEWER-py3-none-any.whl"))
            )
            reinstall = {"uv": "uv tool install --reinstall", "pipx": "pipx install --force"}
            fresh = reinstall.get(self.tool)
            return f"{fresh} {newer}" if fresh else f"{self._pip()} install --upgrade {newer}"
        if self.tool == "uv":
            upgrade = f"uv tool upgrade {DISTRIBUTION}"
        elif self.tool == "pipx":
            upgrade = f"pipx upgrade {DISTRIBUTION}"
        else:
            editable = "-e " if self.editable else "--upgrade "
            upgrade = f"{self._pip()} install {editable}{shlex.quote(self.requirement())}"
        if self.source is None:
            return upgrade
        return f"git -C {shlex.quote(str(self.source))} pull && {upgrade}"

    def _pip(self) -> str:
        """The pip command of scaffold's environment (a venv made by uv has no pip of its own)."""
        python = shlex.quote(sys.executable)
        return f"uv pip --python {python}" if self.tool == "uv-pip" else f"{python} -m pip"


def installation() -> Installation:
    """How the running scaffold was installed; by name with pip when nothing says otherwise."""
    tool: Tool = "pip"
    prefix = Path(sys.prefix)
    if (prefix / "uv-receipt.toml").is_file():
        tool = "uv"
    elif (prefix / "pipx_metadata.json").is_file():
        tool = "pipx"
    try:
        dist = metadata.distribution(DISTRIBUTION)
        origin = json.loads(dist.read_text("direct_url.json") or "{}")
        installer = (dist.read_text("INSTALLER") or "").strip()
    except (metadata.PackageNotFoundError, ValueError):
        origin, installer = {}, ""
    if tool == "pip" and installer == "uv":
        tool = "uv-pip"
    url = urlparse(str(origin.get("url", "")))
    if url.scheme != "file":
        return Installation(tool=tool)
    editable = bool(origin.get("dir_info", {}).get("editable", False))
    return Installation(Path(unquote(url.path)), editable, tool)
