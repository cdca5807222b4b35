"""Bring a generated project to the installed template version with copier's 3-way merge.

Everything that can refuse an update is checked first, each with a one-line
error, before the project is touched: that it is a scaffold project, a git
repository with nothing uncommitted, on a version the installed history knows
and not newer than it. copier's ``run_update`` then renders the project's
version and the installed one from the history, carries the user's changes
over and marks conflicts. A failure or Ctrl-C inside the merge puts the project
back to its last commit, which the checks proved equal to the working tree.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from packaging.version import Version

from scaffold import interrupts
from scaffold.bounded import excerpt, read_mapping
from scaffold.errors import InvalidAnswersError, NotAProjectError, UpdateError
from scaffold.frameworks import Framework
from scaffold.git import run_git
from scaffold.locks import holding
from scaffold.names import package_problem
from scaffold.questions import Value
from scaffold.versions.history import is_release, tag_of, version_of
from scaffold.versions.source import (
    ANSWERS_FILE,
    TEMPLATE_URL,
    TemplateHistory,
    configured_mappings,
    stamp_answers,
    user_bundle,
)

if TYPE_CHECKING:
    from scaffold.options import Asker
    from scaffold.plan import ProjectPlan

ConflictMode = Literal["inline", "rej"]
CONFLICT_MODES: tuple[ConflictMode, ...] = ("inline", "rej")
#: How each kind of change is shown, by ``git status --porcelain`` code.
#: The suffix of the template's version of a path whose own content the update kept.
KEPT_SUFFIX = ".new"
#: Where the update keeps what git does not hold while copier writes (in the git directory).
ASIDE_PREFIX = "scaffold-update-aside-"
CHANGE_WORDS = {"M": "modified", "A": "added", "D": "removed", "R": "renamed", "?": "added"}


@dataclass(frozen=True)
class Project:
    """A generated project as its answers file describes it."""

    path: Path
    answers: Mapping[str, Any]

    @property
    def framework(self) -> Framework:
        """The framework the project was generated for."""
        return Framework(self.answers["framework"])

    @property
    def name(self) -> str:
        """The project's name (its ``project_name`` answer)."""
        return str(self.answers["project_name"])

    @property
    def version(self) -> str | None:
        """The template version it records; None when it records none (scaffold 0.1.0)."""
        commit = self.answers.get("_commit")
        return version_of(str(commit)) if commit is not None else None

    @property
    def last_answers(self) -> dict[str, Value]:
        """The answers to the template's questions, without copier's private keys."""
        return {key: value for key, value in self.answers.items() if not key.startswith("_")}


@dataclass(frozen=True)
class UpdateCheck:
    """The version a project is on and the one installed."""

    current: str
    latest: str

    @property
    def available(self) -> bool:
        """True when the installed templates are newer than the project's."""
        return Version(self.latest) > Version(self.current)


@dataclass(frozen=True)
class Change:
    """One file the update touched, as git sees it afterwards."""

    path: str
    kind: str


@dataclass(frozen=True)
class UpdateResult:
    """What an update did."""

    #: The project as it is afterwards.
    project: Project
    previous: str
    version: str
    #: False when there was nothing to do: already on the installed version, no new answers.
    merged: bool = True
    changes: tuple[Change, ...] = ()
    #: Files left with conflict markers (inline) or a ``.rej`` file next to them (rej).
    conflicts: tuple[str, ...] = ()
    #: Answers to questions the project had not been asked before.
    new_answers: Mapping[str, Value] = field(default_factory=dict)
    #: True when ``--from-version`` recorded the version first (and committed that).
    adopted: bool = False
    #: Paths git does not hold that the update would have written: the user's entry is
    #: kept in place and the template's version is beside it, as ``NAME.new``.
    kept: tuple[str, ...] = ()


def update_project(
    path: Path,
    history: TemplateHistory,
    *,
    data: Mapping[str, Value] | None = None,
    ask: Asker | None = None,
    conflict: ConflictMode = "inline",
    from_version: str | None = None,
) -> UpdateResult:
    """Update the project at ``path`` to the newest version of ``history``: ``scaffold update``.

    ``data`` changes answers or answers new questions; the other new questions
    are asked with ``ask``, or take their defaults without it. ``from_version``
    first records the version of a project that records none (scaffold 0.1.0).
    The project stays locked for the whole run, as ``scaffold new`` locks its
    target: a second run refuses at once instead of undoing the first one's merge.
    """
    project = read_project(path)
    busy = (
        f"another scaffold run is updating or writing into {project.path}; "
        "wait for it to finish, then run scaffold update again"
    )
    with holding(project.path, busy):
        return _update(project, history, dict(data or {}), ask, conflict, from_version)


