"""Pack every version of scaffold's templates into a git bundle: one commit per version.

The versions come from scaffold's own git history: each release listed in
pyproject.toml, and every other change of ``templates/`` on the first-parent line
since the first release, as a dev version that carries the tree's hash
(``0.3.0.dev2+t1a2b3c4d``), so a build between releases records exactly what it
rendered. Each commit is a root commit whose tree is that version's
``templates/`` folder, with a fixed author and date, so its id depends on the
version and the tree alone, on every machine and in every build. Tag
``v<version>`` names each commit. The wheel build (``hatch_build.py``) and a source
checkout at run time both call :func:`build_history`; this module needs only git
and the standard library.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from scaffold.errors import TemplateHistoryError
from scaffold.git import run_git

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
        self.env = {**COMMIT_IDENTITY, "GIT_DIR": str(path), "HOME": str(path)}
        self.run(
            "init", "--quiet", "--bare", f"--initial-branch={BRANCH.rsplit('/')[-1]}", str(path)
        )

    def run(self, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
        """Run git in this repository (or, with ``cwd``, in that checkout); its output."""
        settings = ["-c", "core.autocrlf=false", "-c", "core.fileMode=true"]
        result = run_git(
            [*settings, *args],
            cwd=cwd,
            env=None if cwd is not None else {**self.env, **(env or {})},
            failure=TemplateHistoryError,
            isolated=cwd is None,
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

    def hash_commits(self, bodies: list[bytes]) -> list[str]:
        """Store commit objects with exactly these contents; their ids (one git call)."""
        if not bodies:
            return []
        files = []
        for number, body in enumerate(bodies):
            path = self.path / f"scratch-commit-{number}"
            path.write_bytes(body)
            files.append(str(path))
        return self.run("hash-object", "-t", "commit", "-w", "--no-filters", "--", *files).split()

    def set_refs(self, refs: Mapping[str, str], head: str) -> None:
        """Point every ref of ``refs`` (name -> id) at its commit, and HEAD at ``head``."""
        lines = [f"{object_id} {name}\n" for name, object_id in sorted(refs.items())]
        (self.path / "packed-refs").write_text("".join(lines), encoding="utf-8")
        self.run("symbolic-ref", "HEAD", head)


@dataclass(frozen=True)
class Entry:
    """One version of the templates: its name and the git tree of its ``templates/`` folder."""

    version: str
    tree: str

    @property
    def body(self) -> bytes:
        """The commit object of this version: a root commit, so its id depends on it alone."""
        return (
            f"tree {self.tree}\n"
            f"author {IDENTITY_LINE}\ncommitter {IDENTITY_LINE}\n\n"
            f"Templates of scaffold {self.version}\n"
        ).encode()

    @property
    def commit(self) -> str:
        """The id git gives :attr:`body` (computed here, so planning needs no git write)."""
        header = f"commit {len(self.body)}\0".encode()
        return hashlib.sha1(header + self.body, usedforsecurity=False).hexdigest()


IDENTITY_LINE = "scaffold <scaffold@localhost> 0 +0000"
_VERSION_LINE = re.compile(r"""__version__ = ["']([^"']+)["']""")


def dev_version(base: str, number: int, tree: str) -> str:
    """The version of templates between releases: ``0.3.0.dev2+t1a2b3c4d`` (tree's hash)."""
    return f"{base}.dev{number}+t{tree[:8]}"


def is_release(version: str) -> bool:
    """True for a final release (``0.2.0``), False for a dev, pre or local version."""
    parsed = Version(version)
    return not (parsed.is_prerelease or parsed.is_postrelease or parsed.local)


class _Plan:
    """The versions of a history in the order they were made, named as they are recorded."""

    def __init__(self, version: str, releases: Mapping[str, str]) -> None:
        self.version = version
        self.releases = releases
        self.entries: list[Entry] = []
        self.last_release: str | None = None
        self.dev_counts: dict[str, int] = {}

    def add_release(self, version: str, tree: str) -> None:
        self._append(Entry(version, tree))
        self.last_release = version

    def add_named(self, version: str, tree: str) -> None:
        """Add a version that an earlier build named (from a seed bundle)."""
        parsed = Version(version)
        if is_release(version):
            self.add_release(version, tree)
            return
        if parsed.dev is not None:
            self.dev_counts[parsed.base_version] = parsed.dev + 1
        self._append(Entry(version, tree))

    def add_dev(self, declared: str, tree: str) -> None:
        """Add the templates ``tree`` of a build that declared ``declared``, if it is new."""
        if self.entries and self.entries[-1].tree == tree:
            return
        base = Version(declared).base_version
        if self.last_release is not None and Version(base) <= Version(self.last_release):
            last = Version(self.last_release)
            base = f"{last.major}.{last.minor + 1}.0"  # built before the version was opened
        number = self.dev_counts.get(base, 0)
        self.dev_counts[base] = number + 1
        self._append(Entry(dev_version(base, number, tree), tree))

    def _append(self, entry: Entry) -> None:
        if self.entries and Version(entry.version) <= Version(self.entries[-1].version):
            raise TemplateHistoryError(
                f"template version {entry.version} would follow {self.entries[-1].version}, "
                "which is newer; versions must grow along the history (check __version__ "
                "and the releases table in pyproject.toml)"
            )
        self.entries.append(entry)


def _walk_checkout(repo: _Repository, checkout: Path, plan: _Plan) -> None:
    """Add every templates tree on the first-parent line of ``checkout``, since the first release.

    Release commits (the releases table) give releases; every other change of the
    tree gives a dev version named after the ``__version__`` of its commit.
    """
    line = repo.run("rev-list", "--first-parent", "--reverse", "HEAD", cwd=checkout).split()
    by_commit = {commit: version for version, commit in plan.releases.items()}
    starts = [index for index, commit in enumerate(line) if commit in by_commit]
    line = line[starts[0] :] if starts else line
    trees = repo.run("rev-parse", *(f"{commit}:templates" for commit in line), cwd=checkout)
    found = repo.run(
        "grep", "-h", "--no-color", "-e", "^__version__ = ", *line, "--",
        "scaffold/__init__.py", cwd=checkout,
    )  # fmt: skip
    declared = [match.group(1) for match in _VERSION_LINE.finditer(found)]
    if len(declared) != len(line):
        declared = [plan.version] * len(line)  # a history without a __version__ line
    for commit, tree, version in zip(line, trees.split(), declared, strict=True):
        if commit in by_commit:
            plan.add_release(by_commit[commit], tree)
        else:
            plan.add_dev(version, tree)
    _check_released(plan, line, declared, by_commit)


def _check_released(
    plan: _Plan, line: list[str], declared: list[str], by_commit: Mapping[str, str]
) -> None:
    """Refuse a releases table that lacks a version the history moved past: projects record it."""
    released = set(by_commit.values())
    for index, version in enumerate(declared):
        if not is_release(version) or version in released:
            continue
        later = [Version(other).base_version for other in declared[index + 1 :]]
        if any(Version(base) > Version(version) for base in later):
            commit = max(i for i, other in enumerate(declared) if other == version)
            raise TemplateHistoryError(
                f"the releases table in pyproject.toml skips {version}, which builds of commit "
                f'{line[commit][:12]} record; add "{version}" = "{line[commit]}" to it'
            )


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


def _plan(
    repo: _Repository,
    *,
    templates: Path,
    version: str,
    releases: Mapping[str, str],
    repository: Path | None,
    seed: Path | None,
) -> list[Entry]:
    """Every version the history holds, oldest first; the last is the one being built."""
    earlier = {
        release: commit
        for release, commit in releases.items()
        if Version(release) < Version(version)
    }
    plan = _Plan(version, earlier)
    release_build = is_release(version) and version not in releases
    if repository is not None:
        repo.borrow_objects(repository)
    if seed is not None:
        repo.run("fetch", "--quiet", str(seed.resolve()), "refs/tags/*:refs/seed/*")
    if repository is not None and repo.tree_of("HEAD", repository):
        _walk_checkout(repo, repository, plan)
    elif seed is not None:
        for named in sort_versions(list(bundle_versions(seed))):
            plan.add_named(named, repo.run("rev-parse", f"refs/seed/{tag_of(named)}^{{tree}}"))
    known = {entry.version for entry in plan.entries}
    for release in sort_versions([release for release in earlier if release not in known]):
        tree = _release_tree(repo, release, earlier[release], repository, seed is not None)
        plan.entries.append(Entry(release, tree))  # off the first-parent line: by version
    plan.entries.sort(key=lambda entry: Version(entry.version))
    working = repo.tree_of_folder(templates)
    if release_build and plan.entries and plan.entries[-1].version == version:
        plan.entries[-1] = Entry(version, working)  # a seed's release: what this build ships
    elif release_build:
        plan.add_release(version, working)
    else:
        plan.add_dev(version, working)
    return plan.entries


def build_history(
    output: Path | None,
    *,
    templates: Path,
    version: str,
    releases: Mapping[str, str],
    repository: Path | None = None,
    seed: Path | None = None,
) -> dict[str, str]:
    """Write the template history to the bundle ``output``; return version -> commit id.

    ``releases`` maps each earlier release to the commit of scaffold's repository
    it was made from. With a checkout (``repository``), every other change of
    ``templates/`` on its first-parent line becomes a dev version; without one,
    ``seed`` (the bundle a source distribution carries) gives the versions.
    ``templates`` is the folder being built, which ends the history. Without
    ``output`` nothing is written: the ids are computed, which is cheaper.
    """
    with tempfile.TemporaryDirectory(prefix="scaffold-history-") as scratch:
        repo = _Repository(Path(scratch) / "history.git")
        entries = _plan(
            repo,
            templates=templates,
            version=version,
            releases=releases,
            repository=repository,
            seed=seed,
        )
        if output is None:
            return {entry.version: entry.commit for entry in entries}
        commits = dict(
            zip(
                (entry.version for entry in entries),
                repo.hash_commits([entry.body for entry in entries]),
                strict=True,
            )
        )
        write_bundle(repo, commits, output)
    return commits


def write_bundle(repo: _Repository, commits: Mapping[str, str], output: Path) -> None:
    """Bundle ``commits`` (version -> id, all in ``repo``) as tags, with ``main`` at the newest."""
    newest = sort_versions(list(commits))[-1]
    refs = {f"refs/tags/{tag_of(version)}": commit for version, commit in commits.items()}
    repo.set_refs({**refs, BRANCH: commits[newest]}, BRANCH)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    repo.run("bundle", "create", "--quiet", str(partial.resolve()), "HEAD", BRANCH, "--tags")
    partial.replace(output)


def merge_bundles(output: Path, parts: list[tuple[Path, Mapping[str, str]]]) -> None:
    """Write one bundle holding the given versions (version -> id) of several bundles.

    A version named in more than one part takes the commit of the last part.
    """
    with tempfile.TemporaryDirectory(prefix="scaffold-history-") as scratch:
        repo = _Repository(Path(scratch) / "history.git")
        commits: dict[str, str] = {}
        for number, (bundle, versions) in enumerate(parts):
            fetched = f"refs/tags/*:refs/part{number}/*"
            repo.run("fetch", "--quiet", "--no-tags", str(bundle.resolve()), fetched)
            commits.update(versions)
        write_bundle(repo, commits, output)
