"""A render worker: a warm process that renders one project per line of JSON read on stdin.

``scaffold serve`` keeps a few of these running (see :mod:`scaffold.web.pool`).
Each has paid for its imports and a first render before it says it is ready,
so a request costs only the render itself; a worker that runs past its time
limit is killed by the server without disturbing the others. Replies go to a
private copy of stdout, so nothing printed by a library can corrupt them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from scaffold.errors import ScaffoldError
from scaffold.frameworks import Framework
from scaffold.project import ProjectRequest, list_files, render
from scaffold.web.archive import write_archive

#: Name of the archive file written next to the rendered project.
ARCHIVE_STEM = "starter"


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Render ``job`` into its directory; list the files, and archive or read them as asked."""
    directory = Path(job["directory"])
    name = str(job["name"])
    project = directory / name
    request = ProjectRequest(
        name=name, framework=Framework(job["framework"]), options=dict(job["options"]), git=False
    )
    render(request, project)
    files = list_files(project)
    reply: dict[str, Any] = {"files": [[path, (project / path).stat().st_size] for path in files]}
    if archive_format := job.get("archive"):
        archive = directory / f"{ARCHIVE_STEM}.{archive_format}"
        write_archive(project, name, archive, archive_format)
        reply["archive"] = str(archive)
    if job.get("contents"):
        reply["contents"] = {path: _text(project / path) for path in files}
    return reply


def _text(path: Path) -> str | None:
    """The file's text, or None for a file that is not UTF-8 text."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def warm_up(scratch: Path, framework: Framework) -> None:
    """Render a default project once, so the first request finds everything imported and loaded."""
    from scaffold import options

    directory = Path(tempfile.mkdtemp(prefix="warm-up-", dir=scratch))
    try:
        resolved = options.resolve(framework.value, "warm-up", {})
        run_job(
            {"directory": directory, "name": "warm-up", "framework": framework, "options": resolved}
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def serve_jobs(scratch: Path, replies: IO[str]) -> None:
    """Answer jobs until stdin closes: one JSON line in, one JSON line out."""
    warm_up(scratch, Framework.FLASK)
    _reply(replies, {"ready": True, "pid": os.getpid()})
    for line in sys.stdin:
        try:
            reply = run_job(json.loads(line))
        except (ScaffoldError, OSError) as error:
            reply = {"error": str(error)}
        _reply(replies, reply)


def _reply(replies: IO[str], message: dict[str, Any]) -> None:
    replies.write(json.dumps(message) + "\n")
    replies.flush()


def main() -> None:
    """Entry point of ``python -m scaffold.web.worker SCRATCH_DIR``."""
    # Ctrl-C in a terminal reaches the whole process group; the server stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve_jobs(Path(sys.argv[1]), replies)


if __name__ == "__main__":
    main()
