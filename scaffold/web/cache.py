"""Archives already made since the server started, kept by a digest of everything in them.

A download is a pure function of the project plan, the template version,
scaffold's own version (written into the decision record), the archive format
and the day (the decision record's date, and the date of every entry; see
:func:`scaffold.web.archive.pack`): the digest of those names the archive, is
its ``ETag``, and is the same on every replica. Nothing else goes in: the
render writes no secret (``.env`` is never part of a download).

The cache holds at most a configured number of bytes, drops the least recently
used archive first, keeps nothing larger than the whole bound, and renders a
missing archive once however many requests ask for it at the same time.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import date

from scaffold import __version__
from scaffold.plan import ProjectPlan


def archive_key(plan: ProjectPlan, template_version: str, archive_format: str, made: date) -> str:
    """The digest of everything an archive's bytes depend on (canonical JSON, SHA-256)."""
    identity = {
        "plan": plan.to_json(),
        "template": template_version,
        "scaffold": __version__,
        "format": archive_format,
        "date": made.isoformat(),
    }
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ArchiveCache:
    """Archives by key, at most ``limit`` bytes of them, least recently used dropped first.

    A ``limit`` of 0 keeps nothing: every request renders its own archive.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._rendering: dict[str, asyncio.Task[bytes]] = {}
        #: Requests answered from the cache, answered by another request's render, rendered.
        self.hits = 0
        self.shared = 0
        self.renders = 0

    async def get(self, key: str, make: Callable[[], Awaitable[bytes]]) -> bytes:
        """The archive named ``key``; ``make`` renders it when no one has or is rendering it."""
        if (kept := self._kept.get(key)) is not None:
            self._kept.move_to_end(key)
            self.hits += 1
            return kept
        if not self.limit:
            self.renders += 1
            return await make()
        if (running := self._rendering.get(key)) is not None:
            self.shared += 1
        else:
            self.renders += 1
            running = asyncio.create_task(self._render(key, make))
            running.add_done_callback(_retrieve)
            self._rendering[key] = running
        # The render is a task of its own: a request that goes away does not cancel the
        # render the others are waiting for.
        return await asyncio.shield(running)

    async def _render(self, key: str, make: Callable[[], Awaitable[bytes]]) -> bytes:
        try:
            archive = await make()
        finally:
            del self._rendering[key]
        self._keep(key, archive)
        return archive

    def _keep(self, key: str, archive: bytes) -> None:
        if len(archive) > self.limit:
            return
        self._kept[key] = archive
        self.size += len(archive)
        while self.size > self.limit:
            _key, dropped = self._kept.popitem(last=False)
            self.size -= len(dropped)

    def status(self) -> dict[str, int]:
        """What /health reports: archives and bytes kept, the bound, and how requests went."""
        return {
            "entries": len(self._kept),
            "bytes": self.size,
            "limit": self.limit,
            "hits": self.hits,
            "shared": self.shared,
            "renders": self.renders,
        }


def _retrieve(render: asyncio.Task[bytes]) -> None:
    """Take the render's error, if any: every request waiting for it may have gone away."""
    if not render.cancelled():
        render.exception()