def _update(
    project: Project,
    history: TemplateHistory,
    data: dict[str, Value],
    ask: Asker | None,
    conflict: ConflictMode,
    from_version: str | None,
) -> UpdateResult:
    check_repository(project)
    if from_version:
        check_adoption(project, from_version, history)
        current = from_version
    else:
        current = check(project, history).current
    merge = current != history.latest or bool(data)
    plan = plan_update(project, data, ask) if merge else None
    answers = {"project_name": plan.name, **plan.options} if plan else {}
    if from_version:
        project = adopt(project, from_version, history)
    if not merge:
        return UpdateResult(project, current, current, merged=False, adopted=bool(from_version))
    new = {key: value for key, value in answers.items() if key not in project.answers}
    result = apply_update(project, history, answers, conflict)
    return replace(result, new_answers=new, adopted=bool(from_version))


def plan_update(project: Project, data: Mapping[str, Value], ask: Asker | None) -> ProjectPlan:
    """The plan of the updated project: its recorded answers, ``data``, and new questions."""
    from scaffold import answers, options
    from scaffold.plan import ProjectPlan, build_plan

    problems = answers.unknown_keys(
        {key: value for key, value in data.items() if key != "framework"},
        [*options.option_keys(), "project_name"],
    )
    if str(data.get("framework", project.framework.value)) != project.framework.value:
        problems.append(
            "framework: an update keeps the project's framework; "
            "use scaffold new for a project with another one"
        )
    if problems:
        raise InvalidAnswersError(problems)
    recorded = {k: v for k, v in project.last_answers.items() if k in options.option_keys()}
    previous = ProjectPlan(
        project.name,
        project.framework,
        recorded,
        given={**recorded, "framework": project.framework},
    )
    name = str(data.get("project_name", project.name))
    given = {key: value for key, value in data.items() if key not in options.SET_BY_SCAFFOLD}
    return build_plan(name, given, ask=ask, previous=previous)


def _shown(path: Path) -> str:
    return "this directory" if path == Path() else str(path)


def read_project(path: Path) -> Project:
    """The project at ``path``; refuses a directory that no scaffold release generated.

    The path is resolved first (``..``, a symbolic link, a relative spelling),
    so that every spelling of a directory works as ``cd`` into it does. The
    answers file is read within :mod:`scaffold.bounded`'s limits.
    """
    answers_file = path / ANSWERS_FILE
    if not path.is_dir():
        raise NotAProjectError(f"{_shown(path)} is not a directory")
    if not answers_file.is_file():
        raise NotAProjectError(
            f"{_shown(path)} is not a scaffold project: it has no {ANSWERS_FILE} "
            "(run this in the project's root directory)"
        )
    answers = read_mapping(answers_file, str(answers_file), kind="yaml", failure=NotAProjectError)
    if answers.get("framework") not in set(Framework):
        raise NotAProjectError(
            f"{_shown(path)} is not a scaffold project: its {ANSWERS_FILE} names no framework"
        )
    source = answers.get("_src_path")
    if source != TEMPLATE_URL and answers.get("_commit") is not None:
        raise NotAProjectError(
            f"{_shown(path)} was generated from {excerpt(str(source))}, not from scaffold's "
            "templates; update it with copier"
        )
    package = answers.get("package_name")
    if package is not None and (problem := package_problem(str(package), suggest=False)):
        raise NotAProjectError(
            f"{answers_file}: package_name: {problem}; fix the file and commit it"
        )
    return Project(path.resolve(), answers)


