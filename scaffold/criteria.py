"""The questions the recommendation is based on: the criteria of the article.

Keys and values are public interface (``--data size=large``, the JSON output),
so they never change meaning. Each help line restates, in our own words, why
the article says the answer matters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from scaffold.questions import Choice, Question


def _yes_no(key: str, message: str, help: str, default: str, yes: str, no: str) -> Question:
    """A yes/no criterion; the labels say what each answer means, since reasons quote them."""
    return Question(key, message, help, "choice", default, (Choice("yes", yes), Choice("no", no)))


CRITERIA: tuple[Question, ...] = (
    Question(
        "size",
        "How big will the project grow?",
        "A full-stack framework pays off in big applications and is overhead in small ones.",
        "choice",
        "small",
        (
            Choice("prototype", "Prototype or proof of concept"),
            Choice("small", "Small service or site"),
            Choice("medium", "Medium-sized application"),
            Choice("large", "Large or enterprise-scale application"),
        ),
    ),
    Question(
        "complexity",
        "How complex is the domain?",
        "Feature-rich applications with many models and workflows gain most from built-in parts.",
        "choice",
        "moderate",
        (
            Choice("simple", "Simple: a few endpoints or pages"),
            Choice("moderate", "Moderate"),
            Choice("complex", "Complex: many models, roles and workflows"),
        ),
    ),
    Question(
        "app_type",
        "What will it serve?",
        "FastAPI is built around APIs; Django and Flask also render HTML pages with templates.",
        "choice",
        "both",
        (
            Choice("api", "A JSON API only"),
            Choice("both", "Both pages and an API"),
            Choice("web", "Server-rendered web pages"),
        ),
    ),
    _yes_no(
        "builtins",
        "Do you need an ORM, an admin interface and user accounts out of the box?",
        "Django ships all three; with Flask or FastAPI you pick and wire third-party packages.",
        "no",
        yes="Yes, ORM, admin and accounts built in",
        no="No, I will pick my own libraries",
    ),
    Question(
        "performance",
        "How demanding is the load?",
        "Under heavy load FastAPI's speed stands out; for ordinary traffic all three are fine.",
        "choice",
        "standard",
        (
            Choice("standard", "Ordinary traffic"),
            Choice("high", "High load, throughput is critical"),
        ),
    ),
    Question(
        "concurrency",
        "Will it hold many simultaneous, I/O-bound connections?",
        "Async code (asyncio) helps with many concurrent waits and only adds friction otherwise.",
        "choice",
        "low",
        (
            Choice("low", "No, requests are short and few at a time"),
            Choice("high", "Yes: websockets, streaming, many outbound calls"),
        ),
    ),
    Question(
        "experience",
        "How experienced is the team with Python web development?",
        "Flask is the gentlest to learn; Django's breadth makes its learning curve the steepest.",
        "choice",
        "intermediate",
        (
            Choice("beginner", "Beginner"),
            Choice("intermediate", "Intermediate"),
            Choice("expert", "Expert"),
        ),
    ),
    Question(
        "structure",
        "Do you want a prescribed project structure, or freedom to organise the code?",
        "Django has a set way of doing things; Flask leaves the layout to you, good and bad.",
        "choice",
        "conventions",
        (
            Choice("conventions", "Prescribed conventions"),
            Choice("freedom", "Freedom to organise it my way"),
        ),
    ),
    _yes_no(
        "api_docs",
        "Do you want automatic request validation and interactive API docs?",
        "FastAPI derives validation and Swagger UI / ReDoc docs from type hints.",
        "no",
        yes="Yes, validated requests and interactive docs",
        no="No, not needed",
    ),
)

CRITERIA_BY_KEY: Mapping[str, Question] = {question.key: question for question in CRITERIA}


class Answers(Mapping[str, str]):
    """A complete, valid set of answers to the criteria, keyed by criterion.

    Missing keys take the documented defaults; unknown keys and invalid values
    raise ``ValueError``. Immutable and hashable, like the values it holds.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, object] | None = None) -> None:
        given = dict(values or {})
        if unknown := sorted(set(given) - set(CRITERIA_BY_KEY)):
            raise ValueError(f"unknown criteria: {', '.join(unknown)}")
        self._values = {
            question.key: str(question.parse(given.get(question.key, question.default)))
            for question in CRITERIA
        }

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __hash__(self) -> int:
        return hash(tuple(self._values.items()))

    def __repr__(self) -> str:
        return f"Answers({self._values!r})"

    def replace(self, **changes: str) -> Answers:
        """A copy with some answers changed."""
        return Answers({**self._values, **changes})

    @classmethod
    def defaults(cls) -> Answers:
        """The documented default answers."""
        return cls()
