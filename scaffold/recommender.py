"""The recommendation model: one table of weights and a pure function over it.

Each row of :data:`WEIGHTS` gives points to one framework for one answer, and
names the place in the article the row comes from (section, list, item), so a
reader can check every number. A framework's score is the sum of its points
over the answers; the highest score wins, ties go by :data:`TIE_BREAK_ORDER`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scaffold.criteria import CRITERIA, Answers
from scaffold.frameworks import FRAMEWORKS, TIE_BREAK_ORDER, Framework

DJANGO, FLASK, FASTAPI = Framework.DJANGO, Framework.FLASK, Framework.FASTAPI

#: How many answers a recommendation names as decisive, at most.
MAX_REASONS = 5


@dataclass(frozen=True)
class Weight:
    """Points one answer gives one framework, why, and where the article says so."""

    criterion: str
    answer: str
    framework: Framework
    points: int
    reason: str
    source: str


# fmt: off
WEIGHTS: tuple[Weight, ...] = (
    # size: Django pays off at scale, Flask is aimed at small and medium projects.
    Weight("size", "prototype", FLASK, 2, "Flask is light and quick to start, made for prototypes", "Flask, advantages 5"),
    Weight("size", "prototype", DJANGO, -1, "Django's many parts are overhead for a prototype", "Django, disadvantages 1"),
    Weight("size", "small", FLASK, 2, "Flask is aimed at small and medium-sized projects", "Flask, introduction; advantages 5"),
    Weight("size", "small", DJANGO, -1, "Django's many parts are overhead for a small project", "Django, disadvantages 1"),
    Weight("size", "medium", FLASK, 1, "Flask still fits a medium-sized project", "Flask, introduction"),
    Weight("size", "large", DJANGO, 3, "Django is suited to large and enterprise-level applications", "Django, advantages 5; conclusion"),
    Weight("size", "large", FLASK, -1, "Flask's freedom tends to give large codebases inconsistent structure", "Flask, disadvantages 3"),
    # complexity: Django is the choice for complex, feature-rich applications.
    Weight("complexity", "simple", FLASK, 1, "Flask's minimal core keeps a simple application simple", "Flask, advantages 1"),
    Weight("complexity", "simple", DJANGO, -1, "Django's breadth is more than a simple application needs", "Django, disadvantages 1"),
    Weight("complexity", "complex", DJANGO, 2, "Django is made for complex, feature-rich applications", "Django, introduction"),
    Weight("complexity", "complex", FLASK, -1, "Flask leaves more features to implement by hand", "Flask, disadvantages 2"),
    # app_type: FastAPI is an API framework; Django and Flask render pages with templates.
    Weight("app_type", "api", FASTAPI, 2, "FastAPI is designed for APIs, with validation and docs from type hints", "FastAPI, introduction; advantages 3-4"),
    Weight("app_type", "api", FLASK, 1, "Flask is a good base for building APIs", "Flask, advantages 5"),
    Weight("app_type", "web", DJANGO, 2, "Django's Model-View-Template pattern is built for server-rendered sites", "Django, introduction"),
    Weight("app_type", "web", FLASK, 1, "Flask renders pages with the Jinja2 template engine", "Flask, introduction"),
    Weight("app_type", "both", DJANGO, 1, "Django covers pages and, with add-ons, APIs in one framework", "Django, introduction; advantages 4"),
    Weight("app_type", "both", FLASK, 1, "Flask handles both pages and APIs with little ceremony", "Flask, introduction; advantages 5"),
    # builtins: Django ships ORM, admin and auth; the others rely on third-party packages.
    Weight("builtins", "yes", DJANGO, 3, "Django ships an ORM, an admin interface and authentication", "Django, introduction; advantages 2"),
    Weight("builtins", "yes", FLASK, -1, "Flask needs third-party extensions for ORM, admin and auth", "Flask, disadvantages 1"),
    Weight("builtins", "yes", FASTAPI, -1, "FastAPI offers less built in than Django's batteries", "FastAPI, disadvantages 2"),
    Weight("builtins", "no", FLASK, 1, "Flask gives you the basic tools and nothing you did not ask for", "Flask, introduction"),
    Weight("builtins", "no", DJANGO, -1, "Django's built-in parts are weight you would not use", "Django, disadvantages 1"),
    # performance: FastAPI is the choice for high-load applications.
    Weight("performance", "high", FASTAPI, 3, "FastAPI is the fastest of the three, a go-to for high-load applications", "FastAPI, advantages 1; conclusion"),
    # concurrency: async pays off with many concurrent connections, and only then.
    Weight("concurrency", "high", FASTAPI, 3, "FastAPI supports asyncio natively for many concurrent connections", "FastAPI, advantages 2; conclusion"),
    Weight("concurrency", "low", FASTAPI, -1, "Async programming adds little when high concurrency is not needed", "FastAPI, disadvantages 3"),
    # experience: Flask is easy to learn; Django's learning curve is steep; FastAPI's community is younger.
    Weight("experience", "beginner", FLASK, 2, "Flask is minimal and easy to learn", "Flask, advantages 1"),
    Weight("experience", "beginner", DJANGO, -1, "Django's learning curve is steep for beginners", "Django, disadvantages 3"),
    Weight("experience", "beginner", FASTAPI, -1, "FastAPI is newer, with fewer learning resources and packages", "FastAPI, disadvantages 1"),
    Weight("experience", "expert", DJANGO, 1, "An experienced team gets the most from Django's high-level abstractions", "Django, advantages 2; disadvantages 3"),
    Weight("experience", "expert", FASTAPI, 1, "An experienced team makes good use of FastAPI's async and typing", "FastAPI, advantages 2-3"),
    # structure: Django prescribes a way; Flask (and FastAPI) leave the layout to you.
    Weight("structure", "conventions", DJANGO, 2, "Django prescribes a structure (the 'Django way')", "Django, introduction"),
    Weight("structure", "conventions", FLASK, -1, "Flask's freedom can lead to inconsistent project structures", "Flask, disadvantages 3"),
    Weight("structure", "freedom", FLASK, 2, "Flask imposes no project structure", "Flask, advantages 2-3; conclusion"),
    Weight("structure", "freedom", FASTAPI, 1, "FastAPI, like Flask, is more flexible than Django", "Django, disadvantages 2"),
    Weight("structure", "freedom", DJANGO, -1, "Django is less flexible than the microframeworks", "Django, disadvantages 2"),
    # api_docs: validation and interactive docs come with FastAPI.
    Weight("api_docs", "yes", FASTAPI, 3, "FastAPI validates requests with Pydantic and serves Swagger UI and ReDoc docs", "FastAPI, advantages 3-4"),
)
# fmt: on


_BY_ANSWER: Mapping[tuple[str, str, Framework], Weight] = {
    (weight.criterion, weight.answer, weight.framework): weight for weight in WEIGHTS
}


def points(criterion: str, answer: str, framework: Framework) -> int:
    """Points the answer ``answer`` to ``criterion`` gives ``framework`` (0 when none)."""
    weight = _BY_ANSWER.get((criterion, answer, framework))
    return weight.points if weight else 0


def _weight(criterion: str, answer: str, framework: Framework) -> Weight | None:
    return _BY_ANSWER.get((criterion, answer, framework))


@dataclass(frozen=True)
class Alternative:
    """A framework that did not win, with what it would have offered."""

    framework: Framework
    score: int
    offers: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Recommendation:
    """The winning framework, every score, and the answers that decided it."""

    framework: Framework
    scores: Mapping[Framework, int]
    reasons: tuple[str, ...]
    alternatives: tuple[Alternative, ...]
    answers: Answers

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``scaffold recommend --json``."""
        return {
            "framework": self.framework.value,
            "scores": {framework.value: score for framework, score in self.scores.items()},
            "reasons": list(self.reasons),
            "answers": dict(self.answers),
        }


