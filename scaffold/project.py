"""Render a project with copier, safely: staged next to the target, then moved into place.

Nothing is written at the target until the whole project (files, ``.env``, git
repository) is complete in a staging directory beside it. A failure or Ctrl-C
before that point removes the staging directory and leaves the target as it
was; ``--force`` into an existing directory keeps files the template does not
produce and never replaces an existing ``.env``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from scaffold.errors import DestinationError, PartialOutputKept, ScaffoldError, TemplateError
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.options import commit_identity, templates_root
from scaffold.progress import Steps
from scaffold.questions import Value

if TYPE_CHECKING:
    from scaffold.recommender import Recommendation

ENV_FILE = ".env"
GIT_TIMEOUT = 120


@dataclass(frozen=True)
class ProjectRequest:
    """What to generate and where."""

    name: str
    framework: Framework
    #: Answers to every template option except the framework and the project name.
    options: Mapping[str, Value]
    output_dir: Path = Path()
    force: bool = False
    git: bool = True
    keep_on_failure: bool = False
    #: The recommendation the framework was chosen against; None when it was given directly.
    recommendation: Recommendation | None = None

    @property
    def target(self) -> Path:
        """The directory the project ends up in."""
        return self.output_dir / self.name

    @property
    def copier_data(self) -> dict[str, Value]:
        """The complete answers handed to copier, so it never needs to ask."""
        return {"framework": self.framework.value, "project_name": self.name, **self.options}


@dataclass
class ProjectResult:
    """Where the project went and what happened on the way."""

    path: Path
    files: list[str]
    notes: list[str] = field(default_factory=list)


def check_destination(target: Path, *, force: bool) -> None:
    """Refuse a target that cannot be used, before any question is asked."""
    parent = target.parent
    if parent.exists() and not parent.is_dir():
        raise DestinationError(f"--output-dir {parent} is a file, not a directory")
    if not parent.exists():
        raise DestinationError(f"--output-dir {parent} does not exist; create it first")
    if target.exists() and not target.is_dir():
        raise DestinationError(f"{target} exists and is a file; choose another NAME or remove it")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise DestinationError(
            f"{target} already exists and is not empty; choose another NAME, or pass --force "
            "to add the project to it (your other files are kept)"
        )


def render(request: ProjectRequest, destination: Path) -> None:
    """Render the installed templates into ``destination``, with the framework decision recorded.

    copier renders the installed template folder, which holds the same files as
    the newest commit of the template history, and the answers file then gets
    the portable source and version (``scaffold.versions.source``); rendering
    from the folder is what keeps ``scaffold new`` as fast as ``copier copy``.
    """
    from copier import run_copy

    try:
        run_copy(
            str(templates_root()),
            destination,
            data=request.copier_data,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=False,
            cleanup_on_error=False,
        )
    except OSError:
        raise
    except Exception as error:  # copier and Jinja raise many types; all mean the render failed
        raise TemplateError(
            f"rendering the {request.framework.value} template failed: {error}"
        ) from error
    write_records(request, destination)


def write_records(request: ProjectRequest, project: Path) -> None:
    """Record the template source and version, the framework decision and the criteria answers."""
    from scaffold import __version__
    from scaffold.decision import (
        CRITERIA_FILE,
        RECORD_FILE,
        Decision,
        RecordContext,
        criteria_answers,
        decision_record,
    )
    from scaffold.versions.source import ANSWERS_FILE, stamp_answers

    stamp_answers(project / ANSWERS_FILE, __version__)
    decision = Decision(request.framework, request.recommendation)
    context = RecordContext(request.name, date.today().isoformat(), __version__)
    record = project / RECORD_FILE
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(decision_record(decision, context), encoding="utf-8")
    (project / CRITERIA_FILE).write_text(criteria_answers(decision), encoding="utf-8")


def list_files(root: Path) -> list[str]:
    """Every file under ``root``, relative and sorted, directories left out."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if not path.is_dir() and ".git" not in path.relative_to(root).parts
    )


def preview(request: ProjectRequest) -> list[str]:
    """The files a real run would write, found by rendering into a throwaway directory."""
    check_destination(request.target, force=request.force)
    with tempfile.TemporaryDirectory(prefix="scaffold-pretend-") as scratch:
        destination = Path(scratch) / request.name
        render(request, destination)
        return sorted([*list_files(destination), ENV_FILE])


