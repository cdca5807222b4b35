"""The recommendation model: tables of weights and strengths, and a pure function over them.

Each row of :data:`WEIGHTS` gives points to one framework for one answer and
cites the public comparisons that support it (keys of
:data:`scaffold.sources.SOURCES`). A framework's score is the sum of its points
over the answers; :data:`CONDITIONS` switch a criterion off where it cannot
apply. The highest score wins; a tie goes to the framework favoured by the
first answer, in :data:`TIE_BREAK_ORDER`, that separates the tied frameworks.

:data:`STRENGTHS` says where each framework is strong. It is a promise the
weights keep (checked over every combination of answers): moving one answer
towards a framework's strength never lowers its score, its lead over another
framework, or its rank.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scaffold.criteria import CRITERIA_BY_KEY, Answers
from scaffold.frameworks import FRAMEWORKS, Framework

DJANGO, FLASK, FASTAPI = Framework.DJANGO, Framework.FLASK, Framework.FASTAPI

#: How many answers a recommendation names as decisive, at most.
MAX_REASONS = 5


@dataclass(frozen=True)
class Weight:
    """Points one answer gives one framework, why, and the sources that say so."""

    criterion: str
    answer: str
    framework: Framework
    points: int
    reason: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    """A criterion whose answer counts only when another answer makes it meaningful."""

    criterion: str
    requires: str
    values: tuple[str, ...]
    reason: str
    sources: tuple[str, ...]

    def applies(self, answers: Mapping[str, str]) -> bool:
        """True when ``answers`` let the criterion count."""
        return answers[self.requires] in self.values


def _w(
    criterion: str, answer: str, framework: Framework, points: int, reason: str, *sources: str
) -> Weight:
    return Weight(criterion, answer, framework, points, reason, sources)


# fmt: off
WEIGHTS: tuple[Weight, ...] = (
    # size: Django pays off at scale; Flask is aimed at prototypes and small to medium projects.
    _w("size", "prototype", DJANGO, -2, "Django's many built-in parts are overhead for a prototype", "mind2i: Django, disadvantages 1", "qcerris", "pycharm"),
    _w("size", "prototype", FLASK, 3, "Flask is made for prototypes: minimal and quick to start", "mind2i: Flask, advantages 5", "pycharm", "fatcatcoders", "onlinestudy24"),
    _w("size", "small", DJANGO, -1, "Django's extensive features are overhead for a small project", "mind2i: Django, disadvantages 1", "qcerris", "pycharm"),
    _w("size", "small", FLASK, 2, "Flask is aimed at small and medium-sized projects", "mind2i: Flask, introduction", "onlinestudy24", "fatcatcoders"),
    _w("size", "medium", FLASK, 1, "Flask still fits a medium-sized project", "mind2i: Flask, introduction", "onlinestudy24"),
    _w("size", "large", DJANGO, 3, "Django is suited to large and enterprise-scale applications", "mind2i: Django, advantages 5; conclusion", "django-home", "mdn-django", "fatcatcoders", "onlinestudy24"),
    _w("size", "large", FLASK, -1, "Flask's freedom tends to give a large codebase an inconsistent structure", "mind2i: Flask, disadvantages 3", "qcerris"),
    # complexity: Django is the choice for complex, feature-rich applications.
    _w("complexity", "simple", DJANGO, -1, "Django's breadth is more than a simple application needs", "mind2i: Django, disadvantages 1", "pycharm"),
    _w("complexity", "simple", FLASK, 1, "Flask's minimal core keeps a simple application simple", "mind2i: Flask, advantages 1", "fastapi-alternatives: Flask"),
    _w("complexity", "complex", DJANGO, 2, "Django is made for complex, feature-rich applications", "mind2i: Django, introduction", "mdn-django", "fatcatcoders", "hamzabilal"),
    _w("complexity", "complex", FLASK, -1, "Flask leaves more features to implement by hand", "mind2i: Flask, disadvantages 2", "fatcatcoders"),
    # app_type: FastAPI is an API framework; Django and Flask render pages with templates.
    _w("app_type", "api", DJANGO, -1, "Django was built to render HTML; a JSON API needs an add-on such as Django REST framework", "fastapi-alternatives: Django", "aimadetools", "upsonic"),
    _w("app_type", "api", FLASK, 1, "Flask is a good base for small APIs", "mind2i: Flask, advantages 5", "onlinestudy24", "hamon"),
    _w("app_type", "api", FASTAPI, 3, "FastAPI is built for APIs, from routing to responses", "mind2i: FastAPI, introduction", "fastapi-features", "pycharm", "aimadetools", "upsonic", "hamzabilal"),
    _w("app_type", "both", DJANGO, 1, "Django renders pages and, with Django REST framework, serves an API from one project", "mdn-django", "pycharm", "upsonic"),
    _w("app_type", "both", FLASK, 1, "Flask renders Jinja2 pages and returns JSON with little ceremony", "mind2i: Flask, introduction", "hamon"),
    _w("app_type", "web", DJANGO, 3, "Django's model-view-template design is built for server-rendered sites", "mind2i: Django, introduction", "fastapi-alternatives: Django", "mdn-django", "aimadetools"),
    _w("app_type", "web", FLASK, 2, "Flask renders pages with the Jinja2 template engine", "mind2i: Flask, introduction", "hamon"),
    _w("app_type", "web", FASTAPI, -4, "FastAPI is an API framework; its pages need a template engine added by hand", "fastapi-features", "fastapi-templates", "fastapi-alternatives", "pycharm"),
    # builtins: Django ships ORM, admin and accounts; the others leave them to third-party packages.
    _w("builtins", "yes", DJANGO, 4, "Django ships an ORM, an admin site and user accounts", "mind2i: Django, introduction; advantages 2", "mdn-django", "hamzabilal", "aimadetools", "upsonic", "kirweb", "ijazkhan"),
    _w("builtins", "yes", FLASK, -2, "Flask has no ORM, admin or user accounts of its own; extensions add them", "mind2i: Flask, disadvantages 1", "flask-readme", "fatcatcoders"),
    _w("builtins", "yes", FASTAPI, -2, "FastAPI has no ORM, admin or user accounts of its own", "mind2i: FastAPI, disadvantages 2", "hamzabilal", "aimadetools", "upsonic"),
    _w("builtins", "no", DJANGO, -1, "Django's built-in parts would be weight you do not use", "mind2i: Django, disadvantages 1", "upsonic"),
    _w("builtins", "no", FLASK, 1, "Flask gives you the basics and leaves the rest to you", "mind2i: Flask, introduction", "flask-readme"),
    _w("builtins", "no", FASTAPI, 1, "FastAPI lets you pick the database and account libraries yourself", "upsonic", "kirweb"),
    # performance: FastAPI is the choice for high-load applications.
    _w("performance", "high", DJANGO, -1, "Django's extra layers cost some throughput", "onlinestudy24", "kirweb"),
    _w("performance", "high", FASTAPI, 3, "FastAPI is the fastest of the three, a go-to choice for high-load applications", "mind2i: FastAPI, advantages 1; conclusion", "fastapi-features", "hamon", "stxnext", "pycharm"),
    # concurrency: async pays off with many concurrent connections, and only then.
    _w("concurrency", "low", FASTAPI, -1, "Async programming adds little when high concurrency is not needed", "mind2i: FastAPI, disadvantages 3", "flask-async: performance"),
    _w("concurrency", "high", FLASK, -1, "Flask ties up one worker per request, even in async views", "flask-async: performance; when to use Quart instead"),
    _w("concurrency", "high", FASTAPI, 3, "FastAPI runs on asyncio natively, made for many concurrent connections", "mind2i: FastAPI, advantages 2; conclusion", "flask-async: when to use Quart instead", "hamzabilal", "ijazkhan", "upsonic"),
    # experience: Flask is easiest to learn; Django's learning curve is the steepest.
    _w("experience", "beginner", DJANGO, -2, "Django's learning curve is the steepest of the three for beginners", "mind2i: Django, disadvantages 3", "onlinestudy24", "medalcode"),
    _w("experience", "beginner", FLASK, 2, "Flask is minimal and the easiest of the three to learn", "mind2i: Flask, advantages 1", "onlinestudy24", "medalcode"),
    _w("experience", "expert", DJANGO, 1, "An experienced team gets the most out of Django's high-level abstractions", "mind2i: Django, advantages 2; disadvantages 3"),
    _w("experience", "expert", FASTAPI, 1, "An experienced team makes good use of FastAPI's async code and type hints", "mind2i: FastAPI, advantages 2-3", "hamzabilal"),
    # structure: Django prescribes a layout; Flask and FastAPI leave it to you.
    _w("structure", "conventions", DJANGO, 2, "Django prescribes a project layout (the 'Django way')", "mind2i: Django, introduction", "onlinestudy24", "ijazkhan"),
    _w("structure", "conventions", FLASK, -1, "Flask's flexibility can lead to inconsistent project structures", "mind2i: Flask, disadvantages 3", "flask-readme"),
    _w("structure", "conventions", FASTAPI, -1, "FastAPI, like Flask, prescribes no project layout", "mind2i: Django, disadvantages 2", "qcerris"),
    _w("structure", "freedom", DJANGO, -1, "Django is less flexible than Flask and FastAPI", "mind2i: Django, disadvantages 2", "medalcode"),
    _w("structure", "freedom", FLASK, 2, "Flask lets you organise the code the way you prefer", "mind2i: Flask, advantages 3", "flask-readme", "onlinestudy24"),
    _w("structure", "freedom", FASTAPI, 2, "FastAPI leaves the project layout to you as well", "mind2i: Django, disadvantages 2", "kirweb"),
    # api_docs: validation and interactive docs come with FastAPI (only for projects with an API).
    _w("api_docs", "yes", FLASK, -1, "Flask has no request validation or API docs of its own; extensions add them", "stxnext", "hamon"),
    _w("api_docs", "yes", FASTAPI, 4, "FastAPI validates requests with Pydantic and serves Swagger UI and ReDoc docs from type hints", "mind2i: FastAPI, advantages 3-4", "fastapi-features", "stxnext", "hamon", "hamzabilal", "aimadetools", "upsonic"),
)
# fmt: on

CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "api_docs",
        requires="app_type",
        values=("api", "both"),
        reason="a site that only serves pages has no API to validate or document",
        sources=("fastapi-features", "stxnext"),
    ),
)

#: Where each framework is strong: moving an answer towards this value (along the
#: order of the question's choices) never hurts the framework. Flask and FastAPI
#: share two strengths, so those answers never separate them.
STRENGTHS: Mapping[Framework, Mapping[str, str]] = {
    DJANGO: {
        "size": "large",
        "complexity": "complex",
        "app_type": "web",
        "builtins": "yes",
        "structure": "conventions",
    },
    FLASK: {
        "size": "prototype",
        "complexity": "simple",
        "builtins": "no",
        "experience": "beginner",
        "structure": "freedom",
    },
    FASTAPI: {
        "app_type": "api",
        "builtins": "no",
        "performance": "high",
        "concurrency": "high",
        "api_docs": "yes",
        "structure": "freedom",
    },
}

#: Ties are decided by the first of these criteria that gives the tied frameworks
#: different points: what the project serves first, then whether it wants
#: Django's parts, then the order in which the article's conclusion weighs the
#: rest (size, complexity, performance, the team's expertise).
TIE_BREAK_ORDER: tuple[str, ...] = (
    "app_type",
    "builtins",
    "size",
    "complexity",
    "performance",
    "concurrency",
    "experience",
    "api_docs",
    "structure",
)

TIE_BREAK_RULE = (
    "equal scores are decided by the first answer, in the order "
    + ", ".join(TIE_BREAK_ORDER)
    + ", that gives the tied frameworks different points"
)

_BY_ANSWER: Mapping[tuple[str, str, Framework], Weight] = {
    (weight.criterion, weight.answer, weight.framework): weight for weight in WEIGHTS
}
_CONDITION_OF: Mapping[str, Condition] = {
    condition.criterion: condition for condition in CONDITIONS
}


def weight_for(criterion: str, answer: str, framework: Framework) -> Weight | None:
    """The table row for this answer and framework, or None when it gives no points."""
    return _BY_ANSWER.get((criterion, answer, framework))


def counts(criterion: str, answers: Mapping[str, str]) -> bool:
    """True when the answer to ``criterion`` counts, given the other answers."""
    condition = _CONDITION_OF.get(criterion)
    return condition is None or condition.applies(answers)


def points(answers: Mapping[str, str], criterion: str, framework: Framework) -> int:
    """Points the answer to ``criterion`` gives ``framework`` within ``answers``."""
    weight = weight_for(criterion, answers[criterion], framework)
    return weight.points if weight and counts(criterion, answers) else 0


def breakdown(answers: Answers) -> dict[str, dict[Framework, int]]:
    """Every answer's points for every framework: the whole score, itemised."""
    return {key: {fw: points(answers, key, fw) for fw in Framework} for key in answers}


