"""The framework decision a project keeps: a short decision record and the answers behind it.

Every project gets ``docs/decisions/0001-framework.md`` (what was asked, the
scores, the reasons, the runner-up, and whether the recommendation was
overridden) and ``.scaffold-answers.yml`` (the criteria answers and the chosen
framework, readable again with ``--data-file``). Both are pure functions of a
:class:`Decision`; the record is a list of sections, so a new section is one
more function in :data:`SECTIONS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Protocol

from scaffold.criteria import CRITERIA
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.recommender import Recommendation
from scaffold.report import format_points

RECORD_FILE = PurePosixPath("docs/decisions/0001-framework.md")
CRITERIA_FILE = PurePosixPath(".scaffold-answers.yml")


class How(StrEnum):
    """How a project's framework was chosen."""

    #: The recommendation of the criteria answers, accepted.
    RECOMMENDED = "recommended"
    #: Another framework than the one the criteria answers recommend.
    OVERRIDDEN = "overridden"
    #: Given directly (``--framework``, a data file, ``framework=``), no criteria answered.
    DIRECT = "direct"


def how_chosen(framework: Framework, recommendation: Recommendation | None) -> How:
    """How ``framework`` relates to the recommendation it was chosen against, if any."""
    if recommendation is None:
        return How.DIRECT
    return How.RECOMMENDED if recommendation.framework == framework else How.OVERRIDDEN


class Decision(Protocol):
    """What the record is written from: a :class:`~scaffold.plan.ProjectPlan` is one."""

    @property
    def framework(self) -> Framework:
        """The framework the project uses."""

    @property
    def recommendation(self) -> Recommendation | None:
        """The recommendation it was chosen against; None when given directly."""


@dataclass(frozen=True)
class RecordContext:
    """What the record says about its making, besides the decision."""

    project: str
    date: str
    scaffold_version: str


Section = Callable[[Decision, RecordContext], list[str]]


def _label(framework: Framework) -> str:
    return FRAMEWORKS[framework].label


def _title(decision: Decision, context: RecordContext) -> list[str]:
    label = _label(decision.framework)
    chosen = how_chosen(decision.framework, decision.recommendation)
    if decision.recommendation is None:
        how = f"{label} was chosen directly; no criteria were answered"
    elif chosen is How.OVERRIDDEN:
        recommended = _label(decision.recommendation.framework)
        how = f"{label} was chosen over the recommended {recommended}"
    else:
        how = f"{label} was recommended and accepted"
    return [
        f"# 1. Use {label} as the web framework",
        "",
        "- Status: accepted",
        f"- Date: {context.date}",
        f"- Project: {context.project}, created with scaffold {context.scaffold_version}",
        f"- How: {how}",
        f"- Overridden: {'yes' if chosen is How.OVERRIDDEN else 'no'}",
    ]


def _answers(decision: Decision, context: RecordContext) -> list[str]:
    if decision.recommendation is None:
        return [
            "## Context",
            "",
            f"The framework was given on the command line (`--framework {decision.framework}`)",
            "or in a data file, so scaffold's questionnaire was not used.",
        ]
    answers = decision.recommendation.answers
    rows = [
        f"| {question.message} | {question.label_of(answers[question.key])} "
        f"(`{question.key}={answers[question.key]}`) |"
        for question in CRITERIA
    ]
    return [
        "## Context",
        "",
        f"How the project was described ({CRITERIA_FILE} holds the same answers):",
        "",
        "| question | answer |",
        "|---|---|",
        *rows,
    ]


def _scores(decision: Decision, context: RecordContext) -> list[str]:
    if decision.recommendation is None:
        return []
    recommendation = decision.recommendation
    ranked = sorted(recommendation.scores.items(), key=lambda item: -item[1])
    rows = [
        f"| {_label(framework)} | {score} |"
        + (" recommended |" if framework == recommendation.framework else " |")
        for framework, score in ranked
    ]
    return ["## Scores", "", "| framework | points | |", "|---|---:|---|", *rows]


def _outcome(decision: Decision, context: RecordContext) -> list[str]:
    label = _label(decision.framework)
    if decision.recommendation is None:
        return ["## Decision", "", f"Use {label}."]
    recommendation = decision.recommendation
    reasons = [f"- {reason}" for reason in recommendation.reasons]
    if how_chosen(decision.framework, recommendation) is How.RECOMMENDED:
        return ["## Decision", "", f"Use {label}, as recommended, because:", "", *reasons]
    chosen = next(a for a in recommendation.alternatives if a.framework == decision.framework)
    recommended = _label(recommendation.framework)
    lines = [
        "## Decision",
        "",
        f"Use {label}, although {recommended} scored highest: the recommendation was",
        "overridden.",
    ]
    if chosen.reasons:
        lines += ["", f"What speaks for {label} with these answers:", ""]
        lines += [f"- {reason}" for reason in chosen.reasons]
    return [*lines, "", f"The reasons given for {recommended} were:", "", *reasons]


def _alternatives(decision: Decision, context: RecordContext) -> list[str]:
    if decision.recommendation is None:
        return []
    recommendation = decision.recommendation
    runner_up = recommendation.alternatives[0].framework
    roles = {recommendation.framework: "recommended", runner_up: "runner-up"}
    # The recommendation's own reasons are quoted under Decision already.
    entries: list[tuple[Framework, int, tuple[str, ...]]] = [
        (recommendation.framework, recommendation.scores[recommendation.framework], ()),
        *((other.framework, other.score, other.reasons) for other in recommendation.alternatives),
    ]
    lines = ["## Alternatives considered", ""]
    for framework, score, reasons in entries:
        if framework == decision.framework:
            continue
        role = roles.get(framework, "also considered")
        lines.append(
            f"- **{_label(framework)}** ({role}, {format_points(score)}): "
            f"{FRAMEWORKS[framework].offers}"
        )
        lines += [f"  - {reason}" for reason in reasons]
    return lines


#: The record, top to bottom; each section returns its lines (none to leave it out).
SECTIONS: tuple[Section, ...] = (_title, _answers, _scores, _outcome, _alternatives)


def decision_record(decision: Decision, context: RecordContext) -> str:
    """The Markdown text of ``docs/decisions/0001-framework.md``."""
    blocks = [section(decision, context) for section in SECTIONS]
    return "\n\n".join("\n".join(block) for block in blocks if block) + "\n"


def criteria_answers(decision: Decision) -> str:
    """The YAML text of ``.scaffold-answers.yml``: the framework and the criteria answers."""
    import yaml

    values: dict[str, str] = {"framework": decision.framework.value}
    if decision.recommendation is not None:
        values.update(decision.recommendation.answers)
    header = [
        "# The framework of this project and the answers to scaffold's questionnaire that",
        f"# chose it; {RECORD_FILE} explains the decision. Create a project",
        "# from the same answers with:",
        f"#   scaffold new NAME --data-file {CRITERIA_FILE} --data-file .copier-answers.yml",
    ]
    return "\n".join(header) + "\n" + yaml.safe_dump(values, sort_keys=False)
