"""Read every file scaffold reads within bounds: bytes, values, depth, time and message length.

A file a user points scaffold at (a ``--data-file``, a project's
``.copier-answers.yml``, the personal config) may be anything: ``/dev/zero``, a
FIFO, a "billion laughs" of YAML aliases, a document nested thousands deep.
Each is read at most :data:`MAX_BYTES` + 1 bytes; YAML is composed node by
node with its depth, values and text counted (every alias counts as all it
repeats); JSON and TOML nesting is counted in one linear pass before the
parser, which recurses once per level, sees the text. Every refusal is one
line that quotes at most a short excerpt of the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from scaffold.errors import DataFileError, ScaffoldError

#: A file scaffold reads holds a few dozen short lines; these bounds refuse anything
#: else in milliseconds, before parsing (size) or while parsing (the rest).
MAX_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_VALUES = 10_000
#: Characters of text once YAML aliases are expanded: no more than a file may hold.
MAX_EXPANDED = MAX_BYTES
#: The longest piece of a file's content an error message quotes.
EXCERPT_LENGTH = 60

Format = Literal["yaml", "json", "toml"]
#: Makes the error a refusal raises from its one-line message (an error class will do).
Failure = Callable[[str], ScaffoldError]

_JSON_TOKENS = re.compile(r'[][{}"]')
#: The rest of a string after its opening quote; unrolled, so one match is linear.
_JSON_SKIPPED = {'"': re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)}
_TOML_TOKENS = re.compile(r"\"\"\"|'''|[][{}\"'#\n.=,]")
#: What follows each opening of a TOML string or comment, up to its end.
_TOML_SKIPPED = {
    '"""': re.compile(r'[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""', re.DOTALL),
    "'''": re.compile(r".*?'''", re.DOTALL),
    '"': re.compile(r'[^"\\\n]*(?:\\.[^"\\\n]*)*"'),
    "'": re.compile(r"[^'\n]*'"),
    "#": re.compile(r"[^\n]*"),
}


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was; for error messages."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def format_of(path: Path) -> Format:
    """The format a file's name says: TOML, JSON, else YAML (which also reads JSON)."""
    suffix = path.suffix.lower()
    return "toml" if suffix == ".toml" else "json" if suffix == ".json" else "yaml"


