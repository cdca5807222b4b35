"""Pack the templates of every scaffold release into a git bundle: one commit per version.

Each commit's tree is that release's ``templates/`` folder, its parent the
previous release, and its author and date fixed, so the same trees always give
the same commit ids on every machine. Tag ``v<version>`` names each commit.
The wheel build (``hatch_build.py``) and a source checkout at run time both
call :func:`build_history`; this module needs only git and the standard library.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from packaging.version import InvalidVersion, Version

from scaffold.errors import TemplateHistoryError
from scaffold.versions.git import run_git

TAG_PREFIX = "v"
BRANCH = "refs/heads/main"
#: Who made every commit, and when: fixed, so that ids depend on the trees alone.
COMMIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "scaffold",
    "GIT_AUTHOR_EMAIL": "scaffold@localhost",
    "GIT_AUTHOR_DATE": "@0 +0000",
    "GIT_COMMITTER_NAME": "scaffold",
    "GIT_COMMITTER_EMAIL": "scaffold@localhost",
    "GIT_COMMITTER_DATE": "@0 +0000",
}
#: What the wheel leaves out of a shipped folder (hatchling's exclusions), left out here too,
#: so that the newest commit holds exactly the files the wheel ships.
EXCLUDED_DIRECTORIES = (
    "__pycache__", ".venv", ".hg", ".hatch", ".tox", ".nox",
    ".ruff_cache", ".pytest_cache", ".mypy_cache", ".pixi",
)  # fmt: skip
EXCLUDED_FILES = (".DS_Store",)


def tag_of(version: str) -> str:
    """The tag that names ``version`` in the history (``0.2.0`` -> ``v0.2.0``)."""
    return f"{TAG_PREFIX}{version}"


def version_of(ref: str) -> str | None:
    """The version a tag or a ``_commit`` names (``v0.2.0`` -> ``0.2.0``); None if none."""
    name = ref.removeprefix("refs/tags/")
    if not name.startswith(TAG_PREFIX):
        return None
    try:
        Version(name[len(TAG_PREFIX) :])
    except InvalidVersion:
        return None
    return name[len(TAG_PREFIX) :]


def sort_versions(versions: list[str]) -> list[str]:
    """Versions in PEP 440 order, oldest first."""
    return sorted(versions, key=Version)


def read_bundle_refs(bundle: Path) -> dict[str, str]:
    """The refs a bundle holds (name -> commit id), read from its text header without git."""
    refs: dict[str, str] = {}
    try:
        with bundle.open("rb") as stream:
            signature = stream.readline()
            if not signature.startswith(b"# v") or b"git bundle" not in signature:
                raise TemplateHistoryError(f"{bundle} is not a git bundle")
            for raw in stream:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if not line:
                    break  # the pack data follows the blank line
                if line.startswith(("-", "@")):
                    continue  # prerequisites and capabilities
                object_id, _, name = line.partition(" ")
                refs[name] = object_id
    except OSError as error:
        raise TemplateHistoryError(f"cannot read the template history {bundle}: {error}") from error
    return refs


def bundle_versions(bundle: Path) -> dict[str, str]:
    """The versions a bundle holds (version -> commit id), oldest first."""
    tagged = {
        version: object_id
        for name, object_id in read_bundle_refs(bundle).items()
        if (version := version_of(name)) is not None
    }
    return {version: tagged[version] for version in sort_versions(list(tagged))}


class _Repository:
    """A throwaway bare repository, shielded from the user's git configuration."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
        self.env.update(
            COMMIT_IDENTITY,
            GIT_DIR=str(path),
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            HOME=str(path),
        )
        self.run("init", "--quiet", "--bare", str(path))

    def run(self, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
        """Run git in this repository (or, with ``cwd``, in that checkout); its output."""
        settings = ["-c", "core.autocrlf=false", "-c", "core.fileMode=true"]
        result = run_git(
            [*settings, *args],
            cwd=cwd,
            env=None if cwd is not None else {**self.env, **(env or {})},
            failure=TemplateHistoryError,
        )
        return result.stdout.strip()

    def tree_of(self, revision: str, checkout: Path | None = None) -> str | None:
        """The tree ``revision`` names, here or in ``checkout``; None when it names none."""
        try:
            return self.run("rev-parse", "--verify", "--quiet", revision, cwd=checkout)
        except TemplateHistoryError:
            return None

    def borrow_objects(self, checkout: Path) -> None:
        """Read the objects of ``checkout`` (a clone of scaffold) without copying them."""
        common = self.run("rev-parse", "--git-common-dir", cwd=checkout)
        objects = (checkout / common).resolve() / "objects"
        (self.path / "objects" / "info" / "alternates").write_text(f"{objects}\n", encoding="utf-8")

    def tree_of_folder(self, folder: Path) -> str:
        """Store every file of ``folder`` that a wheel would ship; the id of the tree."""
        index = {"GIT_INDEX_FILE": str(self.path / "scratch-index"), "GIT_WORK_TREE": str(folder)}
        # --force: ignore rules inside the folder must not drop template files.
        self.run("add", "--all", "--force", "--", ".", env=index)
        excluded = [f":(glob)**/{name}/**" for name in EXCLUDED_DIRECTORIES]
        excluded += [f":(glob)**/{name}" for name in EXCLUDED_FILES]
        self.run("rm", "-r", "--cached", "--quiet", "--ignore-unmatch", "--", *excluded, env=index)
        return self.run("write-tree", env=index)


def _release_tree(
    repo: _Repository, version: str, commit: str, checkout: Path | None, seeded: bool
) -> str:
    """The templates tree of a release: from scaffold's own history, else from the seed bundle."""
    if checkout is not None:
        for revision in (f"{commit}:templates", f"refs/tags/{tag_of(version)}:templates"):
            if tree := repo.tree_of(revision, checkout):
                return tree
    if seeded and (tree := repo.tree_of(f"refs/seed/{tag_of(version)}^{{tree}}")):
        return tree
    raise TemplateHistoryError(
        f"the templates of release {version} (commit {commit[:12]}) are not in this checkout; "
        "build from a full clone (git fetch --unshallow) or from the source distribution"
    )


def build_history(
    output: Path,
    *,
    templates: Path,
    version: str,
    releases: Mapping[str, str],
    repository: Path | None = None,
    seed: Path | None = None,
) -> dict[str, str]:
    """Write the template history to the bundle ``output``; return version -> commit id.

    ``releases`` maps each earlier release to the commit of scaffold's repository
    it was made from, found in ``repository`` (a checkout) or, failing that, in
    ``seed`` (the bundle a source distribution carries). ``templates`` is the
    folder of the version being built, ``version``, which ends the history.
    """
    earlier = [
        release for release in sort_versions(list(releases)) if Version(release) < Version(version)
    ]
    with tempfile.TemporaryDirectory(prefix="scaffold-history-") as scratch:
        repo = _Repository(Path(scratch) / "history.git")
        if repository is not None:
            repo.borrow_objects(repository)
        if seed is not None:
            repo.run("fetch", "--quiet", str(seed.resolve()), "refs/tags/*:refs/seed/*")
        trees = [
            (release, _release_tree(repo, release, releases[release], repository, seed is not None))
            for release in earlier
        ]
        trees.append((version, repo.tree_of_folder(templates)))
        commits: dict[str, str] = {}
        parent: list[str] = []
        for release, tree in trees:
            message = f"Templates of scaffold {release}"
            commit = repo.run("commit-tree", tree, *parent, "-m", message)
            repo.run("update-ref", f"refs/tags/{tag_of(release)}", commit)
            commits[release] = commit
            parent = ["-p", commit]
        repo.run("update-ref", BRANCH, commits[version])
        repo.run("symbolic-ref", "HEAD", BRANCH)
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        repo.run("bundle", "create", "--quiet", str(partial.resolve()), "HEAD", BRANCH, "--tags")
        partial.replace(output)
    return commits
