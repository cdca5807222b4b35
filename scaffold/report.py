"""Text shown to people: the recommendation, the framework comparison, the next steps.

Pure functions from data to strings, so the wording is tested without a terminal.
Plain ASCII, so output survives any terminal encoding and CI log.
"""

from __future__ import annotations

import shlex
import textwrap

from scaffold.frameworks import COMPARISON_ROWS, FRAMEWORKS, TIE_BREAK_ORDER, Framework
from scaffold.recommender import Recommendation


def format_points(score: int) -> str:
    """``1 point``, ``3 points``."""
    return f"{score} point" if abs(score) == 1 else f"{score} points"


def score_line(recommendation: Recommendation) -> str:
    """All scores on one line, the winner first."""
    ranked = sorted(recommendation.scores.items(), key=lambda item: -item[1])
    return ", ".join(f"{FRAMEWORKS[framework].label} {score}" for framework, score in ranked)


def format_recommendation(recommendation: Recommendation) -> str:
    """The full recommendation: winner, scores, decisive answers, what the others offer."""
    winner = FRAMEWORKS[recommendation.framework]
    lines = [
        f"Recommended: {winner.label}",
        f"Scores: {score_line(recommendation)}",
        "",
        f"Why {winner.label}:",
        *(f"  - {reason}" for reason in recommendation.reasons),
    ]
    runner_up, *others = recommendation.alternatives
    lines += [
        "",
        f"Runner-up: {FRAMEWORKS[runner_up.framework].label} ({format_points(runner_up.score)})",
        *textwrap.wrap(runner_up.offers, 76, initial_indent="  ", subsequent_indent="  "),
        *(f"  - {reason}" for reason in runner_up.reasons),
    ]
    for other in others:
        lines += [
            "",
            f"Also considered: {FRAMEWORKS[other.framework].label} ({format_points(other.score)})",
            *textwrap.wrap(other.offers, 76, initial_indent="  ", subsequent_indent="  "),
        ]
    return "\n".join(lines)


def format_comparison(width: int = 100) -> str:
    """Django, Flask and FastAPI side by side, one row per aspect, wrapped to ``width``."""
    label_width = max(len(row) for row in COMPARISON_ROWS) + 2
    column = max(16, (width - label_width) // len(TIE_BREAK_ORDER) - 2)
    header = " " * label_width + "".join(
        FRAMEWORKS[framework].label.ljust(column + 2) for framework in TIE_BREAK_ORDER
    )
    lines = [header.rstrip(), "-" * min(width, label_width + (column + 2) * len(TIE_BREAK_ORDER))]
    for row in COMPARISON_ROWS:
        cells = [
            textwrap.wrap(FRAMEWORKS[framework].comparison[row], column)
            for framework in TIE_BREAK_ORDER
        ]
        for index in range(max(len(cell) for cell in cells)):
            text = row if index == 0 else ""
            line = text.ljust(label_width) + "".join(
                (cell[index] if index < len(cell) else "").ljust(column + 2) for cell in cells
            )
            lines.append(line.rstrip())
    return "\n".join(lines)


def format_next_steps(
    directory: str,
    framework: Framework,
    package: str,
    database: str,
    *,
    installed: bool = False,
    tested: bool = False,
) -> str:
    """The commands to install, test and run the new project, leaving out what was already done.

    ``installed`` means the venv exists and the one-time set-up commands ran.
    """
    info = FRAMEWORKS[framework]
    steps = [f"cd {shlex.quote(directory)}"]
    if installed:
        steps.append("source .venv/bin/activate")
    else:
        steps += ["python -m venv .venv && source .venv/bin/activate", "pip install -e '.[dev]'"]
    if not tested:
        steps.append("pytest")
    if not installed:
        steps += info.setup(package, database)
    steps.append(info.dev_command.format(port=8000, package=package))
    return "\n".join(
        [
            "Next steps:",
            *(f"  {step}" for step in steps),
            f"Then open http://127.0.0.1:8000{info.pages[0]} (health check: /health).",
        ]
    )
