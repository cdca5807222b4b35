"""Put a rendered project in place, safely: claim the target, stage inside it, then move.

The order of a run, and what each step guarantees:

1. **Claim.** The target directory is created exclusively (``mkdir``) or, when
   it exists, taken as it is; either way this run then holds an exclusive lock
   on it for its whole duration. Of two runs racing for one target exactly one
   gets it; the other stops with a one-line error and writes nothing.
2. **Stage.** The project is rendered into a hidden staging directory inside
   the target (same file system, so every later move is a rename), given its
   ``.env`` and its git repository with the first commit. A failure, Ctrl-C,
   SIGTERM or SIGHUP here removes the staging directory, and the target too
   when this run created it.
3. **Plan.** Every move is planned before the first one, and every clash is
   found first: a file where a directory goes or the other way round, a
   symbolic link anywhere on the way (never followed), another file system, a
   file whose content differs and that git could not bring back. Any clash
   stops the run with the list, before anything moves.
4. **Move.** Each planned rename runs in turn; if one still fails, those done
   are undone in reverse order. An existing ``.env`` is never replaced.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from scaffold import interrupts, project
from scaffold.errors import (
    ClashError,
    DataFileError,
    DestinationError,
    GitError,
    PartialOutputKept,
    ScaffoldError,
    TargetBusyError,
    UsageError,
)
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.git import LITERAL_PATHS, last_line, run_git
from scaffold.options import commit_identity
from scaffold.plan import ProjectPlan
from scaffold.progress import Steps
from scaffold.project import ENV_FILE, GIT_DIR, list_files

ANSWERS_FILE = ".copier-answers.yml"
#: The staging directory inside the target: ``.scaffold-<random>.partial``.
STAGING_PREFIX, STAGING_SUFFIX = ".scaffold-", ".partial"
#: Files that ``--force`` replaces are set aside here until every move has worked.
REPLACED_DIR = ".replaced"


@dataclass
class ProjectResult:
    """Where the project went and what happened on the way."""

    path: Path
    files: list[str]
    notes: list[str] = field(default_factory=list)
    #: The project's git repository is the one this run created (with its first commit).
    own_repository: bool = False


class Status(StrEnum):
    """What a run does, or would do, with one file of the project."""

    CREATE = "create"
    #: The existing file differs, but it is committed and unchanged: ``git checkout`` restores it.
    OVERWRITE = "overwrite"
    IDENTICAL = "identical"
    #: An existing ``.env``: never replaced.
    KEPT = "kept"
    #: Something in the way that stops the run (see :attr:`Entry.reason`).
    CLASH = "clash"


@dataclass(frozen=True)
class Entry:
    """One line of the plan: a path of the project and what happens to it."""

    path: str
    status: Status
    reason: str = ""


@dataclass
class Plan:
    """Every move of staged files into the target, worked out before the first one."""

    entries: list[Entry] = field(default_factory=list)
    #: Paths (files or whole directories) to rename from the staging directory into the target.
    moves: list[Path] = field(default_factory=list)
    #: The subset of ``moves`` that replace an existing file.
    replaces: set[Path] = field(default_factory=set)

    @property
    def clashes(self) -> list[Entry]:
        """The entries that stop the run."""
        return [entry for entry in self.entries if entry.status is Status.CLASH]

    def check(self, target: Path) -> None:
        """Refuse the whole plan, listing every clash, when there is any."""
        if clashes := self.clashes:
            listed = "; ".join(f"{target / entry.path}: {entry.reason}" for entry in clashes)
            raise ClashError(
                f"stopped before writing anything in {target}, because {len(clashes)} "
                f"{'path is' if len(clashes) == 1 else 'paths are'} in the way: {listed}"
            )


def is_staging(name: str) -> bool:
    """True for the name of a staging directory (this run's, or one a killed run left)."""
    return name.startswith(STAGING_PREFIX) and name.endswith(STAGING_SUFFIX)


def check_destination(
    target: Path, *, force: bool, parents: bool = False, framework: Framework | None = None
) -> None:
    """Refuse a target that cannot be used, before any question is asked.

    The same checks run again once the target is claimed, when they are final.
    """
    parent = target.parent
    existing = next((path for path in (parent, *parent.parents) if path.exists()), None)
    if existing is not None and not existing.is_dir():
        raise DestinationError(f"--output-dir {existing} is a file, not a directory")
    if not parent.exists() and not parents:
        raise DestinationError(
            f"--output-dir {parent} does not exist; create it first, or pass --parents"
        )
    _check_target(target, force=force, framework=framework)


def _check_target(target: Path, *, force: bool, framework: Framework | None) -> None:
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise DestinationError(
            f"{target} is a symbolic link; scaffold writes only into a real directory "
            "(give the directory it points to, or remove the link)"
        )
    if not stat.S_ISDIR(mode):
        raise DestinationError(f"{target} exists and is a file; choose another NAME or remove it")
    with os.scandir(target) as entries:
        occupied = any(not is_staging(entry.name) for entry in entries)
    if occupied and not force:
        raise DestinationError(
            f"{target} already exists and is not empty; choose another NAME, or pass --force "
            "to add the project to it (your other files are kept)"
        )
    if force and framework is not None:
        _check_framework(target, framework)


def _recorded_framework(directory: Path) -> str | None:
    """The framework named in the directory's answers file, if it has a readable one."""
    from scaffold.bounded import read_mapping

    path = directory / ANSWERS_FILE
    if not path.is_file() or path.is_symlink():
        return None  # none, or a link: the plan refuses links anyway
    try:
        recorded = read_mapping(path, str(path)).get("framework")
    except DataFileError as error:
        raise DestinationError(
            f"cannot tell which framework {directory} was made for ({error}); "
            f"fix or remove {ANSWERS_FILE}"
        ) from error
    return str(recorded) if recorded is not None else None


def _check_framework(target: Path, framework: Framework) -> None:
    """Refuse to add a project of another framework on top of an existing one."""
    recorded = _recorded_framework(target)
    if recorded is not None and recorded != framework.value:
        labels = {info.framework.value: info.label for info in FRAMEWORKS.values()}
        raise DestinationError(
            f"{target} holds a {labels.get(recorded, recorded)} project (its {ANSWERS_FILE} "
            f"says framework: {recorded}); --force would mix {FRAMEWORKS[framework].label} "
            "files into it. Change an existing project with 'scaffold update' inside it, "
            "or generate into a fresh directory"
        )


@dataclass(frozen=True)
class Destination:
    """Where a plan's project goes, and how: the file switches of ``scaffold new``."""

    #: The parent directory; the project is ``output_dir / plan.name``.
    output_dir: Path = Path()
    #: Add to an existing non-empty directory (``--force``).
    force: bool = False
    #: Create ``output_dir`` and its missing parents (``--parents``).
    parents: bool = False
    keep_on_failure: bool = False
    #: Create a git repository with a first commit.
    git: bool = True

    def target(self, plan: ProjectPlan) -> Path:
        """The directory the project ends up in."""
        return self.output_dir / plan.name


def _destination(output_dir: Path | str, **switches: bool) -> Destination:
    if not isinstance(output_dir, (str, os.PathLike)):
        raise UsageError(f"the output directory must be a path, not {output_dir!r}")
    return Destination(Path(output_dir), **switches)


def _checked(plan: object) -> ProjectPlan:
    if not isinstance(plan, ProjectPlan):
        raise UsageError(f"expected a ProjectPlan (see scaffold.build_plan), not {plan!r}")
    plan.check()
    return plan


def preview(
    plan: ProjectPlan, output_dir: Path | str = ".", *, force: bool = False, parents: bool = False
) -> Plan:
    """What a real run would do with each file, found by rendering into a throwaway directory."""
    plan = _checked(plan)
    destination = _destination(output_dir, force=force, parents=parents)
    target = destination.target(plan)
    check_destination(target, force=force, parents=parents, framework=plan.framework)
    with tempfile.TemporaryDirectory(prefix="scaffold-pretend-") as scratch:
        staged = Path(scratch) / plan.name
        project.render(plan, staged)
        project.write_env_file(staged, plan)
        if not target.is_dir():
            return Plan(entries=[Entry(name, Status.CREATE) for name in list_files(staged)])
        return plan_moves(staged, target)


def create_project(
    plan: ProjectPlan,
    output_dir: Path | str = ".",
    *,
    force: bool = False,
    git: bool = True,
    keep_on_failure: bool = False,
    parents: bool = False,
    steps: Steps | None = None,
) -> ProjectResult:
    """Make the project of ``plan`` in ``output_dir / plan.name``, all or nothing.

    The switches are those of ``scaffold new`` (``--force``, ``--no-git``,
    ``--keep-on-failure``, ``--parents``); ``steps`` shows progress (none without).
    """
    plan = _checked(plan)
    destination = _destination(
        output_dir, force=force, git=git, keep_on_failure=keep_on_failure, parents=parents
    )
    target = destination.target(plan)
    title = f"Rendering the {FRAMEWORKS[plan.framework].label} template"
    with _claim(plan, destination) as staging:
        staged = staging / plan.name
        with steps.step(title) if steps else contextlib.nullcontext():
            project.render(plan, staged)
        project.write_env_file(staged, plan)
        files = list_files(staged)
        note = init_repository(staged, plan, target) if git else "Skipped git init (--no-git)."
        moves = plan_moves(staged, target)
        moves.check(target)
        apply_plan(moves, staged, target, staging / REPLACED_DIR)
    notes = [note]
    notes += [
        f"Kept your existing {e.path} (not overwritten)."
        for e in moves.entries
        if e.status is Status.KEPT
    ]
    if replaced := sorted(str(path) for path in moves.replaces):
        notes.append(
            f"Replaced {len(replaced)} committed files (git checkout brings them back): "
            f"{', '.join(replaced)}."
        )
    own_repository = Path(GIT_DIR) in moves.moves
    return ProjectResult(target.absolute(), files, notes, own_repository)


def commit_file(result: ProjectResult, plan: ProjectPlan, name: str, message: str) -> bool:
    """Commit ``name`` in the repository this run created; False when there is none.

    A repository that was already there is the user's: nothing is committed in it.
    """
    if not result.own_repository or shutil.which("git") is None:
        return False
    identity = commit_identity(plan.options)
    for args in (["add", "--", name], [*identity, "commit", "-q", "-m", message, "--", name]):
        if (done := _git(result.path, *args, check=False)).returncode:
            raise GitError(f"git could not commit {name} ({last_line(done)}); commit it yourself")
    return True


@contextlib.contextmanager
def _claim(plan: ProjectPlan, destination: Destination) -> Iterator[Path]:
    """Hold the target for this run and yield a fresh staging directory inside it.

    On any failure (or interruption) the staging directory goes, and so do the
    target and the parents this run created, unless the partial project is
    kept (``--keep-on-failure``, or a move that could not be undone).
    """
    target = destination.target(plan)
    created_parents: list[Path] = []
    created = False
    lock: int | None = None
    staging: Path | None = None
    try:
        # A signal here would strike between a step and the note of it, so it waits.
        with interrupts.deferred():
            if destination.parents:
                _make_parents(destination.output_dir, created_parents)
            try:
                target.mkdir()
                created = True
            except FileExistsError:
                pass
            lock = _lock(target)
            staging = Path(
                tempfile.mkdtemp(prefix=STAGING_PREFIX, suffix=STAGING_SUFFIX, dir=target)
            )
            # Holding our staging directory, the target can no longer be renamed over:
            # check that it is still the directory we locked, then check it for real.
            if not os.path.samestat(os.fstat(lock), target.lstat()):
                raise TargetBusyError(f"{target} was replaced while scaffold was claiming it")
            _check_target(target, force=destination.force, framework=plan.framework)
            _remove_stale_staging(target, keep=staging)
        yield staging
        with interrupts.deferred():
            _discard(staging, None)
    except BaseException as error:
        with interrupts.deferred():
            # An interruption is no failure to debug: it cleans up even with --keep-on-failure.
            wanted = destination.keep_on_failure and not isinstance(error, KeyboardInterrupt)
            kept = staging is not None and (wanted or isinstance(error, PartialOutputKept))
            if not kept:
                _discard(staging, target if created and lock is not None else None)
                for parent in reversed(created_parents):
                    with contextlib.suppress(OSError):
                        parent.rmdir()
        if kept and not isinstance(error, PartialOutputKept):
            raise PartialOutputKept(
                f"{_describe(error)}; the partial project is kept in "
                f"{(staging / plan.name).absolute()}"  # type: ignore[operator]
            ) from error
        if isinstance(error, OSError) and not isinstance(error, ScaffoldError):
            raise DestinationError(f"cannot write the project: {_describe(error)}") from error
        raise
    finally:
        _release(lock)


def _discard(staging: Path | None, created_target: Path | None) -> None:
    """Remove the staging directory, and the target when this run created it."""
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    if created_target is not None:
        with contextlib.suppress(OSError):
            created_target.rmdir()


def _make_parents(directory: Path, created: list[Path]) -> None:
    """Create ``directory`` and its missing parents, adding each one made to ``created``."""
    missing = [path for path in (directory, *directory.parents) if not path.exists()]
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue  # another run made it meanwhile; it is not ours to remove
        created.append(path)


def _lock(target: Path) -> int:
    """Open ``target`` without following a link and lock it; another run holding it is refused."""
    from scaffold.locks import lock_directory

    busy = f"another scaffold run is writing into {target}; wait for it, or choose another NAME"
    try:
        return lock_directory(target, busy)
    except TargetBusyError:
        raise
    except FileNotFoundError as error:
        raise TargetBusyError(
            f"{target} disappeared while scaffold was claiming it; run again"
        ) from error
    except OSError:
        _check_target(target, force=True, framework=None)  # explains a link or a file
        raise


def _release(lock: int | None) -> None:
    if lock is not None:
        os.close(lock)  # closing the descriptor releases the lock


def _remove_stale_staging(target: Path, keep: Path) -> None:
    """Remove staging directories a killed run left; with the lock held, no live run owns them."""
    for entry in os.scandir(target):
        if (
            is_staging(entry.name)
            and entry.name != keep.name
            and entry.is_dir(follow_symlinks=False)
        ):
            shutil.rmtree(entry.path, ignore_errors=True)


def _describe(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}"
    return str(error) or type(error).__name__


def init_repository(staged: Path, plan: ProjectPlan, target: Path) -> str:
    """Create a git repository with a first commit in ``staged``; a note saying what happened.

    A git that fails here is an error: the project is not moved into place
    without the commit that ``--force`` and ``git checkout`` rely on later.
    """
    if shutil.which("git") is None:
        return "git was not found, so no repository was created; run 'git init' later."
    inside = _git(target, "rev-parse", "--is-inside-work-tree", check=False)
    if inside.returncode == 0 and inside.stdout.strip() == "true":
        return "The target is inside an existing git repository; skipped git init."
    identity = commit_identity(plan.options)
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        [*identity, "commit", "-q", "-m", "Initial commit from scaffold"],
    ):
        if (result := _git(staged, *args, check=False)).returncode:
            raise GitError(
                f"git could not make the first commit ({last_line(result)}); nothing was "
                "written. Fix git, or pass --no-git and commit the files yourself"
            )
    return "Created a git repository with a first commit."


