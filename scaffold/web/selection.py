"""From the answers of a request to a validated project, checked exactly as the CLI checks them.

A query string ``name=shop&framework=flask&size=large&database=postgresql`` is
the web form of ``scaffold new shop --framework flask -y -d size=large -d
database=postgresql``: the same keys, values, defaults and error messages, from
the same plan builder. Two conventions belong to HTTP: an empty value
means "not given" (an empty form field), and a repeated key keeps its last
value, as a repeated ``--data`` does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scaffold import answers, options
from scaffold.criteria import Answers
from scaffold.errors import InvalidAnswersError, UsageError
from scaffold.frameworks import Framework
from scaffold.plan import FRAMEWORK_KEY, ProjectPlan, build_plan, parse_framework
from scaffold.questions import Question, Value
from scaffold.recommender import Recommendation, recommend

#: The query key that stands for NAME on the command line (``framework`` is --framework).
NAME_KEY = "name"
#: The project name when the request gives none (as start.spring.io does).
DEFAULT_NAME = "demo"


def answers_of(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The answers of a query string: the last value of each key, empty values left out."""
    found: dict[str, str] = {}
    for key, value in pairs:
        found.pop(key, None)  # a repeated key moves to its last place, like a repeated --data
        if value.strip():
            found[key] = value
    return found


def select(given: Mapping[str, str]) -> ProjectPlan:
    """The plan of ``given``, checked as ``scaffold new NAME --defaults -d ...`` checks it.

    ``framework`` stands for ``--framework`` and ``name`` for NAME. Raises
    :class:`InvalidAnswersError` naming every problem, as the CLI reports them.
    """
    data: dict[str, Any] = dict(given)
    name = data.pop(NAME_KEY, DEFAULT_NAME)
    try:
        return build_plan(name, data)
    except InvalidAnswersError:
        raise
    except UsageError as error:  # the name itself: the CLI reports it alone, before the rest
        problems = []
        if FRAMEWORK_KEY in data:
            try:
                parse_framework(data[FRAMEWORK_KEY])
            except ValueError as bad:
                problems.append(str(bad))
        raise InvalidAnswersError([*problems, str(error)]) from error


def recommendation_for(given: Mapping[str, str]) -> Recommendation:
    """The recommendation for the criteria among ``given``; invalid answers take their defaults.

    The page shows a recommendation while the user is still fixing other answers.
    """
    criteria, _problems = answers.parse_criteria(given)
    return recommend(Answers(criteria))


@dataclass(frozen=True)
class Field:
    """A project option as the form shows it, for one framework and the answers so far."""

    option: options.TemplateOption
    question: Question
    #: False when the option's condition (copier ``when:``) is false with these answers.
    applies: bool
    #: Why a choice cannot be used with this framework, by choice value.
    unavailable: Mapping[Value, str]

    @property
    def key(self) -> str:
        """The option's key, also the form field's name."""
        return self.option.key

    @property
    def condition(self) -> str | None:
        """When the option applies, as copier.yml says; None when it always does."""
        return options.condition(self.option)

    @property
    def asked_for(self) -> str | None:
        """Which projects the option is asked for, in words; None when it always is."""
        return options.asked_only_for(self.option)


def form_fields(framework: Framework, name: str, given: Mapping[str, str]) -> list[Field]:
    """Every option as the form shows it: asked the way the terminal prompt asks.

    ``options.resolve`` asks each applicable question, with its choices and
    default for this framework and the earlier answers, through ``ask``; the
    form records the questions instead of prompting. Invalid answers are left
    to :func:`select` to report.
    """
    asked: dict[str, Question] = {}

    def ask(question: Question) -> Value:
        asked[question.key] = question
        return given.get(question.key, question.default)

    values: dict[str, Any] = {}
    with contextlib.suppress(InvalidAnswersError):
        values = options.resolve(framework.value, name, {}, ask=ask)
    context = {"framework": framework.value, "project_name": name, **values}
    fields = []
    for option in options.load_options():
        if option.key in options.SET_BY_SCAFFOLD:
            continue
        unavailable = {
            value: reason
            for _label, value, _rule in option.choices
            if (reason := options.conflict(framework.value, {option.key: value}))
        }
        question = asked.get(option.key) or options.question_for(option, context)
        fields.append(Field(option, question, option.key in asked, unavailable))
    return fields