def read_text(path: Path, label: str, failure: Failure = DataFileError) -> str:
    """The file's text: at most :data:`MAX_BYTES` read (a FIFO or ``/dev/zero`` too), UTF-8.

    ``label`` starts each message; a missing file raises ``FileNotFoundError``
    for the caller to explain (it may mean "no file" rather than a problem).
    """
    try:
        with path.open("rb") as stream:  # reads FIFOs and /dev/fd/N as well as files
            raw = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise failure(f"{label}: cannot read it ({error.strerror or error})") from error
    if len(raw) > MAX_BYTES:
        raise failure(
            f"{label}: larger than {MAX_BYTES // 1024} KiB; a file scaffold reads holds "
            "a few short lines"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise failure(f"{label}: not UTF-8 text (byte {error.start})") from error


def read_mapping(
    path: Path,
    label: str,
    *,
    kind: Format | None = None,
    failure: Failure = DataFileError,
) -> dict[str, Any]:
    """Read one mapping from a bounded YAML, JSON or TOML file; every problem one line.

    ``kind`` defaults to what the file name says (:func:`format_of`); an empty
    YAML file is an empty mapping.
    """
    try:
        text = read_text(path, label, failure)
    except FileNotFoundError as error:
        raise failure(f"{label}: no such file") from error
    return parse_mapping(text, kind or format_of(path), label, failure)


def parse_mapping(
    text: str, kind: Format, label: str, failure: Failure = DataFileError
) -> dict[str, Any]:
    """Parse ``text`` as one mapping of ``kind`` (see :func:`parse`); nothing at all is empty."""
    data = parse(text, kind, label, failure)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise failure(f"{label}: expected a mapping of KEY: VALUE, got {type(data).__name__}")
    return {str(key): value for key, value in data.items()}


def parse(text: str, kind: Format, label: str, failure: Failure = DataFileError) -> object:
    """Parse ``text`` (already within :data:`MAX_BYTES`) as ``kind``, within every bound."""
    if kind == "json":
        return _parse_json(text, label, failure)
    if kind == "toml":
        return _parse_toml(text, label, failure)
    return _parse_yaml(text, label, failure)


def _problem(failure: Failure, label: str, line: int | None, what: str) -> ScaffoldError:
    where = f", line {line}" if line else ""
    return failure(f"{label}{where}: {excerpt(' '.join(what.split()), 200)}")


def _too_deep(failure: Failure, label: str, line: int | None = None) -> ScaffoldError:
    return _problem(failure, label, line, f"nested deeper than {MAX_DEPTH} levels")


def _first_clause(error: Exception) -> str:
    """The message without the advice Python appends for programmers (``; use sys....``)."""
    return str(error).split("; use ")[0]


def _depth(text: str, tokens: re.Pattern[str], skipped: Mapping[str, re.Pattern[str]]) -> int:
    """The deepest nesting of brackets and dotted keys outside strings and comments.

    One pass: each string or comment is skipped with one regular-expression
    match from its opening (linear, even for 256 KiB of escaped quotes); an
    unterminated one ends the scan, and the parser then reports it. A dotted
    TOML key (``a.b.c = 1``, ``[a.b.c]``) nests a table per dot, and tomllib
    takes time quadratic in their number, so the dots count as levels; a
    float's one dot counts once, which no bound of 32 is near.
    """
    depth = deepest = dots = position = 0
    while token := tokens.search(text, position):
        char, position = token.group(), token.end()
        if char in skipped:
            if (rest := skipped[char].match(text, position)) is None:
                break
            position = rest.end()
            continue
        if char == ".":
            dots += 1
        else:
            dots = 0
            depth += 1 if char in "[{" else -1 if char in "]}" else 0
        deepest = max(deepest, depth + dots)
        if deepest > MAX_DEPTH:
            break
    return deepest


def _parse_json(text: str, label: str, failure: Failure) -> object:
    if _depth(text, _JSON_TOKENS, _JSON_SKIPPED) > MAX_DEPTH:
        raise _too_deep(failure, label)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _problem(failure, label, error.lineno, error.msg) from error
    except ValueError as error:  # e.g. an integer longer than Python converts
        raise _problem(failure, label, None, _first_clause(error)) from error


def _parse_toml(text: str, label: str, failure: Failure) -> object:
    import tomllib

    if _depth(text, _TOML_TOKENS, _TOML_SKIPPED) > MAX_DEPTH:
        raise _too_deep(failure, label)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _problem(failure, label, None, f"not valid TOML ({error})") from error


def _parse_yaml(text: str, label: str, failure: Failure) -> object:
    import yaml

    try:
        return yaml.load(text, Loader=_bounded_loader(label, failure))  # noqa: S506 (a SafeLoader)
    except ScaffoldError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise _problem(failure, label, line, str(error.problem or error)) from error
    except (yaml.YAMLError, ValueError) as error:  # ValueError: e.g. an overlong integer
        raise _problem(failure, label, None, _first_clause(error)) from error


def _bounded_loader(label: str, failure: Failure) -> type:
    """PyYAML's safe loader, counting depth, values and text as each node is composed.

    The pure-Python loader, because libyaml composes a whole document in C
    before any check could run. An alias counts as every value and every
    character it repeats, so a 56 KB file cannot expand to 180 MB.
    """
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.depth = 0
            self.values = 0
            self.characters = 0
            self.sizes: dict[str, tuple[int, int]] = {}

        def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            line = event.start_mark.line + 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _too_deep(failure, label, line)
            before = (self.values, self.characters)
            if isinstance(event, yaml.AliasEvent):
                values, characters = self.sizes.get(str(event.anchor), (1, 0))
                self.values += values
                self.characters += characters
            else:
                self.values += 1
                self.characters += len(getattr(event, "value", "") or "")
            self._check(line)
            node = super().compose_node(parent, index)
            self.depth -= 1
            self._check(line)
            if not isinstance(event, yaml.AliasEvent) and event.anchor is not None:
                self.sizes[str(event.anchor)] = (
                    self.values - before[0],
                    self.characters - before[1],
                )
            return node

        def _check(self, line: int) -> None:
            if self.values > MAX_VALUES:
                raise _problem(
                    failure, label, line, f"more than {MAX_VALUES} values once aliases are expanded"
                )
            if self.characters > MAX_EXPANDED:
                raise _problem(
                    failure,
                    label,
                    line,
                    f"more than {MAX_EXPANDED // 1024} KiB of text once aliases are expanded",
                )

    return BoundedLoader
