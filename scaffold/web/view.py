"""What the page shows for a set of answers: the form's state, the recommendation, the file tree.

Pure functions over the library; the application (:mod:`scaffold.web.app`)
renders their results with Jinja2 templates, escaping every value.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from scaffold.criteria import CRITERIA_BY_KEY
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.options import conflict
from scaffold.plan import FRAMEWORK_KEY, ProjectPlan
from scaffold.recommender import Recommendation
from scaffold.web.selection import (
    DEFAULT_NAME,
    FORM_KEY,
    NAME_KEY,
    AnswersError,
    Field,
    Problem,
    exact_framework,
    form_answers,
    form_fields,
    recommendation_for,
    select,
)

#: The query key of the file shown in the preview; the page's own, not an answer.
FILE_KEY = "file"


@dataclass(frozen=True)
class PageState:
    """Everything the form and the recommendation show for one set of answers."""

    given: Mapping[str, str]
    #: The project's plan, or None while some answer is invalid.
    plan: ProjectPlan | None
    problems: tuple[Problem, ...]
    recommendation: Recommendation
    #: The framework asked for (when valid), else None: the recommendation decides.
    chosen: Framework | None
    fields: tuple[Field, ...]

    @property
    def framework(self) -> Framework:
        """The framework the options are shown for."""
        return self.chosen or self.recommendation.framework

    @property
    def name(self) -> str:
        """The project name, as given or the default."""
        return self.given.get(NAME_KEY, DEFAULT_NAME)

    @property
    def query(self) -> str:
        """The query string that restores these answers: the shareable part of the URL."""
        return urlencode(dict(self.given))

    def errors_of(self, key: str) -> list[str]:
        """The problems shown next to the field ``key``."""
        return [problem.message for problem in self.problems if problem.field == key]

    @property
    def unplaced(self) -> list[str]:
        """The problems that belong to no field of the page (an unknown key), shown above it."""
        keys = {NAME_KEY, FRAMEWORK_KEY, *CRITERIA_BY_KEY, *(item.key for item in self.fields)}
        return [problem.message for problem in self.problems if problem.field not in keys]

    def framework_notes(self) -> dict[str, str]:
        """Why a framework cannot be chosen with the project options given, by framework."""
        given = {}
        for item in self.fields:
            if item.key in self.given:
                with contextlib.suppress(ValueError):
                    given[item.key] = item.question.parse(self.given[item.key])
        return {
            framework.value: reason
            for framework in Framework
            if (reason := conflict(framework.value, given))
        }

    def to_json(self) -> dict[str, Any]:
        """The state of each form field, for the page's script."""
        return {
            "valid": self.plan is not None,
            "query": self.query,
            "framework": self.framework.value,
            "errors": [problem.to_json() for problem in self.problems],
            "recommended": FRAMEWORKS[self.recommendation.framework].label,
            "frameworks": self.framework_notes(),
            "fields": {
                item.key: {
                    "applies": item.applies,
                    "default": _text(item.question.default),
                    "unavailable": {
                        str(value): reason for value, reason in item.unavailable.items()
                    },
                }
                for item in self.fields
            },
        }


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def page_state(given: Mapping[str, str]) -> PageState:
    """Check the answers as the CLI would; whatever the outcome, say what the form shows."""
    plan: ProjectPlan | None = None
    problems: tuple[Problem, ...] = ()
    sent = {key: value for key, value in given.items() if key != FILE_KEY}
    # What the form sent for another framework is left out of what the page shows and links to.
    try:
        answers = form_answers(sent)
    except AnswersError as error:  # a form naming no framework: its answers as they came
        problems = tuple(error.fields)
        answers = {key: value for key, value in sent.items() if key != FORM_KEY}
    try:
        plan = select(answers)
    except AnswersError as error:
        problems += tuple(error.fields)
    if problems:
        plan = None
    # Shown even while the framework is given and answers are invalid.
    recommendation = recommendation_for(answers)
    chosen = None
    with contextlib.suppress(ValueError, KeyError):
        chosen = exact_framework(answers[FRAMEWORK_KEY])
    framework = chosen or recommendation.framework
    name = answers.get(NAME_KEY, DEFAULT_NAME)
    fields = tuple(form_fields(framework, name, answers))
    return PageState(answers, plan, problems, recommendation, chosen, fields)


def criteria_value(state: PageState, key: str) -> str:
    """The value a criterion's radio group shows: the one given, or the default."""
    question = CRITERIA_BY_KEY[key]
    given = state.given.get(key)
    try:
        return str(question.parse(given)) if given is not None else str(question.default)
    except ValueError:
        return str(question.default)


def field_value(state: PageState, item: Field) -> str:
    """The value an option's control shows: the one given (as typed), or its default."""
    if item.key in state.given:
        raw = state.given[item.key]
        if item.question.kind == "text":
            return raw
        with contextlib.suppress(ValueError):
            return _text(item.question.parse(raw))
        return raw
    return "" if item.question.kind == "text" else _text(item.question.default)


@dataclass
class Node:
    """A folder or a file of the preview tree."""

    name: str
    #: The file's path in the project; None for a folder.
    path: str | None = None
    size: int = 0
    children: list[Node] = field(default_factory=list)


def file_tree(files: Iterable[tuple[str, int]]) -> list[Node]:
    """The files as nested folders, folders first, each level sorted by name."""
    root = Node("")
    for path, size in files:
        *folders, name = path.split("/")
        parent = root
        for folder in folders:
            found = next((c for c in parent.children if c.path is None and c.name == folder), None)
            if found is None:
                found = Node(folder)
                parent.children.append(found)
            parent = found
        parent.children.append(Node(name, path, size))
    _sort(root)
    return root.children


def _sort(node: Node) -> None:
    node.children.sort(key=lambda child: (child.path is not None, child.name.lower()))
    for child in node.children:
        _sort(child)


def human_size(size: int) -> str:
    """A size as people read it: 812 B, 4.2 kB."""
    if size < 1000:
        return f"{size} B"
    return f"{size / 1000:.1f} kB"


def file_url(query: str, path: str) -> str:
    """The page URL that shows ``path`` in the preview, keeping the answers."""
    separator = "&" if query else ""
    return f"/?{query}{separator}{FILE_KEY}={quote(path, safe='/')}#viewer"