def scores(answers: Answers) -> dict[Framework, int]:
    """Each framework's total points for these answers."""
    return _totals(breakdown(answers))


def _totals(table: Mapping[str, Mapping[Framework, int]]) -> dict[Framework, int]:
    return {fw: sum(row[fw] for row in table.values()) for fw in Framework}


@dataclass(frozen=True)
class Tie:
    """Frameworks that share the top score, and the answer that separated them."""

    frameworks: tuple[Framework, ...]
    #: The criterion whose answer decided the tie between the winner and the runner-up.
    decided_by: str


@dataclass(frozen=True)
class Alternative:
    """A framework that did not win, with what it would have offered."""

    framework: Framework
    score: int
    offers: str
    #: The answers that give it more points than the winner, explained.
    reasons: tuple[str, ...]
    #: The criteria of those answers, in the same order.
    strengths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recommendation:
    """The winning framework, every score, and the answers that decided it."""

    framework: Framework
    scores: Mapping[Framework, int]
    reasons: tuple[str, ...]
    alternatives: tuple[Alternative, ...]
    answers: Answers
    #: Every framework, best first (ties already broken).
    ranking: tuple[Framework, ...] = ()
    #: Points per answer and framework; they add up to :attr:`scores`.
    points: Mapping[str, Mapping[Framework, int]] = field(default_factory=dict)
    #: Answers that give another framework more points than the winner: what you give up.
    trade_offs: tuple[str, ...] = ()
    #: Set when the winner shared the top score.
    tie: Tie | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``scaffold recommend --json``: enough to audit the decision."""
        return {
            "framework": self.framework.value,
            "scores": {framework.value: score for framework, score in self.scores.items()},
            "reasons": list(self.reasons),
            "answers": dict(self.answers),
            "ranking": [framework.value for framework in self.ranking],
            "points": {
                key: {
                    "answer": self.answers[key],
                    "counts": counts(key, self.answers),
                    "points": {fw.value: n for fw, n in row.items()},
                }
                for key, row in self.points.items()
            },
            "trade_offs": list(self.trade_offs),
            "alternatives": [
                {
                    "framework": alternative.framework.value,
                    "score": alternative.score,
                    "offers": alternative.offers,
                    "strengths": list(alternative.strengths),
                    "reasons": list(alternative.reasons),
                }
                for alternative in self.alternatives
            ],
            "tie_break": {
                "rule": TIE_BREAK_RULE,
                "order": list(TIE_BREAK_ORDER),
                "tied": [fw.value for fw in self.tie.frameworks] if self.tie else [],
                "decided_by": self.tie.decided_by if self.tie else None,
            },
            "strengths": {fw.value: dict(strong) for fw, strong in STRENGTHS.items()},
        }


def rank(answers: Answers) -> tuple[Framework, ...]:
    """The frameworks, best first: by score, then by the tie-break answers in order."""
    return _rank(breakdown(answers))


def _rank(table: Mapping[str, Mapping[Framework, int]]) -> tuple[Framework, ...]:
    totals = _totals(table)

    def key(framework: Framework) -> tuple[int, ...]:
        return (totals[framework], *(table[key][framework] for key in TIE_BREAK_ORDER))

    # Every pair of frameworks differs on app_type or builtins (a test checks it), so
    # the key never leaves two frameworks equal and the ranking never falls back on
    # the enum order.
    return tuple(sorted(Framework, key=key, reverse=True))


def recommend(answers: Answers) -> Recommendation:
    """Pick the framework that fits ``answers`` best and explain the choice."""
    table = breakdown(answers)
    totals = _totals(table)
    ranking = _rank(table)
    winner, runner_up = ranking[0], ranking[1]
    tie = _tie(totals, ranking, table)
    reasons = _decisive_reasons(answers, table, winner, runner_up)
    if tie:
        reasons = (_tie_reason(answers, table, tie, totals[winner]), *reasons)
    alternatives = []
    for framework in ranking[1:]:
        better = _compare(answers, table, framework, winner)
        alternatives.append(
            Alternative(
                framework,
                totals[framework],
                FRAMEWORKS[framework].offers,
                reasons=tuple(text for _, text in better),
                strengths=tuple(key for key, _ in better),
            )
        )
    return Recommendation(
        framework=winner,
        scores=totals,
        reasons=reasons[:MAX_REASONS],
        alternatives=tuple(alternatives),
        answers=answers,
        ranking=ranking,
        points=table,
        trade_offs=_trade_offs(answers, table, ranking),
        tie=tie,
    )


def losses(
    recommendation: Recommendation, chosen: Framework, *, among: Iterable[str] | None = None
) -> tuple[str, ...]:
    """What choosing ``chosen`` over the recommendation gives up, by the user's own answers.

    One line per answer that gives the recommended framework more points than
    ``chosen``, largest difference first, said from ``chosen``'s side where it has a
    penalty ("FastAPI has no ORM, admin or user accounts of its own"). ``among``
    limits the answers to those criteria. Empty when ``chosen`` is the recommendation.
    """
    if chosen == recommendation.framework:
        return ()
    keys = set(recommendation.points if among is None else among)
    table = {key: row for key, row in recommendation.points.items() if key in keys}
    compared = _compare(
        recommendation.answers, table, recommendation.framework, chosen, penalty_first=True
    )
    return tuple(text for _, text in compared)


def _label(criterion: str, answer: str) -> str:
    return CRITERIA_BY_KEY[criterion].label_of(answer)


def _signed(framework: Framework, value: int) -> str:
    """``Django +4``, ``Flask -1``, ``FastAPI 0``: one answer's points."""
    return (
        f"{FRAMEWORKS[framework].label} {value:+d}" if value else f"{FRAMEWORKS[framework].label} 0"
    )


