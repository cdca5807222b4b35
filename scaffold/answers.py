"""Answers from the command line: --data pairs, a --data-file, and whether we may prompt.

Everything here runs before the first question, so a typo is reported at
once, with every problem in one message, and nothing is written.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scaffold import options
from scaffold.criteria import CRITERIA, CRITERIA_BY_KEY
from scaffold.errors import DataFileError, InvalidAnswersError
from scaffold.questions import Value, parse_bool, parse_data_pairs, unknown_key_message

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


def gather(data_file: str | None, pairs: list[str] | None) -> dict[str, Any]:
    """Answers from the data file, then from --data, which wins on a repeated key."""
    data: dict[str, Any] = load_data_file(Path(data_file)) if data_file else {}
    data.update(parse_data_pairs(pairs or []))
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


def check_project(
    project_name: str, data: Mapping[str, Any], framework: str | None = None
) -> tuple[dict[str, str], dict[str, Value]]:
    """The criteria and project options of ``data``, checked before any question or render.

    Every unknown key, bad value and conflict with an explicit ``framework`` is
    reported in one :class:`InvalidAnswersError`; a bad project name raises a
    :class:`UsageError` of its own. The command line and the web server both call this.
    """
    option_keys = options.option_keys()
    criteria_given, value_problems = parse_criteria(data)
    problems = unknown_keys(data, criteria_keys() + option_keys) + value_problems
    option_data = {key: value for key, value in data.items() if key in option_keys}
    option_given: dict[str, Value] = {}
    try:
        option_given = options.check_given(project_name, option_data)
    except InvalidAnswersError as error:
        problems += error.problems
    if framework and (conflict := options.conflict(framework, option_given)):
        problems.append(conflict)
    if problems:
        raise InvalidAnswersError(problems)
    return criteria_given, option_given


def criteria_keys() -> list[str]:
    """The keys of the criteria, in question order."""
    return [question.key for question in CRITERIA]


def ci_is_set() -> bool:
    """True when the CI environment variable holds a true value."""
    return parse_bool(os.environ.get("CI", "")) is True


def can_prompt() -> bool:
    """Prompt only with a terminal on both ends and outside CI; otherwise never wait for input."""
    return sys.stdin.isatty() and sys.stdout.isatty() and not ci_is_set()
