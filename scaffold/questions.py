"""What a question is, and how a raw answer becomes a valid value.

Criteria (for the recommendation) and template options (for the project) are
both :class:`Question` objects, so the prompt, the ``--data`` parser, the data
file reader and the JSON output treat them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Literal

from scaffold.bounded import excerpt
from scaffold.errors import UsageError

Value = str | bool
Kind = Literal["choice", "bool", "text"]

TRUE_WORDS = frozenset({"yes", "y", "true", "1", "on"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "off"})


@dataclass(frozen=True)
class Choice:
    """One allowed value of a question and the label a person sees for it."""

    value: Value
    label: str
    #: Why the choice cannot be taken with the other answers; empty when it can.
    disabled: str = ""


@dataclass(frozen=True)
class Question:
    """A question with its allowed values, its default and a one-line help."""

    key: str
    message: str
    help: str
    kind: Kind
    default: Value
    choices: tuple[Choice, ...] = ()
    #: Extra check run on a parsed value; returns an error message or None.
    check: Callable[[Value], str | None] | None = None

    @property
    def values(self) -> tuple[Value, ...]:
        """The allowed values, in the order they are offered."""
        return tuple(choice.value for choice in self.choices)

    @property
    def is_yes_no(self) -> bool:
        """True for a choice between exactly "yes" and "no" (booleans are accepted too)."""
        return set(self.values) == {"yes", "no"}

    def label_of(self, value: Value) -> str:
        """The label shown for ``value``, or the value itself for free text."""
        for choice in self.choices:
            if choice.value == value:
                return choice.label
        return format_value(value)

    def parse(self, raw: object) -> Value:
        """Turn a raw answer (text from the command line, a YAML value...) into a valid value.

        Raises ``ValueError`` with a message naming the key, the bad value and the valid ones.
        """
        value = self._coerce(raw)
        if self.check is not None and (problem := self.check(value)):
            raise ValueError(f"{self.key}: {problem}")
        return value

    def _coerce(self, raw: object) -> Value:
        if self.kind == "bool":
            parsed = parse_bool(raw)
            if parsed is None:
                raise ValueError(
                    f"{self.key}={format_value(raw)} is not yes/no (or true/false, 1/0)"
                )
            return parsed
        if self.kind == "text":
            if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
                raise ValueError(f"{self.key} must be text, not {format_value(raw)}")
            return str(raw)
        if self.is_yes_no:
            parsed = parse_bool(raw)
            if parsed is None:
                raise ValueError(
                    f"{self.key}={format_value(raw)} is not yes/no (or true/false, 1/0)"
                )
            return "yes" if parsed else "no"
        text = str(raw).strip()
        for value in self.values:
            if str(value).lower() == text.lower():
                return value
        valid = ", ".join(str(value) for value in self.values)
        raise ValueError(f"{self.key}={format_value(raw)} is not one of: {valid}")


def parse_bool(raw: object) -> bool | None:
    """Read yes/no, true/false, 1/0 (any case) or a real bool; None when it is neither."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return None


def format_value(value: object) -> str:
    """Show a value the way a user would type it (``yes``/``no`` for booleans), cut short."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        plain = value and value == value.strip() and "\n" not in value
        return excerpt(value if plain else repr(value))
    return excerpt(repr(value))


def unknown_key_message(key: str, valid: list[str]) -> str:
    """Explain an unknown key, suggesting the closest valid one."""
    message = f"unknown question {excerpt(repr(key))}"
    if close := get_close_matches(key, valid, n=1, cutoff=0.6):
        message += f" (did you mean {close[0]!r}?)"
    return message + "; valid keys: " + ", ".join(valid)


def parse_data_pairs(pairs: list[str]) -> dict[str, str]:
    """Split repeated ``KEY=VALUE`` options; the last one wins for a repeated key."""
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--data expects KEY=VALUE, got {pair!r}")
        data[key.strip()] = value
    return data
