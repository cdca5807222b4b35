"""From the answers of a request to a validated project, checked exactly as the CLI checks them.

A query string ``name=shop&framework=flask&size=large&database=postgresql`` is
the web form of ``scaffold new shop --framework flask -y -d size=large -d
database=postgresql``: the same keys, values, defaults and error messages, from
the same library functions. Two conventions belong to HTTP: an empty value
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
from scaffold.questions import Question, Value
from scaffold.recommender import Recommendation, recommend
from scaffold.web.pool import RenderJob

#: The query keys that stand for NAME and --framework on the command line.
NAME_KEY = "name"
FRAMEWORK_KEY = "framework"
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


@dataclass(frozen=True)
class Selection:
    """A project every check has passed: what a render needs, and the recommendation behind it."""

    name: str
    #: The framework asked for, or None when the recommendation decides.
    chosen: Framework | None
    recommendation: Recommendation
    #: Every option's value for this framework, in copier.yml's order.
    options: Mapping[str, Value]

    @property
    def framework(self) -> Framework:
        """The framework rendered: the one asked for, else the recommended one."""
        return self.chosen or self.recommendation.framework

    def job(self, archive: str | None = None, *, contents: bool = False) -> RenderJob:
        """The render job for this project."""
        return RenderJob(
            name=self.name,
            framework=self.framework.value,
            options=tuple(self.options.items()),
            archive=archive,
            contents=contents,
        )


def _framework_option() -> options.TemplateOption:
    (option,) = (option for option in options.load_options() if option.key == FRAMEWORK_KEY)
    return option


def parse_framework(raw: str) -> Framework:
    """The framework named by ``raw``, checked against copier.yml's choices (ValueError if none)."""
    return Framework(str(options.question_for(_framework_option(), {}).parse(raw)))


def select(given: Mapping[str, str]) -> Selection:
    """Check ``given`` as ``scaffold new NAME [--framework F] --defaults -d ...`` would.

    Raises :class:`InvalidAnswersError` naming every problem, as the CLI reports them.
    """
    data: dict[str, Any] = dict(given)
    name = data.pop(NAME_KEY, DEFAULT_NAME)
    raw_framework = data.pop(FRAMEWORK_KEY, None)
    problems: list[str] = []
    chosen: Framework | None = None
    if raw_framework is not None:
        try:
            chosen = parse_framework(raw_framework)
        except ValueError as error:
            problems.append(str(error))
    try:
        criteria, option_given = answers.check_project(name, data, chosen and chosen.value)
    except InvalidAnswersError as error:
        raise InvalidAnswersError([*problems, *error.problems]) from error
    except UsageError as error:  # the name itself: the CLI reports it alone, before the rest
        raise InvalidAnswersError([*problems, str(error)]) from error
    if problems:
        raise InvalidAnswersError(problems)
    recommendation = recommend(Answers(criteria))
    framework = chosen or recommendation.framework
    resolved = options.resolve(framework.value, name, option_given)
    return Selection(name, chosen, recommendation, resolved)


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
