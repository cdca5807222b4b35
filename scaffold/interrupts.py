"""SIGINT, SIGTERM and SIGHUP stop scaffold the same clean way: as an :class:`Interrupted`.

Every clean-up path (the staging directory, a half-made ``.venv``, running
installers) already handles ``KeyboardInterrupt``; raising a subclass of it for
the other signals makes them clean up exactly as Ctrl-C does. Only the first
signal interrupts. A signal that arrives inside :func:`deferred` (a clean-up
that must finish) waits until the block ends, and later signals are ignored, so
a second Ctrl-C or a supervisor's repeated SIGTERM cannot cut a clean-up short.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import ClassVar

from scaffold.errors import Interrupted

HANDLED_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


class _State:
    """What the process-wide handler needs to know; signals are process-wide too."""

    armed = False
    deferring = 0
    received: int | None = None
    raised = False
    #: What ends the blocks that wait now (a prompt waiting for a key), innermost last.
    wakers: ClassVar[list[Callable[[], None]]] = []


_state = _State()


def _handle(number: int, _frame: FrameType | None) -> None:
    if number == getattr(signal, "SIGHUP", None):
        _silence_terminals()
    if _state.received is not None:
        return  # only the first signal interrupts; the clean-up it started must finish
    _state.received = number
    if _state.armed and not _state.deferring:
        _state.raised = True
        raise Interrupted(number)
    for wake in reversed(_state.wakers):
        wake()


def _silence_terminals() -> None:
    """After a hang-up the terminal is gone: send output to /dev/null instead of failing on it."""
    for descriptor in (1, 2):
        try:
            if os.isatty(descriptor):
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, descriptor)
                os.close(null)
        except OSError:
            continue


@contextmanager
def signals_interrupt(*, restore: bool = True) -> Iterator[None]:
    """While the block runs, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted`.

    A signal arriving once the command is over (while the final message is
    printed) is ignored. The previous handlers come back after the block,
    unless ``restore`` is false: the process ends with the block, so from then
    on the signals are ignored outright. Python puts the default handlers back
    as it shuts down, and a signal in that moment would otherwise kill the
    process and replace the command's exit code with its own. Outside the main
    thread Python cannot set handlers, so nothing changes there.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for name in HANDLED_SIGNALS:
        if (number := getattr(signal, name, None)) is not None:
            previous[number] = signal.signal(number, _handle)
    _state.armed, _state.deferring, _state.received, _state.raised = True, 0, None, False
    try:
        yield
    finally:
        _state.armed = False
        for number, handler in previous.items():
            signal.signal(number, handler if restore else signal.SIG_IGN)


def stop_interrupting() -> None:
    """From now on signals are ignored: the command is over, only its report is left to print."""
    _state.armed = False


def pending() -> bool:
    """Whether a signal arrived that has not interrupted yet (it waits for a block to end)."""
    return _state.armed and _state.received is not None and not _state.raised


@contextmanager
def deferred(wake: Callable[[], None] | None = None) -> Iterator[None]:
    """Finish the block even if a signal arrives; raise :class:`Interrupted` when it ends.

    A block that may wait for long (a prompt waiting for a key) passes ``wake``,
    which the signal calls to end the block sooner.
    """
    _state.deferring += 1
    if wake is not None:
        _state.wakers.append(wake)
    try:
        yield
    finally:
        if wake is not None:
            _state.wakers.remove(wake)
        _state.deferring -= 1
        if (
            not _state.deferring
            and _state.armed
            and _state.received is not None
            and not _state.raised
        ):
            _state.raised = True
            raise Interrupted(_state.received)
