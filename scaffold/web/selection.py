"""From the answers of a request to a validated project, checked exactly as the CLI checks them.

A query string ``name=shop&framework=flask&size=large&database=postgresql`` is
the web form of ``scaffold new shop --framework flask -y -d size=large -d
database=postgresql``: the same keys, values, defaults and error messages, from
the same plan builder. ``framework`` is checked as ``--framework`` checks it
(one of the names exactly). Two conventions belong to HTTP: an empty value of
what a form can leave empty means "not given" (see :func:`answers_of`), and a
repeated key keeps its last value, as a repeated ``--data`` does. One belongs to the page's form:
:data:`FORM_KEY` says which framework its option fields were shown for, and
answers that framework asked but the new one does not are dropped, not refused.

Problems are told in HTTP's words (``name``, not ``NAME``; a key, not
``--data``), each with the field it belongs to.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scaffold import answers, options
from scaffold.criteria import Answers
from scaffold.errors import InvalidAnswersError, UsageError
from scaffold.frameworks import Framework
from scaffold.plan import FRAMEWORK_KEY, ProjectPlan, build_plan
from scaffold.questions import Question, Value, format_value
from scaffold.recommender import Recommendation, recommend

#: The query key that stands for NAME on the command line (``framework`` is --framework).
NAME_KEY = "name"
#: The project name when the request gives none (as start.spring.io does).
DEFAULT_NAME = "demo"
#: The page form's hidden field: the framework its option fields were shown for.
FORM_KEY = "options_for"

#: The command line's words in messages, and what HTTP calls the same thing.
_HTTP_WORDS = (
    (
        re.compile(
            r"pass a plain NAME and choose the parent directory with --output-dir( \(.*\))?"
        ),
        "give a plain name: it names the archive's top folder",
    ),
    (re.compile(r"pass a NAME such as"), "give a name such as"),
    (
        re.compile(r"pass a shorter one with --data package_name=\.\.\."),
        "give a shorter package_name",
    ),
    (re.compile(r"the project name is the NAME argument"), "give the project name as name"),
    (
        re.compile(r"choose the framework with --framework"),
        "the recommendation takes only criteria",
    ),
    (re.compile(r"\badd -d (?=\S+=)"), "add "),
    (re.compile(r"\bNAME\b"), "name"),
)
#: The start of a message that names its answer: ``size=huge ...``, ``auth applies ...``.
_NAMED = re.compile(r"(?P<key>[a-z_]+)(=|: | must | applies | gives )")
_UNKNOWN = re.compile(r"unknown question '(?P<key>[^']*)'")


@dataclass(frozen=True)
class Problem:
    """One invalid answer: the field it belongs to (None when it is no one field's) and why."""

    field: str | None
    message: str

    def to_json(self) -> dict[str, str | None]:
        """As an item of the error body's ``errors``."""
        return {"field": self.field, "message": self.message}


class AnswersError(InvalidAnswersError):
    """Invalid answers told in HTTP's words, each with its field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__([problem.message for problem in problems])
        self.fields = problems


def http_words(message: str) -> str:
    """A message of the library in HTTP's words: keys and ``name``, no command-line options."""
    for pattern, replacement in _HTTP_WORDS:
        message = pattern.sub(replacement, message)
    return message


def in_http_words(error: InvalidAnswersError, field: str | None = None) -> AnswersError:
    """``error`` told in HTTP's words, each problem with ``field`` or the answer it names."""
    if isinstance(error, AnswersError):
        return error
    return AnswersError(_problems(error.problems, field=field))


def _problems(messages: Iterable[str], *, field: str | None = None) -> list[Problem]:
    """Messages in HTTP's words, each with ``field`` or the answer the message starts with."""
    found = []
    for message in map(http_words, messages):
        named = _UNKNOWN.match(message) or _NAMED.match(message)
        found.append(Problem(field or (named["key"] if named else None), message))
    return found


def answers_of(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The answers of a query string or form: the last value of each key.

    An empty value of a field a form can leave empty (a text field, the name, the
    framework's "recommended") means "not given"; any other empty value is an
    answer, refused as ``-d size=`` is.
    """
    found: dict[str, str] = {}
    blank = _may_be_blank()
    for key, value in pairs:
        found.pop(key, None)  # a repeated key moves to its last place, like a repeated --data
        if value != "" or key not in blank:
            found[key] = value
    return found


@functools.cache
def _may_be_blank() -> frozenset[str]:
    texts = (o.key for o in options.load_options() if o.type != "bool" and not o.choices)
    return frozenset({NAME_KEY, FRAMEWORK_KEY, *texts})


def exact_framework(raw: object, key: str = FRAMEWORK_KEY) -> Framework:
    """The framework named exactly (as ``--framework`` accepts it); ValueError naming ``key``."""
    names = [framework.value for framework in Framework]
    if raw not in names:
        raise ValueError(f"{key}={format_value(raw)} is not one of: {', '.join(names)}")
    return Framework(raw)


def select(given: Mapping[str, str]) -> ProjectPlan:
    """The plan of ``given``, checked as ``scaffold new NAME --defaults -d ...`` checks it.

    ``framework`` stands for ``--framework`` and ``name`` for NAME. Raises
    :class:`AnswersError` naming every problem, as the CLI finds them.
    """
    data: dict[str, Any] = form_answers(given)
    name = data.pop(NAME_KEY, DEFAULT_NAME)
    problems: list[Problem] = []
    if FRAMEWORK_KEY in data:
        try:
            exact_framework(data[FRAMEWORK_KEY])
        except ValueError as error:
            problems += _problems([str(error)], field=FRAMEWORK_KEY)
            del data[FRAMEWORK_KEY]  # the other answers are still checked, as without it
    try:
        plan = build_plan(name, data)
    except InvalidAnswersError as error:
        raise AnswersError(problems + _problems(error.problems)) from error
    except UsageError as error:  # the name itself: the CLI reports it alone, before the rest
        raise AnswersError(problems + _problems([str(error)], field=NAME_KEY)) from error
    if problems:
        raise AnswersError(problems)
    return plan


def form_answers(given: Mapping[str, str]) -> dict[str, str]:
    """``given`` less what a form shown for another framework sent that this framework refuses.

    The form sends every field it shows, so a default of the framework it was
    shown for (Flask's ``auth=no``) is not the user's choice for the new one.
    Without :data:`FORM_KEY` (an API client) every answer stays, to be checked.
    """
    data = dict(given)
    shown_for = data.pop(FORM_KEY, None)
    if shown_for is not None:
        try:
            exact_framework(shown_for, FORM_KEY)
        except ValueError as error:  # only the page sends it, naming a framework
            raise AnswersError([Problem(FORM_KEY, str(error))]) from error
    framework = _framework_of(data)
    if shown_for is None or framework.value == shown_for:
        return data
    name = data.get(NAME_KEY, DEFAULT_NAME)
    refused = {
        item.key
        for item in form_fields(framework, name, data)
        if item.key in data and (not item.applies or _parsed(item, data) in item.unavailable)
    }
    return {key: value for key, value in data.items() if key not in refused}


def _framework_of(data: Mapping[str, Any]) -> Framework:
    """The framework these answers make: the one given, else the recommended one."""
    with contextlib.suppress(ValueError, KeyError):
        return exact_framework(data[FRAMEWORK_KEY])
    return recommendation_for(data).framework


def _parsed(item: Field, data: Mapping[str, Any]) -> object:
    with contextlib.suppress(ValueError):
        return item.question.parse(data[item.key])
    return data[item.key]


def check_criteria(given: Mapping[str, str]) -> dict[str, str]:
    """The criteria of ``given``, checked as ``scaffold recommend`` checks them."""
    try:
        return answers.check_criteria(given)
    except InvalidAnswersError as error:
        raise AnswersError(_problems(error.problems)) from error


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