def _explain(
    answers: Mapping[str, str],
    better: Framework,
    worse: Framework,
    key: str,
    *,
    penalty_first: bool = False,
) -> str:
    """Why ``key``'s answer favours ``better`` over ``worse``, with both frameworks' points.

    The better framework's own reason explains it when the answer gives it points,
    else the worse framework's penalty does; ``penalty_first`` reverses the preference
    (to say what a framework lacks).
    """
    answer = answers[key]
    own = weight_for(key, answer, better)
    penalty = weight_for(key, answer, worse)
    candidates = [
        own if own and own.points > 0 else None,
        penalty if penalty and penalty.points < 0 else None,
    ]
    if penalty_first:
        candidates.reverse()
    chosen = next(weight for weight in candidates if weight is not None)
    first = points(answers, key, better)
    second = points(answers, key, worse)
    return (
        f"{_label(key, answer)}: {chosen.reason} "
        f"({_signed(better, first)}, {_signed(worse, second)})"
    )


def _compare(
    answers: Mapping[str, str],
    table: Mapping[str, Mapping[Framework, int]],
    better: Framework,
    worse: Framework,
    *,
    penalty_first: bool = False,
) -> list[tuple[str, str]]:
    """Answers that give ``better`` more points than ``worse``, largest margin first, explained."""
    ranked = sorted(
        (-(row[better] - row[worse]), order, key)
        for order, (key, row) in enumerate(table.items())
        if row[better] > row[worse]
    )
    return [
        (key, _explain(answers, better, worse, key, penalty_first=penalty_first))
        for _, _, key in ranked
    ]


