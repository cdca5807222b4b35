"""Where a project's templates come from: the URL it records and the bundle behind that URL.

Every project records :data:`TEMPLATE_URL` as ``_src_path`` and ``v<version>``
as ``_commit``. The URL names the template history without locating it: git
reaches the bundle shipped with scaffold through ``url.<bundle>.insteadOf``,
which scaffold sets in the environment of copier's git calls (plain copier
users set it once in their git configuration, see :func:`publish_user_copy`).
Nothing goes over the network, and no path of one machine ends up in a project.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

import scaffold
from scaffold.errors import TemplateHistoryError
from scaffold.versions.history import build_history, bundle_versions, tag_of

#: The ``_src_path`` of every project: a name (``.invalid`` never resolves), not a server.
TEMPLATE_URL = "https://scaffold.invalid/templates.git"
ANSWERS_FILE = ".copier-answers.yml"
PACKAGED_BUNDLE = Path(__file__).with_name("templates.bundle")
USER_BUNDLE_NAME = "templates.bundle"


@dataclass(frozen=True)
class TemplateHistory:
    """A bundle of template versions and the commit of each, oldest first."""

    bundle: Path
    commits: Mapping[str, str]

    @property
    def versions(self) -> tuple[str, ...]:
        """Every version the bundle holds, oldest first."""
        return tuple(self.commits)

    @property
    def latest(self) -> str:
        """The newest version: the one scaffold renders and updates to."""
        return self.versions[-1]

    def git_env(self, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
        """Environment variables that make git fetch :data:`TEMPLATE_URL` from the bundle.

        Entries the caller already passes through ``GIT_CONFIG_COUNT`` are kept.
        """
        count = int(environ.get("GIT_CONFIG_COUNT", "0") or "0")
        return {
            "GIT_CONFIG_COUNT": str(count + 1),
            f"GIT_CONFIG_KEY_{count}": f"url.{self.bundle}.insteadOf",
            f"GIT_CONFIG_VALUE_{count}": TEMPLATE_URL,
        }


def _read(bundle: Path) -> TemplateHistory:
    commits = bundle_versions(bundle)
    if not commits:
        raise TemplateHistoryError(f"{bundle} holds no template versions")
    return TemplateHistory(bundle, commits)


def source_checkout() -> Path | None:
    """The root of the scaffold checkout this package runs from, if it runs from one."""
    root = Path(__file__).resolve().parents[2]
    markers = (root / "pyproject.toml", root / "templates" / "copier.yml", root / ".git")
    return root if all(marker.exists() for marker in markers) else None


def releases_of(checkout: Path) -> dict[str, str]:
    """The released versions and their commits, as the checkout's pyproject.toml lists them."""
    with (checkout / "pyproject.toml").open("rb") as stream:
        config = tomllib.load(stream)
    hook = config.get("tool", {}).get("hatch", {}).get("build", {}).get("hooks", {})
    return dict(hook.get("custom", {}).get("releases", {}))


@contextlib.contextmanager
def installed_history() -> Iterator[TemplateHistory]:
    """The history installed with scaffold: the packaged bundle, or one built from a checkout.

    A source checkout (an editable install) packs its history on each use, so
    that it always ends with the templates as they are in the working tree.
    """
    if PACKAGED_BUNDLE.is_file():
        yield _read(PACKAGED_BUNDLE)
        return
    checkout = source_checkout()
    if checkout is None:
        raise TemplateHistoryError(
            f"the template history is missing ({PACKAGED_BUNDLE}); reinstall scaffold"
        )
    with tempfile.TemporaryDirectory(prefix="scaffold-history-") as scratch:
        bundle = Path(scratch) / USER_BUNDLE_NAME
        build_history(
            bundle,
            templates=checkout / "templates",
            version=scaffold.__version__,
            releases=releases_of(checkout),
            repository=checkout,
        )
        yield _read(bundle)


def user_bundle() -> Path:
    """The per-user copy of the history, a stable path for plain copier's git configuration."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("scaffold", appauthor=False)) / USER_BUNDLE_NAME


def publish_user_copy(history: TemplateHistory) -> Path:
    """Make the per-user copy hold at least ``history``; its path.

    A copy that already holds every version of ``history``, or a newer one
    (from a newer scaffold), is left alone.
    """
    target = user_bundle()
    if target.is_file():
        try:
            current = bundle_versions(target)
        except TemplateHistoryError:
            current = {}
        holds_ours = current.items() >= history.commits.items()
        if holds_ours or (current and Version(list(current)[-1]) > Version(history.latest)):
            return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(history.bundle, partial)
    partial.replace(target)
    return target


def refresh_user_copy(history: TemplateHistory) -> None:
    """Bring an existing per-user copy up to ``history``: git may prefer a mapping to it."""
    if user_bundle().is_file():
        publish_user_copy(history)


def git_config_command(bundle: Path) -> list[str]:
    """The one-time ``git config`` command that lets plain copier reach the history."""
    return ["git", "config", "--global", f"url.{bundle}.insteadOf", TEMPLATE_URL]


def stamp_answers(answers_file: Path, version: str) -> None:
    """Make a rendered answers file record the portable source and ``version``.

    The file is written with the filter copier's own answers template uses, so
    it reads exactly as if copier had rendered from the history by URL.
    """
    import yaml
    from jinja2_ansible_filters.core_filters import to_nice_yaml

    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8"))
    answers.update(_commit=tag_of(version), _src_path=TEMPLATE_URL)
    answers_file.write_text(to_nice_yaml(answers), encoding="utf-8")
