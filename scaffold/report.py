"""Text shown to people: the recommendation, the framework comparison, the next steps.

Pure functions from data to strings, so the wording is tested without a terminal.
Text is wrapped to the width the caller gives (the terminal's), never inside a
word. Plain ASCII, so output survives any terminal encoding and CI log.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import textwrap
from collections.abc import Iterable, Mapping

from scaffold.criteria import CRITERIA, CRITERIA_BY_KEY
from scaffold.frameworks import COMPARISON_ROWS, FRAMEWORKS, Framework
from scaffold.questions import Value, format_value
from scaffold.recommender import Recommendation, losses

#: Width used when the caller knows none (files, pipes): a classic terminal.
DEFAULT_WIDTH = 80
#: Never wrap narrower than this, however small the terminal claims to be.
MIN_WIDTH = 40
#: Nor wider than this, however wide the terminal: long lines read badly.
MAX_WIDTH = 100


def terminal_width() -> int:
    """The width to wrap to: the terminal's (or $COLUMNS), within readable bounds."""
    return max(MIN_WIDTH, min(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, MAX_WIDTH))


def format_points(score: int) -> str:
    """A total score: ``1 point``, ``3 points``, ``-1 point``. The one format for scores."""
    return f"{score} point" if abs(score) == 1 else f"{score} points"


def framework_score(framework: Framework, score: int) -> str:
    """``Flask 3 points``: a framework with its total."""
    return f"{FRAMEWORKS[framework].label} {format_points(score)}"


def score_line(recommendation: Recommendation) -> str:
    """All scores on one line, best first."""
    return ", ".join(
        framework_score(framework, recommendation.scores[framework])
        for framework in recommendation.ranking
    )


