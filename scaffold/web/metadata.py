"""What a client needs to build its own form: every key, choice, default and framework, as JSON."""

from __future__ import annotations

from typing import Any

from scaffold import __version__, options
from scaffold.criteria import CRITERIA
from scaffold.errors import InvalidAnswersError, UsageError
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.plan import FRAMEWORK_KEY
from scaffold.questions import Question
from scaffold.web.archive import MEDIA_TYPES
from scaffold.web.selection import DEFAULT_NAME, NAME_KEY, form_fields


def _choices(question: Question) -> list[dict[str, Any]]:
    return [{"value": choice.value, "label": choice.label} for choice in question.choices]


def metadata(name: str = DEFAULT_NAME) -> dict[str, Any]:
    """Criteria, project options (their defaults per framework, for ``name``) and frameworks.

    A ``name`` the command line would refuse is refused here too (a 400 with
    the CLI's message), rather than answered with defaults derived from it
    that no form could submit (``../..`` derives no valid package name).
    """
    try:
        options.check_name(name, derive_package=True)
    except UsageError as error:
        raise InvalidAnswersError([str(error)]) from error
    by_framework = {framework: form_fields(framework, name, {}) for framework in Framework}
    option_entries = []
    for index, field in enumerate(by_framework[Framework.DJANGO]):
        fields = {framework: by_framework[framework][index] for framework in Framework}
        option_entries.append(
            {
                "key": field.key,
                "help": field.option.help,
                "type": field.question.kind,
                "default": {
                    framework.value: fields[framework].question.default for framework in Framework
                },
                "choices": [
                    {
                        "value": value,
                        "label": label,
                        "unavailable": {
                            framework.value: reason
                            for framework in Framework
                            if (reason := fields[framework].unavailable.get(value))
                        },
                    }
                    for label, value, _rule in field.option.choices
                ],
                "applies_when": field.condition,
                "applies_to": field.asked_for,
            }
        )
    return {
        "version": __version__,
        "name": {"key": NAME_KEY, "default": DEFAULT_NAME},
        "framework": {
            "key": FRAMEWORK_KEY,
            "default": None,
            "choices": [
                {
                    "value": info.framework.value,
                    "label": info.label,
                    "offers": info.offers,
                    "comparison": dict(info.comparison),
                }
                for info in FRAMEWORKS.values()
            ],
        },
        "criteria": [
            {
                "key": question.key,
                "question": question.message,
                "help": question.help,
                "default": question.default,
                "choices": _choices(question),
            }
            for question in CRITERIA
        ],
        "options": option_entries,
        "archives": list(MEDIA_TYPES),
    }
