"""How much ``scaffold serve`` takes on at once and keeps; light, so ``--help`` can show it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

#: Bytes of archives kept for answers asked again (64 MiB).
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
#: Room beside the render queue for requests that render nothing (the page's state, metadata).
CHEAP_REQUESTS = 64


def default_renders() -> int:
    """One render at a time per CPU, at most four: renders are CPU-bound."""
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class Limits:
    """How much rendering the server takes on at once, for how long, and what it keeps."""

    #: Renders running at the same time (one worker process each).
    renders: int = field(default_factory=default_renders)
    #: Requests that may wait for a free worker; one more gets 503.
    queue: int = 32
    #: Seconds a render may run, and a request may wait for a worker, before it gets 503.
    timeout: float = 30.0
    #: Seconds a client has to send a whole request (headers and body); then 408.
    request_timeout: float = 10.0
    #: Connections one client address may hold open at once; one more gets 503.
    per_client: int = 64
    #: Bytes of archives kept in memory for answers asked again; 0 keeps none.
    cache_bytes: int = DEFAULT_CACHE_BYTES

    @property
    def requests(self) -> int:
        """Requests handled at once (renders, their queue and room for cheap ones); more get 503."""
        return self.renders + self.queue + CHEAP_REQUESTS
