"""Release scaffold in one command: the release commit and its tag, then the next version opened.

    python tools/release.py          # release the version being developed (0.3.0.dev0 -> 0.3.0)
    python tools/release.py 0.3.1    # release under another, higher number

In a clean checkout of the branch releases are made from, it

1. checks that the history of the templates can be built for the release (the
   same check every wheel build makes, so a build never fails after the tag);
2. commits ``__version__ = "0.3.0"`` ("Release scaffold 0.3.0") and tags it ``v0.3.0``;
3. commits the release and that commit's id in the releases table of pyproject.toml,
   with ``__version__ = "0.4.0.dev0"`` ("Open 0.4.0.dev0 after releasing 0.3.0").

It changes nothing when a check fails, and says why in one line. Pushing the
branch and the tag, and building the wheel from the tag, are left to the caller
(docs/releasing.md). A script in the repository rather than a command of the
package: only maintainers release, from a clone, and users' installs have no use for it.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from packaging.version import InvalidVersion, Version  # noqa: E402

from scaffold.errors import ScaffoldError, TemplateHistoryError  # noqa: E402
from scaffold.git import run_git  # noqa: E402
from scaffold.versions.history import build_history, is_release, tag_of  # noqa: E402
from scaffold.versions.source import releases_of  # noqa: E402

INIT = ROOT / "scaffold" / "__init__.py"
PYPROJECT = ROOT / "pyproject.toml"
TABLE = "[tool.hatch.build.hooks.custom.releases]"
VERSION_LINE = re.compile(r'^__version__ = "([^"]+)"$', re.MULTILINE)


class ReleaseError(ScaffoldError):
    """A reason not to release, said in one line."""


def git(*args: str) -> str:
    """Run git in the checkout as scaffold does; its output, or a ReleaseError saying why."""
    return run_git(args, cwd=ROOT, failure=ReleaseError).stdout.strip()


def declared_version() -> str:
    """The ``__version__`` of the checkout."""
    match = VERSION_LINE.search(INIT.read_text(encoding="utf-8"))
    if match is None:
        raise ReleaseError(f"{INIT} has no __version__ line")
    return match.group(1)


def set_version(version: str) -> None:
    """Write ``version`` as the checkout's ``__version__``."""
    text = INIT.read_text(encoding="utf-8")
    INIT.write_text(VERSION_LINE.sub(f'__version__ = "{version}"', text, count=1), "utf-8")


def record_release(version: str, commit: str) -> None:
    """Add ``version = commit`` to the releases table, after the releases it lists."""
    lines = PYPROJECT.read_text(encoding="utf-8").splitlines(keepends=True)
    if f"{TABLE}\n" not in lines:
        raise ReleaseError(f"pyproject.toml has no {TABLE} table")
    end = lines.index(f"{TABLE}\n") + 1
    while end < len(lines) and re.match(r'^"[^"]+" = "[0-9a-f]+"$', lines[end].strip()):
        end += 1
    lines.insert(end, f'"{version}" = "{commit}"\n')
    PYPROJECT.write_text("".join(lines), encoding="utf-8")
    with PYPROJECT.open("rb") as stream:
        written = tomllib.load(stream)["tool"]["hatch"]["build"]["hooks"]["custom"]["releases"]
    if written.get(version) != commit:
        raise ReleaseError("the releases table could not be updated; restore pyproject.toml")


def release_version(requested: str | None, declared: str) -> str:
    """The version to release: ``requested``, or the one ``declared`` is the dev version of."""
    try:
        version = str(Version(requested)) if requested else Version(declared).base_version
    except InvalidVersion:
        raise ReleaseError(f"{requested} is not a version (PEP 440), such as 0.3.0") from None
    if not is_release(version):
        raise ReleaseError(f"{version} is not a final release; give one like 0.3.0")
    if is_release(declared):
        raise ReleaseError(f"__version__ is {declared}, a release: open the next dev version first")
    if Version(version) < Version(Version(declared).base_version):
        raise ReleaseError(f"{version} is older than {declared}, the version being developed")
    released = releases_of(ROOT)
    if version in released or any(Version(version) <= Version(other) for other in released):
        raise ReleaseError(f"{version} is not newer than every release in pyproject.toml")
    return version


def release(requested: str | None) -> str:
    """Make the release and open the next version; what was done, for the maintainer."""
    if git("status", "--porcelain", "--untracked-files=all"):
        raise ReleaseError("the checkout has uncommitted changes; commit or stash them first")
    declared = declared_version()
    version = release_version(requested, declared)
    tag = tag_of(version)
    if git("tag", "--list", tag):
        raise ReleaseError(f"tag {tag} exists already")
    try:
        build_history(
            None,
            templates=ROOT / "templates",
            version=version,
            releases=releases_of(ROOT),
            repository=ROOT,
        )
    except TemplateHistoryError as error:
        raise ReleaseError(str(error)) from None
    following = Version(version)
    opened = f"{following.major}.{following.minor + 1}.0.dev0"
    try:
        set_version(version)
        git("commit", "--quiet", "-m", f"Release scaffold {version}", "--", str(INIT))
    except (OSError, ReleaseError):
        git("checkout", "--", str(INIT))
        raise
    commit = git("rev-parse", "HEAD")
    git("tag", "-a", tag, "-m", f"scaffold {version}")
    record_release(version, commit)
    set_version(opened)
    message = f"Open {opened} after releasing {version}"
    git("commit", "--quiet", "-m", message, "--", str(INIT), str(PYPROJECT))
    return (
        f"Released scaffold {version} at {commit[:12]} (tag {tag}); "
        f"{git('rev-parse', '--abbrev-ref', 'HEAD')} is now at {opened}."
    )


def main(argv: list[str]) -> int:
    """Release, or say in one line why not."""
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print("usage: python tools/release.py [VERSION]", file=sys.stderr)
        return 2
    try:
        print(release(argv[0] if argv else None))
    except ScaffoldError as error:  # a ReleaseError, or a git configuration git cannot read
        print(f"release: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