def scores(answers: Answers) -> dict[Framework, int]:
    """Each framework's total points for these answers, in tie-break order."""
    return {
        framework: sum(points(key, answer, framework) for key, answer in answers.items())
        for framework in TIE_BREAK_ORDER
    }


def recommend(answers: Answers) -> Recommendation:
    """Pick the framework that fits ``answers`` best and explain the choice."""
    totals = scores(answers)
    # sorted() is stable, so equal scores keep TIE_BREAK_ORDER.
    ranking = sorted(totals, key=lambda framework: -totals[framework])
    winner, runner_up = ranking[0], ranking[1]
    reasons = _decisive_reasons(answers, winner, runner_up)
    if totals[winner] == totals[runner_up]:
        reasons = (
            f"{FRAMEWORKS[winner].label} and {FRAMEWORKS[runner_up].label} score the same; "
            f"the tie goes to {FRAMEWORKS[winner].label}, which brings more of its own parts",
            *reasons,
        )[:MAX_REASONS]
    alternatives = tuple(
        Alternative(
            framework,
            totals[framework],
            FRAMEWORKS[framework].offers,
            _strengths(answers, framework),
        )
        for framework in ranking[1:]
    )
    return Recommendation(winner, totals, reasons, alternatives, answers)


def _explain(criterion: str, answer: str, weight: Weight) -> str:
    label = next(q for q in CRITERIA if q.key == criterion).label_of(answer)
    return f"{label}: {weight.reason}"


def _decisive_reasons(answers: Answers, winner: Framework, runner_up: Framework) -> tuple[str, ...]:
    """The answers that separate the winner from the runner-up, strongest first.

    An answer is decisive when it gives the winner more points than the runner-up;
    it is explained by the winner's own weight when positive, else by the
    runner-up's penalty. When fewer than two answers separate them, the answers
    that favour the winner outright fill in.
    """
    ranked: list[tuple[int, int, str]] = []
    for order, (criterion, answer) in enumerate(answers.items()):
        margin = points(criterion, answer, winner) - points(criterion, answer, runner_up)
        own = _weight(criterion, answer, winner)
        explanation = own if own and own.points > 0 else _weight(criterion, answer, runner_up)
        if margin > 0 and explanation:
            ranked.append((-margin, order, _explain(criterion, answer, explanation)))
    reasons = [text for _, _, text in sorted(ranked)]
    if len(reasons) < 2:
        for text in _strengths(answers, winner):
            if text not in reasons:
                reasons.append(text)
    return tuple(reasons[:MAX_REASONS])


def _strengths(answers: Answers, framework: Framework, limit: int = 3) -> tuple[str, ...]:
    """The answers that give ``framework`` points, most points first."""
    ranked = []
    for order, (criterion, answer) in enumerate(answers.items()):
        weight = _weight(criterion, answer, framework)
        if weight and weight.points > 0:
            ranked.append((-weight.points, order, _explain(criterion, answer, weight)))
    return tuple(text for _, _, text in sorted(ranked)[:limit])
