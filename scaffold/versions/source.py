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
import functools
import os
import shlex
import shutil
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import scaffold
from scaffold.errors import TemplateHistoryError
from scaffold.git import run_git
from scaffold.versions.history import (
    build_history,
    bundle_versions,
    merge_bundles,
    tag_of,
)

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
    that it always ends with the templates as they are in the working tree. The
    per-user copy for plain copier is brought up to it first.
    """
    if PACKAGED_BUNDLE.is_file():
        history = _read(PACKAGED_BUNDLE)
        keep_user_copy_current(history)
        yield history
        return
    checkout = _checkout()
    with tempfile.TemporaryDirectory(prefix="scaffold-history-") as scratch:
        bundle = Path(scratch) / USER_BUNDLE_NAME
        build_history(bundle, **_checkout_history(checkout))
        history = _read(bundle)
        keep_user_copy_current(history)
        yield history


@functools.cache
def installed_version() -> str:
    """The template version this scaffold renders, which new projects record.

    Cheap: the packaged bundle's header, or a checkout's history planned without
    writing it (once per process: a server renders many projects). The per-user
    copy is brought up to date when it is behind.
    """
    if PACKAGED_BUNDLE.is_file():
        history = _read(PACKAGED_BUNDLE)
        keep_user_copy_current(history)
        return history.latest
    checkout = _checkout()
    if shutil.which("git") is None:
        # No history without git: the declared version, which no history will know.
        return scaffold.__version__
    commits = build_history(None, **_checkout_history(checkout))
    if _needs_copy(commits):
        with installed_history():
            pass  # builds the history and refreshes the copy
    return list(commits)[-1]


def _checkout() -> Path:
    checkout = source_checkout()
    if checkout is None:
        raise TemplateHistoryError(
            f"the template history is missing ({PACKAGED_BUNDLE}); reinstall scaffold"
        )
    return checkout


def _checkout_history(checkout: Path) -> dict[str, Any]:
    """The arguments that build a checkout's history, as its wheel build would."""
    return {
        "templates": checkout / "templates",
        "version": scaffold.__version__,
        "releases": releases_of(checkout),
        "repository": checkout,
    }


def user_bundle() -> Path:
    """The per-user copy of the history, a stable path for plain copier's git configuration."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("scaffold", appauthor=False)) / USER_BUNDLE_NAME


def _user_copy_versions(target: Path) -> dict[str, str]:
    try:
        return bundle_versions(target) if target.is_file() else {}
    except TemplateHistoryError:
        return {}  # not a bundle (any more): replaced whole


def _needs_copy(commits: Mapping[str, str]) -> bool:
    """True when the per-user copy is in use and lacks some of ``commits``.

    In use: it exists, or the user's git configuration maps the URL to it.
    """
    target = user_bundle()
    in_use = target.is_file() or any(m.target == str(target) for m in configured_mappings())
    return in_use and not _user_copy_versions(target).items() >= commits.items()


def keep_user_copy_current(history: TemplateHistory) -> None:
    """Bring the per-user copy up to ``history`` when it is in use.

    Plain copier reads it, and git prefers a configured mapping to the one scaffold passes.
    """
    if _needs_copy(history.commits):
        publish_user_copy(history)


def publish_user_copy(history: TemplateHistory) -> Path:
    """Make the per-user copy hold every version of ``history``; its path.

    The copy keeps the versions it holds from other installs (a newer scaffold, a
    checkout): it is replaced by the union, where ``history`` wins a version both
    name differently. Since a commit id depends only on the version's name and
    tree, that happens only with copies written before ids were fixed that way.
    It is replaced atomically, so git never reads half a file.
    """
    target = user_bundle()
    current = _user_copy_versions(target)
    if current.items() >= history.commits.items():
        return target
    theirs = {
        version: commit for version, commit in current.items() if version not in history.commits
    }
    with tempfile.TemporaryDirectory(prefix="scaffold-history-") as scratch:
        source = history.bundle
        if theirs:
            source = Path(scratch) / USER_BUNDLE_NAME
            merge_bundles(source, [(target, theirs), (history.bundle, dict(history.commits))])
        replace_file(source, target)
    return target


def replace_file(source: Path, target: Path) -> None:
    """Copy ``source`` over ``target`` atomically: written beside it, synced, then renamed.

    On any failure (a full disk) the partial file is removed and nothing else changed.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise TemplateHistoryError(f"cannot write {target}: {error.strerror or error}") from error
    partial = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as stream, source.open("rb") as original:
            shutil.copyfileobj(original, stream)
            stream.flush()
            os.fsync(stream.fileno())
        partial.chmod(0o644)
        partial.replace(target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise TemplateHistoryError(f"cannot write {target}: {error.strerror or error}") from error


@dataclass(frozen=True)
class UrlMapping:
    """An entry ``url.<target>.insteadOf`` of the user's git configuration for the URL."""

    target: str
    scope: str

    def fix(self) -> str:
        """The one command line that points this mapping at the per-user copy."""
        unset = ["git", "config", f"--{self.scope}", "--unset-all", f"url.{self.target}.insteadOf"]
        return f"{shlex.join(unset)} && {shlex.join(git_config_command(user_bundle()))}"


def configured_mappings(cwd: Path | None = None) -> list[UrlMapping]:
    """The user's own mappings of :data:`TEMPLATE_URL` (system, global and repository config).

    git prefers them to the one scaffold passes in the environment.
    """
    if shutil.which("git") is None:
        return []  # nothing maps the URL: scaffold new works without git
    listed = run_git(
        ["config", "--show-scope", "--get-regexp", r"^url\..*\.insteadof$"], cwd=cwd, check=False
    )
    mappings = []
    for line in listed.stdout.splitlines():
        scope, _, entry = line.partition("\t")
        key, _, value = entry.partition(" ")
        if scope != "command" and value and TEMPLATE_URL.startswith(value):
            mappings.append(UrlMapping(key.removeprefix("url.").removesuffix(".insteadof"), scope))
    return mappings


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
