"""Interactive questions on a terminal, with questionary.

Only the raising ``unsafe_ask`` is used: Ctrl-C must stop scaffold, never be
taken as an answer. Imported only when a terminal is there to ask on.
"""

from __future__ import annotations

from collections.abc import Mapping

import questionary

from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.questions import Question, Value
from scaffold.recommender import Recommendation
from scaffold.report import format_points


def ask(question: Question) -> Value:
    """Ask one question, showing its help line first, and return a valid value."""
    if question.help:
        questionary.print(f"  {question.help}", style="fg:ansibrightblack")
    if question.kind == "bool":
        return bool(
            questionary.confirm(question.message, default=bool(question.default)).unsafe_ask()
        )
    if question.kind == "choice":
        choices = [
            questionary.Choice(title=choice.label, value=choice.value)
            for choice in question.choices
        ]
        default = next((c for c in choices if c.value == question.default), None)
        answer: Value = questionary.select(
            question.message, choices=choices, default=default
        ).unsafe_ask()
        return answer

    def validate(text: str) -> bool | str:
        try:
            question.parse(text)
        except ValueError as error:
            return str(error)
        return True

    typed: str = questionary.text(
        question.message, default=str(question.default), validate=validate
    ).unsafe_ask()
    return question.parse(typed)


def choose_framework(
    recommendation: Recommendation, unavailable: Mapping[Framework, str]
) -> Framework:
    """Let the user accept the recommendation (Enter) or pick another framework."""
    choices = []
    for framework, score in sorted(recommendation.scores.items(), key=lambda item: -item[1]):
        label = FRAMEWORKS[framework].label
        title = f"{label} (recommended)" if framework == recommendation.framework else label
        choices.append(
            questionary.Choice(
                title=f"{title}, {format_points(score)}",
                value=framework,
                disabled=unavailable.get(framework),
            )
        )
    default = recommendation.framework if recommendation.framework not in unavailable else None
    chosen: Framework = questionary.select(
        "Which framework should the project use?", choices=choices, default=default
    ).unsafe_ask()
    return chosen


def confirm(message: str, *, default: bool) -> bool:
    """A yes/no question."""
    return bool(questionary.confirm(message, default=default).unsafe_ask())
