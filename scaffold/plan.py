"""The project plan: one checked description of a project, built one way for every door.

``scaffold new`` (with or without prompts), the wizard's "Change an answer",
``scaffold serve`` (page, preview, archives), ``scaffold update`` and the
Python API all turn raw answers into a :class:`ProjectPlan` with
:func:`build_plan`: check every answer, recommend from the criteria, choose
the framework, resolve every option. Renderers and placement read the plan and
nothing else, so the same answers make the same project whichever door they
came in by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from scaffold import answers as raw_answers
from scaffold import options
from scaffold.criteria import CRITERIA, Answers
from scaffold.decision import How, how_chosen
from scaffold.errors import InvalidAnswersError, UsageError
from scaffold.frameworks import Framework
from scaffold.options import Asker
from scaffold.questions import Choice, Question, Value
from scaffold.recommender import Recommendation, recommend
from scaffold.report import framework_score

#: The answer key that names the framework (``--framework``, a data file, the web form).
FRAMEWORK_KEY = "framework"


@dataclass(frozen=True)
class ProjectPlan:
    """A project every check has passed: its name, framework, why that one, and every option.

    Build one with :func:`build_plan`. A plan made by hand is checked when it is
    rendered, with the same messages.
    """

    name: str
    framework: Framework
    #: Every applicable option's value, in copier.yml's order.
    options: Mapping[str, Value]
    #: The recommendation the framework was chosen against; None when it was given
    #: directly and no criteria were answered.
    recommendation: Recommendation | None = None
    #: The answers the user gave (typed, passed or read from a file), as opposed to
    #: defaults: a rebuilt plan keeps these and computes every default anew.
    given: Mapping[str, Value] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise UsageError(f"the project name must be text, not {self.name!r}")
        try:
            framework = Framework(self.framework)
        except ValueError:
            valid = ", ".join(Framework)
            raise UsageError(f"framework={self.framework!r} is not one of: {valid}") from None
        for label, mapping in (("options", self.options), ("given", self.given)):
            if not isinstance(mapping, Mapping):
                raise UsageError(f"{label} must be a mapping of key to value, not {mapping!r}")
        object.__setattr__(self, "framework", framework)
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        object.__setattr__(self, "given", MappingProxyType(dict(self.given)))

    @property
    def how(self) -> How:
        """Recommended and accepted, overridden, or given directly."""
        return how_chosen(self.framework, self.recommendation)

    @property
    def criteria(self) -> Answers | None:
        """The criteria answers behind the recommendation; None without one."""
        return self.recommendation.answers if self.recommendation else None

    @property
    def copier_data(self) -> dict[str, Value]:
        """The complete answers handed to copier, so it never needs to ask."""
        return {"framework": self.framework.value, "project_name": self.name, **self.options}

    @property
    def unanswered(self) -> list[str]:
        """The questions that took their defaults (criteria only without a direct framework)."""
        criteria = [] if FRAMEWORK_KEY in self.given else [q.key for q in CRITERIA]
        return [key for key in [*criteria, *self.options] if key not in self.given]

    def check(self) -> None:
        """Refuse a plan made by hand whose options are not a complete, valid set."""
        options.check_complete(self.framework.value, self.name, self.options)

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON, for a render worker; :meth:`from_json` reads it back."""
        return {
            "name": self.name,
            "framework": self.framework.value,
            "options": dict(self.options),
            "criteria": dict(self.criteria) if self.criteria is not None else None,
            "given": dict(self.given),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProjectPlan:
        """The plan :meth:`to_json` wrote; the recommendation is recomputed (it is pure)."""
        criteria = data["criteria"]
        return cls(
            name=data["name"],
            framework=Framework(data["framework"]),
            options=data["options"],
            recommendation=recommend(Answers(criteria)) if criteria is not None else None,
            given=data["given"],
        )


def parse_framework(raw: object) -> Framework:
    """The framework named by ``raw``, checked against copier.yml's choices (ValueError if none)."""
    (option,) = (option for option in options.load_options() if option.key == FRAMEWORK_KEY)
    return Framework(str(options.question_for(option, {}).parse(raw)))


def framework_question(
    recommendation: Recommendation, option_given: Mapping[str, Value]
) -> Question:
    """Which framework, best first; those the given options rule out are offered disabled."""
    unavailable = {
        framework: reason
        for framework in Framework
        if (reason := options.conflict(framework.value, option_given))
    }
    choices = tuple(
        Choice(
            framework,
            framework_score(framework, recommendation.scores[framework])
            + (" (recommended)" if framework == recommendation.framework else ""),
            disabled=unavailable.get(framework, ""),
        )
        for framework in recommendation.ranking
    )
    available = [choice.value for choice in choices if not choice.disabled]
    default = recommendation.framework
    if default in unavailable and available:
        default = Framework(str(available[0]))
    return Question(
        FRAMEWORK_KEY,
        "Which framework should the project use?",
        "",
        "choice",
        default,
        choices,
        check=lambda value: unavailable.get(Framework(str(value))),
    )


def check_answers(name: str, answers: Mapping[str, object] | None = None) -> None:
    """Check ``answers`` as :func:`build_plan` does, before any question is asked."""
    data = _mapping(answers)
    _framework_and_checks(name, data, {})


def _framework_and_checks(
    name: object, data: dict[str, object], earlier: Mapping[str, Value]
) -> tuple[str, Framework | None, dict[str, str], dict[str, Value]]:
    """The name, the framework given directly (if any), the criteria and options, all checked."""
    if not isinstance(name, str):
        raise UsageError(f"the project name must be text, not {name!r}")
    raw_framework = data.pop(FRAMEWORK_KEY, earlier.get(FRAMEWORK_KEY))
    problems: list[str] = []
    direct: Framework | None = None
    if raw_framework is not None:
        try:
            direct = parse_framework(raw_framework)
        except ValueError as error:
            problems.append(str(error))
    criteria_given, option_given = _check(name, data, direct, problems, earlier)
    return name, direct, criteria_given, option_given


def build_plan(
    name: str,
    answers: Mapping[str, object] | None = None,
    *,
    ask: Asker | None = None,
    previous: ProjectPlan | None = None,
) -> ProjectPlan:
    """Check ``answers`` for the project ``name``, recommend, choose, resolve: the plan.

    ``answers`` holds criteria, project options and optionally ``framework``
    (raw values: text from a command line or a query string, YAML values).
    Every problem is reported together in one :class:`InvalidAnswersError`
    (a bad ``name`` in a :class:`UsageError` of its own). Without ``ask`` every
    question not answered takes its default; with it, criteria (unless the
    framework is given), the framework and options are asked. ``previous``, a
    plan being changed or a project being updated: its given answers stand in
    for those not given now (dropped where they no longer apply), and its
    framework stays while the recommendation does not move. Every default
    that depends on another answer (the description names the framework) is
    computed anew.
    """
    earlier = dict(previous.given) if previous else {}
    name, direct, criteria_given, option_given = _framework_and_checks(
        name, _mapping(answers), earlier
    )
    given: dict[str, Value] = {**criteria_given, **option_given}
    if direct is not None:
        given[FRAMEWORK_KEY] = direct.value
    typing = _Typed(ask, given)
    recommendation: Recommendation | None = None
    if direct is None:
        for question in CRITERIA:
            if question.key not in criteria_given and ask is not None:
                criteria_given[question.key] = str(typing.ask(question))
        recommendation = recommend(Answers(criteria_given))
        framework = _choose(recommendation, previous, option_given, typing)
    else:
        # Criteria given alongside still say what they recommend (and what the choice costs).
        recommendation = recommend(Answers(criteria_given)) if criteria_given else None
        framework = direct
    given.update(criteria_given)
    earlier_options = {key: value for key, value in earlier.items() if key in options.option_keys()}
    resolved = options.resolve(
        framework.value, name, option_given, ask=typing.ask if ask else None,
        previous={k: v for k, v in earlier_options.items() if k not in option_given},
    )  # fmt: skip
    given.update({k: v for k, v in earlier_options.items() if k in resolved and k not in given})
    return ProjectPlan(name, framework, resolved, recommendation, given)


def _mapping(answers: Mapping[str, object] | None) -> dict[str, object]:
    if answers is None:
        return {}
    if not isinstance(answers, Mapping):
        raise UsageError(f"answers must be a mapping of key to value, not {answers!r}")
    if keys := [key for key in answers if not isinstance(key, str)]:
        raise InvalidAnswersError([f"answer keys must be text, not {key!r}" for key in keys])
    return dict(answers)


def _check(
    name: str,
    data: Mapping[str, object],
    framework: Framework | None,
    problems: list[str],
    earlier: Mapping[str, Value],
) -> tuple[dict[str, str], dict[str, Value]]:
    """The criteria and project options of ``data``, checked before any question or render.

    Every unknown key, bad value and conflict with a framework given directly
    is reported in one :class:`InvalidAnswersError`, with ``problems`` found
    before; a bad project name raises a :class:`UsageError` of its own.
    """
    option_keys = options.option_keys()
    criteria_keys = raw_answers.criteria_keys()
    criteria_given, value_problems = raw_answers.parse_criteria(data)
    criteria_given = {
        **{k: str(v) for k, v in earlier.items() if k in criteria_keys},
        **criteria_given,
    }
    problems = problems + raw_answers.unknown_keys(data, criteria_keys + option_keys)
    problems += value_problems
    option_data = {key: value for key, value in data.items() if key in option_keys}
    option_given: dict[str, Value] = {}
    try:
        option_given = options.check_given(
            name, option_data, package_known="package_name" in earlier
        )
    except InvalidAnswersError as error:
        problems += error.problems
    if framework and (conflict := options.conflict(framework.value, option_given)):
        problems.append(conflict)
    if problems:
        raise InvalidAnswersError(problems)
    return criteria_given, option_given


class _Typed:
    """Asks through ``ask`` and notes as given every answer that is not the default."""

    def __init__(self, ask: Asker | None, given: dict[str, Value]) -> None:
        self.asker = ask
        self.given = given

    def ask(self, question: Question) -> Value:
        if self.asker is None:
            return question.default
        value = self.asker(question)
        if value != question.default:
            self.given[question.key] = value
        return value


def _choose(
    recommendation: Recommendation,
    previous: ProjectPlan | None,
    option_given: Mapping[str, Value],
    typing: _Typed,
) -> Framework:
    """The framework when none is given.

    The previous one while the recommendation stays, else the one asked for, else
    the recommendation.
    """
    question = framework_question(recommendation, option_given)
    stays = (
        previous is not None
        and previous.recommendation is not None
        and previous.recommendation.framework == recommendation.framework
        and not options.conflict(previous.framework.value, option_given)
    )
    if stays and previous is not None:
        return previous.framework
    if typing.asker is None:
        return recommendation.framework
    return Framework(str(typing.asker(question)))
