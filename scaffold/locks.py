"""An advisory lock on a directory, so that one scaffold run at a time writes into it.

``scaffold new`` holds it on its target and ``scaffold update`` on the project,
so two runs of either (or one of each) never write into one directory at once.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from scaffold.errors import TargetBusyError


def lock_directory(directory: Path, busy: str) -> int:
    """Open ``directory`` without following a link and lock it; the open descriptor.

    Another run holding the lock raises :class:`TargetBusyError` with the
    message ``busy``; any other failure to open is the caller's ``OSError`` to
    explain. Closing the descriptor releases the lock. On systems without
    ``fcntl`` (Windows) the directory is opened but not locked.
    """
    descriptor = os.open(
        directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    )
    try:
        import fcntl
    except ImportError:
        return descriptor
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        os.close(descriptor)
        raise TargetBusyError(busy) from error
    return descriptor


@contextlib.contextmanager
def holding(directory: Path, busy: str) -> Iterator[None]:
    """Hold the lock on ``directory`` while the block runs (see :func:`lock_directory`)."""
    descriptor = lock_directory(directory, busy)
    try:
        yield
    finally:
        os.close(descriptor)