def check(project: Project, history: TemplateHistory) -> UpdateCheck:
    """Compare the project's template version with the installed one."""
    if project.version is None:
        if project.answers.get("_commit") is not None:
            raise UpdateError(
                f"{ANSWERS_FILE} records _commit {project.answers['_commit']!r}, "
                "which names no scaffold version"
            )
        raise UpdateError(
            f"{project.name} records no template version (it was made by scaffold 0.1.0); "
            "adopt it once with: scaffold update --from-version 0.1.0"
        )
    installed = f"scaffold {history.latest}"
    if Version(project.version) > Version(history.latest):
        from scaffold.distribution import installation

        raise UpdateError(
            f"{project.name} is on template version {project.version}, newer than {installed}; "
            f"upgrade scaffold ({installation().upgrade_command()}) and try again"
        )
    if project.version not in history.versions:
        known = ", ".join(version for version in history.versions if is_release(version))
        raise UpdateError(
            f"{project.name} records template version {project.version}, which {installed} "
            f"does not know (it knows the releases {known} and the builds between them)"
        )
    return UpdateCheck(project.version, history.latest)


def check_repository(project: Project) -> None:
    """Refuse a project outside git, without a commit, or with uncommitted changes."""
    inside = run_git(["rev-parse", "--is-inside-work-tree"], cwd=project.path, check=False)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise UpdateError(
            f"{project.name} is not in a git repository; an update is a merge that needs "
            "one: run git init, git add -A and git commit first"
        )
    if run_git(
        ["rev-parse", "--verify", "--quiet", "HEAD"], cwd=project.path, check=False
    ).returncode:
        raise UpdateError(f"{project.name} has no commit yet; commit the project first")
    if dirty := [change.path for change in _status(project.path)]:
        shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
        raise UpdateError(
            f"{project.name} has uncommitted changes ({shown}); commit or stash them first, "
            "so that the update can be reviewed and undone"
        )


def check_adoption(project: Project, version: str, history: TemplateHistory) -> None:
    """Refuse ``--from-version`` for a project that records a version, or an unknown version."""
    if project.version is not None:
        raise UpdateError(
            f"{ANSWERS_FILE} already records template version {project.version}; "
            "run scaffold update without --from-version"
        )
    if version not in history.versions:
        raise UpdateError(
            f"--from-version {version} is not a scaffold version; "
            f"the known ones are {', '.join(history.versions)}"
        )


def adopt(project: Project, version: str, history: TemplateHistory) -> Project:
    """Make a project of scaffold 0.1.0 record the portable source and its version; commit that."""
    from scaffold.options import commit_identity

    check_adoption(project, version, history)

    answers_file = project.path / ANSWERS_FILE
    before = answers_file.read_bytes()
    message = f"Record template version {version} of scaffold, for updates"
    commit = [*commit_identity(project.answers), "commit", "-q", "-m", message, "--", ANSWERS_FILE]
    try:
        stamp_answers(answers_file, version)
        run_git(["add", "--", ANSWERS_FILE], cwd=project.path, failure=UpdateError)
        run_git(commit, cwd=project.path, failure=UpdateError)
    except BaseException as error:
        # A refused commit (a failing hook) leaves the file and the index as they were.
        with interrupts.deferred():
            answers_file.write_bytes(before)
            run_git(["reset", "-q", "--", ANSWERS_FILE], cwd=project.path, check=False)
        if isinstance(error, UpdateError):
            raise UpdateError(
                f"recording the template version failed ({error}); {project.name} is unchanged"
            ) from error
        raise
    return read_project(project.path)


def apply_update(
    project: Project,
    history: TemplateHistory,
    answers: Mapping[str, Value],
    conflict: ConflictMode = "inline",
) -> UpdateResult:
    """Merge the installed template version and ``answers`` into the checked project."""
    from copier import run_update

    from scaffold.git import copier_environment

    previous = check(project, history).current
    env = history.git_env()
    _check_reachable(project, history, env, previous)
    _check_writable(project.path)
    try:
        with _copier_scratch(), _set_aside(project.path) as set_aside, copier_environment(env):
            run_update(
                dst_path=project.path,
                data={"framework": project.framework.value, **answers},
                defaults=True,
                overwrite=True,
                skip_answered=True,
                quiet=True,
                conflict=conflict,
                vcs_ref=tag_of(history.latest),
                unsafe=False,
            )
    except BaseException as error:
        restore(project.path)
        if isinstance(error, Exception):
            reason = " ".join(str(error).split()) or type(error).__name__
            raise UpdateError(
                f"the update failed ({reason}); {project.name} is back at its last commit"
            ) from error
        raise
    kept = tuple(set_aside)
    changes = (*_status(project.path), *(Change(path, "kept") for path in kept))
    conflicts = tuple(sorted({*_conflicts(project.path, changes), *kept}))
    return UpdateResult(
        read_project(project.path), previous, history.latest, True, changes, conflicts, kept=kept
    )