def create_project(request: ProjectRequest, steps: Steps | None = None) -> ProjectResult:
    """Generate the project of ``request`` at ``request.target``, all or nothing."""
    steps = steps or Steps()
    check_destination(request.target, force=request.force)
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=f".{request.name}-", suffix=".partial", dir=request.output_dir)
        )
    except OSError as error:
        raise DestinationError(f"cannot write in {request.output_dir}: {error.strerror}") from error
    staged = staging / request.name
    notes: list[str] = []
    try:
        with steps.step(f"Rendering the {FRAMEWORKS[request.framework].label} template"):
            render(request, staged)
        write_env_file(staged, request)
        files = list_files(staged)
        if request.git:
            notes.append(init_repository(staged, request))
        else:
            notes.append("Skipped git init (--no-git).")
        kept = move_into_place(staged, request.target)
        notes += [f"Kept your existing {name} (not overwritten)." for name in kept]
    except BaseException as error:
        if request.keep_on_failure:
            raise PartialOutputKept(
                f"{_describe(error)}; the partial project is kept in {staged.absolute()}"
            ) from error
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError) and not isinstance(error, ScaffoldError):
            raise DestinationError(f"cannot write the project: {_describe(error)}") from error
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return ProjectResult(request.target.absolute(), files, notes)


def _describe(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}"
    return str(error) or type(error).__name__


def write_env_file(project: Path, request: ProjectRequest) -> None:
    """Write the gitignored development ``.env`` with a fresh secret, readable by its owner only."""
    info = FRAMEWORKS[request.framework]
    values = info.env_file(str(request.options["package_name"]), str(request.options["database"]))
    lines = [
        "# Development settings, written by scaffold. Never commit this file:",
        "# production values belong in the environment (see .env.example).",
        *(f"{key}={value}" for key, value in values.items()),
    ]
    path = project / ENV_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as env_file:
        env_file.write("\n".join(lines) + "\n")


def init_repository(project: Path, request: ProjectRequest) -> str:
    """Create a git repository with a first commit; return a note saying what happened."""
    git = shutil.which("git")
    if git is None:
        return "git was not found, so no repository was created; run 'git init' later."
    if _inside_work_tree(git, request.output_dir) or (request.target / ".git").exists():
        return "The target is inside an existing git repository; skipped git init."
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    identity = commit_identity(request.options)
    try:
        for args in (
            ["init", "-q"],
            ["add", "-A"],
            [*identity, "commit", "-q", "-m", "Initial commit from scaffold"],
        ):
            subprocess.run(
                [git, *args],
                cwd=project,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=GIT_TIMEOUT,
                check=True,
            )
    except subprocess.CalledProcessError as error:
        output = (error.stderr or error.stdout or "").strip().splitlines()
        reason = output[-1] if output else f"exit code {error.returncode}"
        return f"git could not make the first commit ({reason}); commit the files yourself."
    except subprocess.TimeoutExpired:
        return "git timed out; commit the files yourself."
    return "Created a git repository with a first commit."


def _inside_work_tree(git: str, directory: Path) -> bool:
    """True when ``directory`` is already inside a git work tree."""
    result = subprocess.run(
        [git, "rev-parse", "--is-inside-work-tree"],
        cwd=directory,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT,
        check=False,
    )
    return result.returncode == 0 and result.stdout.strip() == "true"


def move_into_place(staged: Path, target: Path) -> list[str]:
    """Move the finished project to ``target``; return the existing files that were kept.

    A new or empty target is replaced in one rename. Into a non-empty target
    (``--force``), files are moved one by one after checking that none would
    replace a directory or the other way round; an existing ``.env`` is kept.
    """
    if not target.exists() or not any(target.iterdir()):
        if target.exists():
            target.rmdir()
        staged.rename(target)
        return []
    moves: list[tuple[Path, Path]] = []
    kept: list[str] = []
    for source in sorted(staged.rglob("*")):
        relative = source.relative_to(staged)
        destination = target / relative
        if source.is_dir() and not source.is_symlink():
            if destination.exists() and not destination.is_dir():
                raise DestinationError(
                    f"{destination} is a file but the project needs a directory there"
                )
            continue
        if destination.is_dir():
            raise DestinationError(
                f"{destination} is a directory but the project writes a file there"
            )
        if relative == Path(ENV_FILE) and destination.exists():
            kept.append(ENV_FILE)
            continue
        moves.append((source, destination))
    for source, destination in moves:
        destination.parent.mkdir(parents=True, exist_ok=True)
        source.replace(destination)
    return kept