def _git(
    directory: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Git in ``directory``, its paths taken literally."""
    return run_git(args, cwd=directory, env=LITERAL_PATHS, check=check, stdin=stdin)


def plan_moves(staged: Path, target: Path) -> Plan:
    """Plan moving the project in ``staged`` into the existing directory ``target``.

    Read-only. A directory the target lacks moves in one rename; one it has is
    entered, never through a symbolic link and never onto another file system.
    A file that differs is replaced only if git holds it unchanged.
    """
    plan = Plan()
    device = target.lstat().st_dev
    differing: list[Path] = []
    pending: list[Path] = [Path()]
    while pending:
        directory = pending.pop()
        for source in sorted(os.scandir(staged / directory), key=lambda entry: entry.name):
            relative = directory / source.name
            try:
                existing: os.stat_result | None = (target / relative).lstat()
            except FileNotFoundError:
                existing = None
            is_directory = source.is_dir(follow_symlinks=False)
            if relative == Path(GIT_DIR):  # a new repository: moved whole, its insides not listed
                if existing is None:
                    plan.moves.append(relative)
                else:
                    plan.entries.append(
                        Entry(GIT_DIR, Status.CLASH, "a repository is already there")
                    )
            elif existing is None:
                plan.moves.append(relative)
                created = list_files(staged / relative) if is_directory else [""]
                plan.entries += [Entry(str(relative / name), Status.CREATE) for name in created]
            elif relative == Path(ENV_FILE):
                plan.entries.append(Entry(ENV_FILE, Status.KEPT))  # file or link, dangling or not
            elif reason := _clash(existing, is_directory, device):
                plan.entries.append(Entry(str(relative), Status.CLASH, reason))
            elif is_directory:
                pending.append(relative)
            elif filecmp.cmp(source.path, target / relative, shallow=False):
                plan.entries.append(Entry(str(relative), Status.IDENTICAL))
            else:
                differing.append(relative)
    restorable = _restorable_by_git(target, differing)
    for relative in differing:
        if relative in restorable:
            plan.moves.append(relative)
            plan.replaces.add(relative)
            plan.entries.append(Entry(str(relative), Status.OVERWRITE))
        else:
            plan.entries.append(
                Entry(str(relative), Status.CLASH, "differs and is not committed unchanged in git")
            )
    plan.entries.sort(key=lambda entry: entry.path)
    # The repository moves last, so that git never sees the files as deleted on the way.
    plan.moves.sort(key=lambda path: (path == Path(GIT_DIR), str(path)))
    return plan


def _clash(existing: os.stat_result, wants_directory: bool, device: int) -> str | None:
    """Why an existing path cannot take what the project puts there, or None when it can."""
    mode = existing.st_mode
    if stat.S_ISLNK(mode):
        return "a symbolic link, which scaffold never follows or replaces"
    if wants_directory and not stat.S_ISDIR(mode):
        return "a file where the project needs a directory"
    if not wants_directory and stat.S_ISDIR(mode):
        return "a directory where the project writes a file"
    if not wants_directory and not stat.S_ISREG(mode):
        return "a special file (device, socket or pipe)"
    if existing.st_dev != device:
        return "on another file system, where files cannot be moved in one step"
    return None


def _restorable_by_git(target: Path, paths: list[Path]) -> set[Path]:
    """The paths whose content is exactly what HEAD holds, so ``git checkout`` restores them."""
    if shutil.which("git") is None or not paths:
        return set()
    listing = _git(target, "ls-tree", "-r", "-z", "HEAD", "--", *map(str, paths), check=False)
    if listing.returncode != 0:
        return set()  # not a repository, or no commit yet
    committed: dict[Path, str] = {}
    for record in filter(None, listing.stdout.split("\0")):
        meta, _, name = record.partition("\t")
        mode, kind, blob = meta.split()
        if kind == "blob" and mode != "120000":  # not a link
            committed[Path(name)] = blob
    if not committed:
        return set()
    names = "\n".join(str((target / path).absolute()) for path in committed)
    hashed = _git(target, "hash-object", "--stdin-paths", stdin=names, check=False)
    if hashed.returncode != 0:
        return set()
    return {
        path
        for path, current in zip(committed, hashed.stdout.split(), strict=True)
        if current == committed[path]
    }


def apply_plan(plan: Plan, staged: Path, target: Path, replaced: Path) -> None:
    """Make every planned move; if one fails, undo the ones made, newest first."""
    journal: list[tuple[Path, Path]] = []
    try:
        for relative in plan.moves:
            destination = target / relative
            if relative in plan.replaces:
                backup = replaced / relative
                backup.parent.mkdir(parents=True, exist_ok=True)
                _move(destination, backup, journal)
            _move(staged / relative, destination, journal)
    except BaseException as error:
        with interrupts.deferred():
            stuck = _undo(journal)
        if stuck:
            raise PartialOutputKept(
                f"moving the project into {target} failed ({_describe(error)}) and undoing "
                f"it failed for {', '.join(stuck)}; the rest of the project is in {staged}"
            ) from error
        raise


def _move(origin: Path, destination: Path, journal: list[tuple[Path, Path]]) -> None:
    # Noted before it happens: an interruption between the two cannot hide a move from _undo.
    journal.append((origin, destination))
    origin.rename(destination)


def _undo(journal: list[tuple[Path, Path]]) -> list[str]:
    """Reverse the moves of ``journal`` that happened, newest first; return those that failed."""
    stuck = []
    for origin, moved_to in reversed(journal):
        if os.path.lexists(origin) or not os.path.lexists(moved_to):
            continue  # this move never happened
        try:
            moved_to.rename(origin)
        except OSError:
            stuck.append(str(moved_to))
    return stuck