@contextlib.contextmanager
def _copier_scratch() -> Iterator[None]:
    """Send copier's temporary clones and renders into one directory, removed however it ends.

    copier makes them with :mod:`tempfile` and removes them in clean-up hooks
    that a Ctrl-C or SIGTERM skips; pointing :data:`tempfile.tempdir` at a
    scratch directory of our own lets one removal catch them all.
    """
    scratch = tempfile.mkdtemp(prefix="scaffold-update-")
    previous = tempfile.tempdir
    tempfile.tempdir = scratch
    try:
        yield
    finally:
        with interrupts.deferred():
            tempfile.tempdir = previous
            shutil.rmtree(scratch, ignore_errors=True)


def _ignored(project: Path) -> list[str]:
    """The entries git ignores in ``project``: git does not hold their bytes.

    A wholly ignored directory counts as one entry.
    """
    ignored = run_git(
        ["ls-files", "--others", "--ignored", "--exclude-standard", "--directory", "-z"],
        cwd=project,
    ).stdout
    return [entry.rstrip("/") for entry in ignored.split("\0") if entry]


def _aside(project: Path) -> tuple[Path, str]:
    """The git directory, and the prefix of the directories this project's entries wait in.

    The prefix names the project's place in its repository, so updates of two
    projects of one repository never take each other's entries for a killed run's.
    """
    git_dir, place = run_git(
        ["rev-parse", "--absolute-git-dir", "--show-prefix"], cwd=project
    ).stdout.split("\n")[:2]
    digest = hashlib.sha256(place.encode()).hexdigest()[:12]
    return Path(git_dir), f"{ASIDE_PREFIX}{digest}-"


def _check_writable(project: Path) -> None:
    """Refuse what copier would write through, or what a killed update left set aside.

    A committed link to a directory would take copier's writes wherever it
    points; entries :func:`_set_aside` left in the git directory are the user's.
    """
    git_dir, prefix = _aside(project)
    if left := sorted(git_dir.glob(f"{prefix}*")):
        raise UpdateError(
            f"an earlier update that was killed left files in {left[0]}; move them back "
            "into the project (each file's name there is its path), then remove that directory"
        )
    staged = run_git(["ls-files", "--stage", "-z"], cwd=project).stdout
    for entry in staged.split("\0"):
        mode, _, path = entry.partition("\t")
        if mode.startswith("120000") and (project / path).is_dir():
            raise UpdateError(
                f"{path} is a symbolic link to a directory ({(project / path).readlink()}); "
                "the update would write through it: commit the directory itself in its place, "
                "then run scaffold update again"
            )


@contextlib.contextmanager
def _set_aside(project: Path) -> Iterator[list[str]]:
    """Move what git ignores out of copier's way while the block runs; then put it back.

    Where the update wrote a path that held the user's bytes, the user's entry
    goes back in place and the template's version lands beside it as
    ``NAME.new``; the block's result lists those paths once it is over. On a
    failure, what copier wrote at those paths goes (nothing else was there)
    and the user's entries come back. The entries wait in the git directory,
    on the project's file system, so every move is a rename.
    """
    entries = _ignored(project)
    kept: list[str] = []
    if not entries:
        yield kept
        return
    git_dir, prefix = _aside(project)
    aside = Path(tempfile.mkdtemp(prefix=prefix, dir=git_dir))
    moved: list[tuple[Path, Path]] = []
    try:
        with interrupts.deferred():
            for entry in entries:
                # The name keeps the path readable, should a killed run leave it there.
                moved.append((project / entry, aside / entry.replace("/", "%")))
                try:
                    moved[-1][0].rename(moved[-1][1])
                except OSError as error:
                    moved.pop()
                    raise UpdateError(
                        f"cannot set {entry} aside during the update ({error.strerror}); "
                        "move it out of the project, then run scaffold update again"
                    ) from error
        yield kept  # filled in below, once copier is done
    except BaseException:
        with interrupts.deferred():
            for place, waiting in moved:
                _remove(place)
                _put_back(waiting, place)
            aside.rmdir()
        raise
    with interrupts.deferred():
        places = {place for place, _waiting in moved}
        for entry, (place, waiting) in zip(entries, moved, strict=True):
            if os.path.lexists(place):
                place.rename(_beside(place, places))
                kept.append(entry)
            _put_back(waiting, place)
        aside.rmdir()


