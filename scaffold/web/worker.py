"""A render worker: a warm process that renders one project per line of JSON read on stdin.

``scaffold serve`` keeps a few of these running (see :mod:`scaffold.web.pool`).
Each has paid for its imports and a render of every framework before it says
it is ready, and keeps the templates it has compiled in memory, so a request
costs only the render itself; a worker that runs past its time limit is killed
by the server without disturbing the others. Replies go to a private copy of
stdout, so nothing printed by a library can corrupt them.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import sys
import tempfile
import weakref
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import CodeType
from typing import IO, TYPE_CHECKING, Any

from scaffold import template_cache
from scaffold.errors import ScaffoldError
from scaffold.frameworks import Framework
from scaffold.plan import ProjectPlan, build_plan
from scaffold.project import list_files, render
from scaffold.template_cache import COMPILE_SETTINGS
from scaffold.versions.source import installed_version
from scaffold.web.archive import pack

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.nodes import Template

#: Compiled templates a worker keeps: many times what the bundled template holds.
COMPILED_KEPT = 4096


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Render the job's plan into its directory; list the files, and archive or read them."""
    directory = Path(job["directory"])
    plan = ProjectPlan.from_json(job["plan"])
    name = plan.name
    project = directory / name
    render(plan, project)
    files = list_files(project)
    reply: dict[str, Any] = {"files": [[path, (project / path).stat().st_size] for path in files]}
    if archive_format := job.get("archive"):
        # Built in memory and sent on the reply line: no archive file to write and read back.
        packed = pack(project, name, archive_format, date.today())
        reply["archive"] = base64.b64encode(packed).decode("ascii")
    if job.get("contents"):
        reply["contents"] = {path: _text(project / path) for path in files}
    return reply


def _text(path: Path) -> str | None:
    """The file's text, or None for a file that is not UTF-8 text."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def _compile_key(environment: Environment) -> tuple[object, ...]:
    """Everything of ``environment`` that the code compiled for a template depends on."""
    autoescape = environment.autoescape
    return (
        type(environment),
        *(getattr(environment, setting) for setting in COMPILE_SETTINGS),
        tuple(sorted(environment.extensions)),
        frozenset(environment.filters),
        frozenset(environment.tests),
        environment.finalize is None,
        autoescape if isinstance(autoescape, bool) else id(autoescape),
    )


def keep_compiled_templates() -> None:
    """Compile each template once per worker instead of once per render.

    copier builds a new Jinja environment for every render, and Jinja keeps
    compiled templates per environment, so each render compiled every file
    anew: a third of a warm render's time. The compiled code depends only on
    the source and the environment's settings, the same for every render of
    the bundled template, so the worker keeps it under both (as Jinja's own
    bytecode caches do under the source alone).
    """
    import jinja2

    compile_anew: Callable[..., str | CodeType] = jinja2.Environment.compile
    kept: OrderedDict[tuple[object, ...], str | CodeType] = OrderedDict()
    # copier builds an environment whole and then only renders with it: its settings
    # are worked out once per environment, not at each of a render's thousands of compiles.
    settings: weakref.WeakKeyDictionary[Environment, tuple[object, ...]]
    settings = weakref.WeakKeyDictionary()

    def compile_once(
        self: Environment,
        source: str | Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> str | CodeType:
        if not isinstance(source, str):  # an already parsed template
            return compile_anew(self, source, name, filename, raw, defer_init)
        if (setting := settings.get(self)) is None:
            setting = settings[self] = _compile_key(self)
        key = (setting, source, name, filename, raw, defer_init)
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
        code = kept[key] = compile_anew(self, source, name, filename, raw, defer_init)
        if len(kept) > COMPILED_KEPT:
            kept.popitem(last=False)
        return code

    jinja2.Environment.compile = compile_once  # type: ignore[method-assign,assignment]


def warm_up(scratch: Path) -> None:
    """Render a default project of each framework, so no request pays for an import or a compile.

    The worker keeps compiled templates in memory only: what the warm-up leaves
    uncompiled, the first request of that framework would compile.
    """
    for framework in Framework:
        directory = Path(tempfile.mkdtemp(prefix="warm-up-", dir=scratch))
        try:
            plan = build_plan("warm-up", {"framework": framework})
            run_job({"directory": directory, "plan": plan.to_json()})
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def serve_jobs(scratch: Path, replies: IO[str]) -> None:
    """Answer jobs until stdin closes: one JSON line in, one JSON line out."""
    keep_compiled_templates()
    try:
        warm_up(scratch)
    except (ScaffoldError, OSError) as error:
        # A full or unwritable scratch directory, say: the server reports why on /health.
        _reply(replies, {"ready": False, "error": _describe(error)})
        return
    # The version every archive of this worker records: the server's cache keys by it.
    ready = {"ready": True, "pid": os.getpid(), "template_version": installed_version()}
    _reply(replies, ready)
    for line in sys.stdin:
        try:
            reply = run_job(json.loads(line))
        except (ScaffoldError, OSError) as error:
            reply = {"error": str(error)}
        _reply(replies, reply)


def _describe(error: BaseException) -> str:
    """One line for the server's log and /health: the OS error's words, or the error itself."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _reply(replies: IO[str], message: dict[str, Any]) -> None:
    replies.write(json.dumps(message) + "\n")
    replies.flush()


def main() -> None:
    """Entry point of ``python -m scaffold.web.worker SCRATCH_DIR``."""
    # The worker keeps compiled templates in memory (keep_compiled_templates); the file
    # cache of the command line would only add reading and unmarshalling it to every render.
    os.environ[template_cache.ENV_VARIABLE] = ""
    # Ctrl-C and a terminal's hang-up reach the whole process group; the server stops its
    # workers itself, after the requests they are serving.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    # What libraries print goes to the server's stderr, or nowhere when it has none.
    log = sys.stderr.fileno() if sys.stderr is not None else os.open(os.devnull, os.O_WRONLY)
    os.dup2(log, sys.stdout.fileno())
    serve_jobs(Path(sys.argv[1]), replies)


if __name__ == "__main__":
    main()
