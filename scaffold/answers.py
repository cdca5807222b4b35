"""Answers from the command line: --data pairs, --data-file files, and whether we may prompt.

Everything here runs before the first question, so a typo is reported at
once, with every problem in one message, and nothing is written.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.criteria import CRITERIA, CRITERIA_BY_KEY
from scaffold.errors import DataFileError
from scaffold.frameworks import Framework
from scaffold.questions import parse_bool, parse_data_pairs, unknown_key_message

#: Keys that look like answers but are given another way.
REDIRECTED_KEYS: Mapping[str, str] = {
    "framework": "choose the framework with --framework",
    "project_name": "the project name is the NAME argument",
}


def load_data_file(path: Path) -> dict[str, Any]:
    """Read answers from a YAML or JSON file holding one mapping of key to value."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise DataFileError(f"--data-file {path}: no such file") from error
    except (OSError, UnicodeDecodeError) as error:
        raise DataFileError(f"--data-file {path}: cannot read it ({error})") from error
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataFileError(f"--data-file {path}, line {error.lineno}: {error.msg}") from error
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = f", line {mark.line + 1}" if mark else ""
            raise DataFileError(f"--data-file {path}{line}: {error.problem or error}") from error
        except yaml.YAMLError as error:
            raise DataFileError(f"--data-file {path}: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DataFileError(
            f"--data-file {path}: expected a mapping of KEY: VALUE, got {type(data).__name__}"
        )
    return {str(key): value for key, value in data.items()}


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
    return Given(data, framework)


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


def criteria_keys() -> list[str]:
    """The keys of the criteria, in question order."""
    return [question.key for question in CRITERIA]


def ci_is_set() -> bool:
    """True when the CI environment variable holds a true value."""
    return parse_bool(os.environ.get("CI", "")) is True


def can_prompt() -> bool:
    """Prompt only with a terminal on both ends and outside CI; otherwise never wait for input."""
    return sys.stdin.isatty() and sys.stdout.isatty() and not ci_is_set()