def _decisive_reasons(
    answers: Mapping[str, str],
    table: Mapping[str, Mapping[Framework, int]],
    winner: Framework,
    runner_up: Framework,
) -> tuple[str, ...]:
    """The answers that give the winner more points than the runner-up and no fewer than any.

    An answer that favours the third framework even more is a trade-off, not a reason.
    """
    return tuple(
        text
        for key, text in _compare(answers, table, winner, runner_up)
        if table[key][winner] == max(table[key].values())
    )


def _trade_offs(
    answers: Mapping[str, str],
    table: Mapping[str, Mapping[Framework, int]],
    ranking: tuple[Framework, ...],
) -> tuple[str, ...]:
    """Answers that count against the winner: another framework gets more points from them.

    Each answer appears once, set against the framework it favours most (the
    higher-ranked one when two gain equally).
    """
    winner, *others = ranking
    ranked = []
    for order, (key, row) in enumerate(table.items()):
        best = max(others, key=row.__getitem__)
        if row[best] > row[winner]:
            ranked.append((-(row[best] - row[winner]), order, _explain(answers, best, winner, key)))
    return tuple(text for *_, text in sorted(ranked))


def _tie(
    totals: Mapping[Framework, int],
    ranking: tuple[Framework, ...],
    table: Mapping[str, Mapping[Framework, int]],
) -> Tie | None:
    winner, runner_up = ranking[0], ranking[1]
    if totals[winner] != totals[runner_up]:
        return None
    tied = tuple(fw for fw in ranking if totals[fw] == totals[winner])
    decided_by = next(key for key in TIE_BREAK_ORDER if table[key][winner] != table[key][runner_up])
    return Tie(tied, decided_by)


def _tie_reason(
    answers: Mapping[str, str],
    table: Mapping[str, Mapping[Framework, int]],
    tie: Tie,
    score: int,
) -> str:
    """Say that the top score is shared, and which answer broke the tie and how."""
    winner, runner_up = tie.frameworks[0], tie.frameworks[1]
    names = [FRAMEWORKS[fw].label for fw in tie.frameworks]
    together = (
        f"{names[0]} and {names[1]} both score"
        if len(names) == 2
        else f"{', '.join(names[:-1])} and {names[-1]} all score"
    )
    key = tie.decided_by
    return (
        f"Tie: {together} {score}; ties go to the framework favoured by the "
        f"first answer that separates them (in the order {', '.join(TIE_BREAK_ORDER)}): "
        f"{_label(key, answers[key])} gives {_signed(winner, table[key][winner])}, "
        f"{_signed(runner_up, table[key][runner_up])}"
    )
