"""What an answer changed through ``scaffold update -d KEY=VALUE`` means outside the templates.

The merge rewrites the files the templates make; the development ``.env`` is the
user's and no template makes it. An answer such as ``database`` changes what
``scaffold new`` would have written there, so the lines that still hold the old
answer's value are brought to the new one, the lines the user edited are named,
and the next steps ``scaffold new`` prints for the new answers follow.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scaffold import bounded
from scaffold.errors import UpdateError
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.questions import Value

ENV_FILE = ".env"


@dataclass(frozen=True)
class AnswerChange:
    """One answer that differs after the update."""

    key: str
    before: Value
    after: Value


@dataclass(frozen=True)
class EnvLine:
    """A ``.env`` variable whose development value follows from the changed answers."""

    key: str
    #: What scaffold new wrote for the old answers, and would write for the new ones (None: none).
    before: str | None
    after: str | None
    #: ``updated`` by scaffold; ``edited``: the user's own value, left alone; ``missing``: no .env;
    #: ``unreadable``: a .env scaffold cannot read (too large, not UTF-8, not a file), left alone.
    state: Literal["updated", "edited", "missing", "unreadable"]
    #: Why the .env could not be read, for ``unreadable``.
    reason: str = ""


def changed_answers(before: Mapping[str, Value], after: Mapping[str, Value]) -> list[AnswerChange]:
    """The answers both versions have that differ, in the order of ``after``."""
    return [
        AnswerChange(key, before[key], value)
        for key, value in after.items()
        if not key.startswith("_") and key in before and before[key] != value
    ]


def _development_env(framework: Framework, answers: Mapping[str, Value]) -> dict[str, str]:
    """The values ``scaffold new`` writes to ``.env`` for ``answers``, less the random secret."""
    info = FRAMEWORKS[framework]
    values = info.env_file(str(answers["package_name"]), str(answers["database"]))
    del values[info.secret_variable]
    return values


def update_env_file(
    project: Path,
    framework: Framework,
    before: Mapping[str, Value],
    after: Mapping[str, Value],
) -> list[EnvLine]:
    """Bring ``project/.env`` to the new answers' values where it holds the old ones.

    Returns every variable whose development value changes, with what became of it.
    """
    old, new = _development_env(framework, before), _development_env(framework, after)
    keys = [key for key in {**old, **new} if old.get(key) != new.get(key)]
    path = project / ENV_FILE
    if not keys:
        return []

    def left_alone(state: Literal["missing", "unreadable"], reason: str = "") -> list[EnvLine]:
        return [EnvLine(key, old.get(key), new.get(key), state, reason) for key in keys]

    if path.exists() and not path.is_file():  # the bounded reader would wait on a FIFO
        return left_alone("unreadable", "not a regular file")
    try:  # bounded, as every file scaffold reads: the merge is done whatever .env holds
        lines = bounded.read_text(path, ENV_FILE, UpdateError).splitlines()
    except FileNotFoundError:
        return left_alone("missing")
    except UpdateError as error:
        return left_alone("unreadable", str(error).removeprefix(f"{ENV_FILE}: "))
    result = []
    for key in keys:
        where = [number for number, line in enumerate(lines) if line.startswith(f"{key}=")]
        current = lines[where[0]].partition("=")[2] if len(where) == 1 else None
        untouched = current == old.get(key) if old.get(key) is not None else not where
        if untouched:
            replacement = [] if new.get(key) is None else [f"{key}={new[key]}"]
            position = where[0] if where else len(lines)
            lines[position : position + len(where)] = replacement
        state: Literal["updated", "edited"] = "updated" if untouched else "edited"
        result.append(EnvLine(key, old.get(key), new.get(key), state))
    if any(line.state == "updated" for line in result):
        _rewrite(path, "\n".join(lines) + "\n")
    return result


def _rewrite(path: Path, text: str) -> None:
    """Replace ``path`` atomically, keeping it readable by its owner only, as scaffold new does."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise UpdateError(f"cannot write {path}: {error.strerror or error}") from error


def describe(changes: list[AnswerChange], env: list[EnvLine]) -> list[str]:
    """The lines ``scaffold update`` prints about the changed answers and ``.env``."""
    from scaffold.questions import format_value

    lines = [
        "Changed answers: "
        + ", ".join(
            f"{change.key}: {format_value(change.before)} -> {format_value(change.after)}"
            for change in changes
        )
    ]
    for line in env:
        wanted = f"{line.key}={line.after}" if line.after is not None else f"no {line.key}"
        if line.state == "updated":
            done = f"set {wanted}" if line.after is not None else f"removed {line.key}"
            lines.append(f"Updated {ENV_FILE}: {done} (it held the old answers' value)")
        elif line.state == "edited":
            lines.append(
                f"Edit {ENV_FILE} yourself: {line.key} holds your own value; "
                f"for the new answers scaffold new writes {wanted}"
            )
        elif line.state == "unreadable":
            lines.append(
                f"Edit {ENV_FILE} yourself: scaffold left it alone ({line.reason}); "
                f"for the new answers scaffold new writes {wanted}"
            )
        else:
            lines.append(
                f"There is no {ENV_FILE}: for the new answers scaffold new writes {wanted}"
            )
    return lines