def _beside(place: Path, taken: set[Path]) -> Path:
    """A free name next to ``place`` for the template's version: ``NAME.new``, ``NAME.new.2``...

    ``taken`` holds the user's entries still waiting to come back.
    """
    for number in itertools.count(1):
        candidate = place.with_name(place.name + KEPT_SUFFIX + (f".{number}" if number > 1 else ""))
        if not os.path.lexists(candidate) and candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def _put_back(waiting: Path, place: Path) -> None:
    """Move a set-aside entry back; copier may have removed its (emptied) parent directory."""
    place.parent.mkdir(parents=True, exist_ok=True)
    waiting.rename(place)


def _remove(path: Path) -> None:
    """Remove a file, link or directory tree, whichever ``path`` is, if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def _check_reachable(
    project: Project, history: TemplateHistory, env: Mapping[str, str], previous: str
) -> None:
    """Make sure git reaches the versions through the URL; a user's own mapping may shadow ours."""
    listed = run_git(
        ["ls-remote", "--tags", TEMPLATE_URL],
        cwd=project.path,
        env=env,
        check=False,
    )
    reached = {}
    for line in listed.stdout.splitlines():
        object_id, _, ref = line.partition("\t")
        reached[ref] = object_id
    for version in {previous, history.latest}:
        if reached.get(f"refs/tags/{tag_of(version)}") != history.commits[version]:
            raise UpdateError(unreachable(version, project.path))


def unreachable(version: str, project: Path) -> str:
    """Why git does not reach ``version`` through the URL, and the one command that fixes it."""
    problem = f"git does not reach template version {version} through {TEMPLATE_URL}"
    for mapping in configured_mappings(project):
        if mapping.target != str(user_bundle()):
            return (
                f"{problem}: your {mapping.scope} git configuration maps it to {mapping.target}; "
                f"point it at scaffold's copy with: {mapping.fix()}"
            )
    return f"{problem}; run 'scaffold template-source' and follow what it prints"


def restore(project: Path) -> None:
    """Put the project back to its last commit (the checks proved nothing else was lost)."""
    for args in (
        ["reset", "-q", "--", "."],
        ["checkout", "-q", "--", "."],
        ["clean", "-fdq", "--", "."],
    ):
        run_git(args, cwd=project, check=False)


def _status(project: Path) -> Iterator[Change]:
    """Every change git sees under ``project``, paths relative to it."""
    root = Path(run_git(["rev-parse", "--show-toplevel"], cwd=project).stdout.strip())
    output = run_git(
        ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."], cwd=project
    ).stdout
    entries = iter(output.split("\0"))
    for entry in entries:
        if not entry:
            continue
        code, path = entry[:2], entry[3:]
        if "R" in code:
            next(entries, None)  # a rename names its source in the next entry
        relative = os.path.relpath(root / path, project.resolve())
        if "U" in code or code in ("AA", "DD"):
            kind = "conflict"
        else:
            kind = CHANGE_WORDS.get(code.strip()[:1], "changed")
        yield Change(Path(relative).as_posix(), kind)


def _conflicts(project: Path, changes: tuple[Change, ...]) -> tuple[str, ...]:
    """Files with unresolved conflicts: unmerged in git (inline), or with a ``.rej`` beside them."""
    unmerged = [change.path for change in changes if change.kind == "conflict"]
    rejected = [
        change.path.removesuffix(".rej") for change in changes if change.path.endswith(".rej")
    ]
    ignored = run_git(
        ["ls-files", "--others", "--ignored", "--exclude-standard", "-z", "--", "*.rej"],
        cwd=project,
    ).stdout
    rejected += [path.removesuffix(".rej") for path in ignored.split("\0") if path]
    return tuple(sorted({*unmerged, *rejected}))
