"""Answers from the command line: --data pairs, --data-file files, and whether we may prompt.

Everything here runs before the first question, so a typo is reported at
once, with every problem in one message, and nothing is written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from scaffold.bounded import Format, read_mapping
from scaffold.criteria import CRITERIA, CRITERIA_BY_KEY
from scaffold.errors import DataFileError, InvalidAnswersError
from scaffold.frameworks import Framework
from scaffold.questions import parse_bool, parse_data_pairs, unknown_key_message

#: Keys that look like answers but are given another way.
REDIRECTED_KEYS: Mapping[str, str] = {
    "framework": "choose the framework with --framework",
    "project_name": "the project name is the NAME argument",
}


def load_data_file(path: Path) -> dict[str, Any]:
    """Read answers from a YAML or JSON file holding one mapping of key to value.

    The file is read within :mod:`scaffold.bounded`'s limits, so no file can
    exhaust memory, the stack or the time; a ``.toml`` name is read as YAML, as before.
    """
    kind: Format = "json" if path.suffix.lower() == ".json" else "yaml"
    return read_mapping(path, f"--data-file {path}", kind=kind)


@dataclass(frozen=True)
class Given:
    """Answers from the command line, and the framework a data file records, if any."""

    data: dict[str, Any]
    #: A project's own answers file records its framework; --framework wins over it.
    framework: Framework | None = None


def gather(data_files: Sequence[str] | None, pairs: list[str] | None) -> Given:
    """Answers from the data files in order, then from --data, which wins on a repeated key.

    A data file may be a project's own ``.copier-answers.yml``: its private keys
    (``_src_path``, ``_commit``) are ignored, its ``framework`` is kept aside and
    its ``project_name`` gives way to NAME.
    """
    data: dict[str, Any] = {}
    framework: Framework | None = None
    for data_file in data_files or ():
        loaded = load_data_file(Path(data_file))
        if "framework" in loaded:
            value = loaded.pop("framework")
            try:
                framework = Framework(str(value).strip().lower())
            except ValueError:
                valid = ", ".join(Framework)
                raise DataFileError(
                    f"--data-file {data_file}: framework={value} is not one of: {valid}"
                ) from None
        loaded.pop("project_name", None)
        data.update((key, value) for key, value in loaded.items() if not key.startswith("_"))
    data.update(parse_data_pairs(pairs or []))
    if broken := [key for key, value in data.items() if not _is_text(key) or not _is_text(value)]:
        raise InvalidAnswersError(
            [
                f"{key!r} is not valid UTF-8 text; set the terminal to UTF-8, or write the "
                "answer into a --data-file"
                for key in broken
            ]
        )
    return Given(data, framework)


def _is_text(value: object) -> bool:
    """False for a string holding lone surrogates: bytes that were not UTF-8 on the way in."""
    if not isinstance(value, str):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def answers_for_new(name: str, given: Given, framework: str | None) -> dict[str, object]:
    """The answers ``scaffold new NAME`` goes on with, every problem of them reported at once.

    ``-d framework=...`` is refused with the other problems (the framework has
    its own option); ``--framework`` wins over the framework a data file records.
    """
    from scaffold.plan import FRAMEWORK_KEY, check_answers

    data: dict[str, object] = dict(given.data)
    misplaced = (
        unknown_keys({FRAMEWORK_KEY: data.pop(FRAMEWORK_KEY)}, []) if FRAMEWORK_KEY in data else []
    )
    if direct := framework or given.framework:
        data[FRAMEWORK_KEY] = direct
    try:
        check_answers(name, data)
    except InvalidAnswersError as error:
        raise InvalidAnswersError([*misplaced, *error.problems]) from error
    if misplaced:
        raise InvalidAnswersError(misplaced)
    return data


def unknown_keys(data: Mapping[str, Any], valid: list[str]) -> list[str]:
    """A problem for each unknown key, with a close-match suggestion or where it belongs."""
    return [
        f"{key}: {REDIRECTED_KEYS[key]}"
        if key in REDIRECTED_KEYS
        else unknown_key_message(key, valid)
        for key in data
        if key not in valid
    ]


def parse_criteria(data: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The criteria answers among ``data``, parsed, and the problems found."""
    parsed: dict[str, str] = {}
    problems: list[str] = []
    for key, raw in data.items():
        if key not in CRITERIA_BY_KEY:
            continue
        try:
            parsed[key] = str(CRITERIA_BY_KEY[key].parse(raw))
        except ValueError as error:
            problems.append(str(error))
    return parsed, problems


def check_criteria(data: Mapping[str, Any]) -> dict[str, str]:
    """The criteria answers of ``data``, parsed; every unknown key or bad value raises, together."""
    given, problems = parse_criteria(data)
    problems = unknown_keys(data, criteria_keys()) + problems
    if problems:
        raise InvalidAnswersError(problems)
    return given


def criteria_keys() -> list[str]:
    """The keys of the criteria, in question order."""
    return [question.key for question in CRITERIA]


def ci_is_set() -> bool:
    """True when the CI environment variable holds a true value."""
    return parse_bool(os.environ.get("CI", "")) is True


def can_prompt() -> bool:
    """Prompt only with a terminal on both ends and outside CI; otherwise never wait for input."""
    return _is_terminal(sys.stdin) and _is_terminal(sys.stdout) and not ci_is_set()


def _is_terminal(stream: TextIO | None) -> bool:
    """True for an open stream on a terminal; a missing or closed stream is no terminal."""
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):
        return False
