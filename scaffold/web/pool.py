"""A fixed number of warm render processes, a bounded queue in front of them, a time limit each.

Renders run in worker processes (:mod:`scaffold.web.worker`), never in the
server, so a render that runs past its limit can really be stopped: its worker
is killed and replaced while the others carry on. Every render gets a private
directory under the server's scratch directory, removed when the render ends,
however it ends.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import math
import shutil
import sys
import tempfile
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffold.errors import BusyError, TemplateError
from scaffold.web.limits import Limits

if TYPE_CHECKING:
    from scaffold.plan import ProjectPlan

log = logging.getLogger("scaffold.web")

#: How long a new worker may take to import everything and render its warm-up project.
START_TIMEOUT = 120.0
#: A worker retires after this many renders, handing its memory back; a fresh one replaces it.
JOBS_PER_WORKER = 500
#: Replies carry file lists and, for previews, file contents: allow long lines.
REPLY_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class RenderResult:
    """The files of a rendered project (path and size), and the archive or texts asked for."""

    files: tuple[tuple[str, int], ...]
    archive: bytes | None = None
    contents: Mapping[str, str | None] = field(default_factory=dict)


class _Worker:
    """One render process and its pipes."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        requests: asyncio.StreamWriter,
        replies: asyncio.StreamReader,
    ) -> None:
        self.process = process
        self.requests = requests
        self.replies = replies
        self.jobs = 0
        #: The template version the worker renders, as it said when it was ready.
        self.template_version = ""

    @property
    def alive(self) -> bool:
        """False once the process has ended, whoever ended it."""
        return self.process.returncode is None

    @classmethod
    async def start(cls, scratch: Path) -> _Worker | str:
        """A worker that has warmed up and said so, or why it could not (after logging it)."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "scaffold.web.worker", str(scratch),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=REPLY_LIMIT,
        )  # fmt: skip
        if process.stdin is None or process.stdout is None:  # pragma: no cover (PIPE given)
            raise OSError("the render worker has no pipes")
        worker = cls(process, process.stdin, process.stdout)
        try:
            ready = await worker.receive(START_TIMEOUT)
        except BaseException:
            await worker.kill()
            raise
        if ready is None or not ready.get("ready"):
            await worker.kill()
            reason = str(ready.get("error")) if ready else f"exit code {worker.process.returncode}"
            log.error("a render worker did not start (%s)", reason)
            return reason
        worker.template_version = str(ready["template_version"])
        return worker

    async def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next reply; None when the worker ended; TimeoutError after ``timeout`` seconds."""
        line = await asyncio.wait_for(self.replies.readline(), timeout)
        if not line:
            return None
        reply: dict[str, Any] = json.loads(line)
        return reply

    async def run(self, job: Mapping[str, Any], timeout: float) -> dict[str, Any] | None:
        """Send ``job`` and wait for the reply; None when the worker has gone."""
        message = dict(job)
        self.jobs += 1
        try:
            self.requests.write(json.dumps(message).encode() + b"\n")
            await self.requests.drain()
        except (BrokenPipeError, ConnectionResetError):
            return None
        return await self.receive(timeout)

    async def kill(self) -> None:
        """Stop the process at once and wait until it is gone (so it writes nothing more)."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        await self.process.wait()

    async def retire(self) -> None:
        """Let the process finish: closing its input ends its job loop."""
        self.requests.close()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            await self.kill()


class RenderPool:
    """Warm render workers behind a bounded queue; use :meth:`render` from the event loop."""

    def __init__(self, limits: Limits, scratch: Path) -> None:
        self.limits = limits
        self.scratch = scratch
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: set[_Worker] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._waiting = 0
        self._rendering = 0
        #: Why the last worker that tried to start could not; None once one has started.
        self.start_failure: str | None = None
        #: The template version the workers render; None until one has started.
        self.template_version: str | None = None

    def start(self) -> None:
        """Start every worker in the background; requests that come first wait in the queue."""
        for _ in range(self.limits.renders):
            self._add_worker()

    def _add_worker(self, delay: float = 0.0) -> None:
        self._in_background(self._start_worker(delay))

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as a task the pool keeps a reference to, and cancels when it closes."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _start_worker(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            worker = await _Worker.start(self.scratch)
        except (TimeoutError, OSError, ValueError) as error:
            log.error("a render worker did not start (%s)", error)
            worker = str(error) or type(error).__name__
        if isinstance(worker, str):
            self.start_failure = worker
            retry = min(30.0, max(1.0, delay * 2))
            log.error("starting another render worker in %.0f s", retry)
            self._add_worker(retry)
            return
        self.start_failure = None
        self.template_version = worker.template_version
        self._workers.add(worker)
        self._idle.put_nowait(worker)
        self._in_background(self._watch(worker))

    async def _watch(self, worker: _Worker) -> None:
        """Replace a worker whose process ends while the pool counts on it (killed, crashed)."""
        code = await worker.process.wait()
        if self._forget(worker):
            log.error("a render worker ended unexpectedly (exit code %s); starting another", code)

    def _forget(self, worker: _Worker) -> bool:
        """Stop counting on ``worker`` and start its replacement; False if already done."""
        if worker not in self._workers:
            return False
        self._workers.discard(worker)
        self._add_worker()
        return True

    async def render(
        self, plan: ProjectPlan, *, archive: str | None = None, contents: bool = False
    ) -> RenderResult:
        """Render ``plan`` in a free worker, in a private directory that is always removed.

        ``archive`` ("zip", "tar.gz") brings the project back as an archive,
        ``contents`` the text of every file (for the page's file viewer).
        """
        worker = await self._acquire()
        directory: Path | None = None
        healthy = False
        self._rendering += 1
        try:
            directory = Path(tempfile.mkdtemp(prefix="render-", dir=self.scratch))
            job = {
                "directory": str(directory),
                "plan": plan.to_json(),
                "archive": archive,
                "contents": contents,
            }
            reply = await worker.run(job, self.limits.timeout)
            if reply is None:
                code = await worker.process.wait()
                raise TemplateError(f"the render stopped unexpectedly (exit code {code})")
            healthy = True
            if "error" in reply:
                raise TemplateError(str(reply["error"]))
            packed = base64.b64decode(reply["archive"]) if reply.get("archive") else None
            return RenderResult(
                files=tuple((str(path), int(size)) for path, size in reply["files"]),
                archive=packed,
                contents=reply.get("contents", {}),
            )
        except TimeoutError as error:
            seconds = f"{self.limits.timeout:g}"
            raise BusyError(
                f"the render took longer than {seconds} s and was stopped; try again later",
                retry_after=math.ceil(self.limits.timeout),
            ) from error
        finally:
            self._rendering -= 1
            await self._release(worker, healthy=healthy)
            if directory is not None:
                # In a thread: removing a project's files holds up the event loop, and with it
                # every other request, for as long as the disk takes.
                await asyncio.to_thread(shutil.rmtree, directory, ignore_errors=True)

    async def _acquire(self) -> _Worker:
        """A live idle worker; one that died while idle is skipped (its watcher replaces it)."""
        while True:
            worker = await self._next_idle()
            if worker.alive:
                return worker
            self._forget(worker)

    async def _next_idle(self) -> _Worker:
        # Check and take in one step: wait_for() below runs get() in a task of its own, so
        # "idle is not empty" could be true for several requests that then all wait.
        if not self._idle.empty():
            return self._idle.get_nowait()
        if self._waiting >= self.limits.queue:
            raise BusyError(
                f"all {self.limits.renders} renders are busy and {self._waiting} requests "
                "are waiting; try again shortly",
                retry_after=1,
            )
        self._waiting += 1
        try:
            return await asyncio.wait_for(self._idle.get(), self.limits.timeout)
        except TimeoutError as error:
            raise BusyError(
                f"no render was free within {self.limits.timeout:g} s; try again shortly",
                retry_after=1,
            ) from error
        finally:
            self._waiting -= 1

    async def _release(self, worker: _Worker, *, healthy: bool) -> None:
        """Put the worker back, or stop it (busy past its limit, dead, cancelled) and replace it."""
        if healthy and worker.alive and worker.jobs < JOBS_PER_WORKER:
            self._idle.put_nowait(worker)
            return
        self._forget(worker)
        if healthy:
            self._in_background(worker.retire())
        else:
            await worker.kill()

    def status(self) -> dict[str, int]:
        """Workers alive, renders running and requests waiting, for /health."""
        return {
            "workers": sum(worker.alive for worker in self._workers),
            "rendering": self._rendering,
            "waiting": self._waiting,
        }

    async def close(self) -> None:
        """Stop every worker."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await asyncio.gather(*(worker.retire() for worker in self._workers))
        self._workers.clear()