def wrap(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    """``text`` wrapped to ``width``, words kept whole; ``first`` prefixes the first line."""
    return textwrap.wrap(
        text,
        max(width, MIN_WIDTH),
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def bullets(items: Iterable[str], width: int, indent: str = "  ") -> list[str]:
    """One ``- item`` per item, continuation lines aligned under the text."""
    lines: list[str] = []
    for item in items:
        lines += wrap(item, width, indent + "  ", first=indent + "- ")
    return lines


def format_recommendation(recommendation: Recommendation, width: int = DEFAULT_WIDTH) -> str:
    """The full recommendation: winner, scores, why, what you give up, the alternatives."""
    winner = FRAMEWORKS[recommendation.framework].label
    lines = [
        f"Recommended: {winner}",
        *wrap(f"Scores: {score_line(recommendation)}", width, "  "),
        "",
        f"Why {winner}:",
        *bullets(recommendation.reasons, width),
    ]
    if recommendation.trade_offs:
        lines += [
            "",
            f"What you give up with {winner}:",
            *bullets(recommendation.trade_offs, width),
        ]
    for position, alternative in enumerate(recommendation.alternatives):
        title = "Runner-up" if position == 0 else "Also considered"
        lines += [
            "",
            f"{title}: {framework_score(alternative.framework, alternative.score)}",
            *wrap(alternative.offers, width, "  "),
        ]
        if alternative.strengths:
            answers = recommendation.answers
            better = "; ".join(
                CRITERIA_BY_KEY[key].label_of(answers[key]) for key in alternative.strengths
            )
            lines += wrap(f"Does better than {winner} on: {better}", width, "  ")
    return "\n".join(lines)


def format_summary(recommendation: Recommendation, width: int = DEFAULT_WIDTH) -> str:
    """The short recommendation for runs without prompts: winner, scores, reasons."""
    label = FRAMEWORKS[recommendation.framework].label
    return "\n".join(
        [
            *wrap(f"Recommended: {label} ({score_line(recommendation)})", width, "  ", first=""),
            *bullets(recommendation.reasons, width),
        ]
    )


def warn_override(
    recommendation: Recommendation, chosen: Framework, among: Mapping[str, str] | None = None
) -> None:
    """Print, once, what the user's answers say choosing ``chosen`` gives up."""
    if warning := format_override(recommendation, chosen, terminal_width(), among=among):
        print(warning, file=sys.stderr)


def format_override(
    recommendation: Recommendation,
    chosen: Framework,
    width: int = DEFAULT_WIDTH,
    *,
    among: Iterable[str] | None = None,
) -> str:
    """The warning for choosing ``chosen`` over the recommendation; empty when nothing is lost.

    ``among`` limits the lost answers to those criteria (the ones the user gave).
    """
    lost = losses(recommendation, chosen, among=among)
    if not lost:
        return ""
    recommended = recommendation.framework
    head = (
        f"You chose {FRAMEWORKS[chosen].label} over the recommended "
        f"{FRAMEWORKS[recommended].label} "
        f"({framework_score(recommended, recommendation.scores[recommended])}, "
        f"{framework_score(chosen, recommendation.scores[chosen])}). "
        "By your answers, you give up:"
    )
    return "\n".join([*wrap(head, width), *bullets(lost, width)])


def format_answers(
    criteria: Mapping[str, str] | None,
    framework: Framework,
    options: Mapping[str, Value],
    width: int = DEFAULT_WIDTH,
) -> str:
    """Every answer of ``scaffold new`` before anything is written: criteria, framework, options.

    ``criteria`` is None when the framework was chosen on the command line.
    """
    given = criteria or {}
    lines = ["Your answers:"]
    for question in CRITERIA:
        if question.key in given:
            lines += wrap(
                f"{question.key}: {question.label_of(given[question.key])}",
                width,
                "      ",
                first="  ",
            )
    lines.append(f"  framework: {FRAMEWORKS[framework].label}")
    for key, value in options.items():
        lines += wrap(f"{key}: {format_value(value)}", width, "      ", first="  ")
    return "\n".join(lines)


def format_comparison(width: int = 100) -> str:
    """Django, Flask and FastAPI side by side, one row per aspect, wrapped to ``width``."""
    label_width = max(len(row) for row in COMPARISON_ROWS) + 2
    column = max(16, (width - label_width) // len(Framework) - 2)
    header = " " * label_width + "".join(
        FRAMEWORKS[framework].label.ljust(column + 2) for framework in Framework
    )
    lines = [header.rstrip(), "-" * min(width, label_width + (column + 2) * len(Framework))]
    for row in COMPARISON_ROWS:
        cells = [
            textwrap.wrap(FRAMEWORKS[framework].comparison[row], column) for framework in Framework
        ]
        for index in range(max(len(cell) for cell in cells)):
            text = row if index == 0 else ""
            line = text.ljust(label_width) + "".join(
                (cell[index] if index < len(cell) else "").ljust(column + 2) for cell in cells
            )
            lines.append(line.rstrip())
    return "\n".join(lines)


def postgres_steps(package: str, postgres_version: str | None) -> list[str]:
    """Ways to start the PostgreSQL database the generated ``.env`` points at."""
    image = f"postgres:{postgres_version}" if postgres_version else "postgres"
    return [
        "# start the PostgreSQL database that .env points at, in a container:",
        f"docker run -d --name {shlex.quote(package + '-db')} -p 5432:5432 "
        f"-e POSTGRES_PASSWORD=postgres -e POSTGRES_DB={shlex.quote(package)} {image}",
        "# or with Debian/Ubuntu's own server:",
        "#   sudo apt install postgresql",
        "#   sudo -u postgres psql -c \"ALTER USER postgres PASSWORD 'postgres'\"",
        f"#   sudo -u postgres createdb {shlex.quote(package)}",
    ]


def format_next_steps(
    directory: str,
    framework: Framework,
    package: str,
    database: str,
    *,
    postgres_version: str | None = None,
    installed: bool = False,
    tested: bool = False,
) -> str:
    """The commands to install, test and run the new project, leaving out what was already done.

    ``installed`` means the venv exists and the one-time set-up commands ran. The
    commands work on a plain Debian or Ubuntu machine, where Python is ``python3``.
    """
    info = FRAMEWORKS[framework]
    # After `scaffold new .` the shell is already in the project.
    steps = [] if directory == "." else [f"cd {shlex.quote(directory)}"]
    if installed:
        steps.append("source .venv/bin/activate")
    else:
        steps += [
            "python3 -m venv .venv && source .venv/bin/activate"
            "  # Debian/Ubuntu: apt install python3-venv",
            "pip install -e '.[dev]'",
        ]
        if database == "postgresql":
            steps += postgres_steps(package, postgres_version)
    if not tested:
        steps.append("pytest")
    if not installed:
        steps += info.setup(package, database)
    if info.superuser_command:
        steps.append(f"{info.superuser_command}  # an account for the admin site")
    steps.append(info.dev_command.format(port=8000, package=package))
    return "\n".join(
        [
            "Next steps:",
            *(f"  {step}" for step in steps),
            f"Then open http://127.0.0.1:8000{info.pages[0]} (health check: /health).",
        ]
    )
