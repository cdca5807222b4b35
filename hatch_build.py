"""Build step of the wheel and the sdist: pack the template history into the package.

Every version of the templates becomes one commit of a git bundle shipped as
``scaffold/versions/templates.bundle``, so projects can be updated offline
(docs/updates.md explains the design): the releases listed under
``[tool.hatch.build.hooks.custom.releases]`` in pyproject.toml, and every other
change of ``templates/`` on the checkout's first-parent line since the first of
them, as a dev version. An sdist, which has no ``.git``, carries the bundle it
was built with instead. A releases table that skips a version the history moved
past stops the build with one line (docs/releasing.md).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE = "scaffold/versions/templates.bundle"


class TemplateHistoryHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the template history to every standard wheel and sdist."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Build the bundle into a scratch directory and include it in the artifact."""
        if version == "editable":
            return  # a source checkout packs its history when a command needs it
        root = Path(self.root)
        seed = root / BUNDLE
        if shutil.which("git") is None and seed.is_file():
            build_data["force_include"][str(seed)] = BUNDLE  # an sdist's bundle, as it came
            return
        sys.path.insert(0, str(root))
        from scaffold.versions.history import build_history

        self._scratch = Path(tempfile.mkdtemp(prefix="scaffold-build-"))
        output = self._scratch / "templates.bundle"
        try:
            build_history(
                output,
                templates=root / "templates",
                version=self.metadata.version,
                releases=self.config.get("releases", {}),
                repository=root if (root / ".git").exists() else None,
                seed=seed if seed.is_file() else None,
            )
        except BaseException:
            shutil.rmtree(self._scratch, ignore_errors=True)
            raise
        build_data["force_include"][str(output)] = BUNDLE

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the scratch directory once the artifact holds the bundle."""
        if scratch := getattr(self, "_scratch", None):
            shutil.rmtree(scratch, ignore_errors=True)
