"""The documentation quotes the code; these tests fail when the two drift apart.

Regenerate the quoted blocks with ``python tests/test_docs.py``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RECOMMENDATION_DOC = ROOT / "docs" / "recommendation.md"
CI_SCRIPT = ROOT / ".ci" / "run"


def cli_reference() -> str:
    """``--help`` of every command, as the README shows it."""
    from scaffold._cli import build_parser

    sections = []
    commands = ["new", "recommend", "frameworks", "update", "check-update", "template-source"]
    for command in ([], *([name] for name in commands)):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
            os.environ["COLUMNS"] = "100"
            build_parser().parse_args([*command, "--help"])
        title = " ".join(["scaffold", *command, "--help"])
        sections.append(f"### `{title}`\n\n```text\n{buffer.getvalue().rstrip()}\n```")
    return "\n\n".join(sections)


def criteria_table() -> str:
    """The criteria: key, values (default in bold), and the question asked."""
    from scaffold.criteria import CRITERIA

    rows = ["| key | values (default in bold) | question | why it matters |", "|---|---|---|---|"]
    for question in CRITERIA:
        values = ", ".join(
            f"**`{value}`**" if value == question.default else f"`{value}`"
            for value in question.values
        )
        rows.append(f"| `{question.key}` | {values} | {question.message} | {question.help} |")
    return "\n".join(rows)


def weight_table() -> str:
    """Every weight of the model with the place in the article it comes from."""
    from scaffold.frameworks import FRAMEWORKS
    from scaffold.recommender import WEIGHTS

    rows = ["| answer | framework | points | why | article |", "|---|---|---:|---|---|"]
    for weight in WEIGHTS:
        label = FRAMEWORKS[weight.framework].label
        rows.append(
            f"| `{weight.criterion}={weight.answer}` | {label} | {weight.points:+d} "
            f"| {weight.reason} | {weight.source} |"
        )
    return "\n".join(rows)


BLOCKS: dict[tuple[Path, str], Callable[[], str]] = {
    (README, "cli-reference"): cli_reference,
    (README, "criteria"): criteria_table,
    (RECOMMENDATION_DOC, "weights"): weight_table,
}


def _block_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- {name}:start -->\n)(.*?)(\n<!-- {name}:end -->)", re.DOTALL)


def _current(path: Path, name: str) -> str:
    match = _block_pattern(name).search(path.read_text(encoding="utf-8"))
    assert match, f"{path.name} lacks the <!-- {name}:start/end --> markers"
    return match.group(2)


def test_quoted_blocks_match_the_code():
    for (path, name), generate in BLOCKS.items():
        assert _current(path, name) == generate(), (
            f"{path.name} block {name!r} is out of date; run: python tests/test_docs.py"
        )


def test_ci_runs_exactly_the_readme_test_command():
    ci_line = next(
        line for line in CI_SCRIPT.read_text().splitlines() if line.startswith("python3 -m venv")
    )
    assert f"\n{ci_line}\n" in README.read_text(), "README and .ci/run disagree on the test command"


def update() -> None:
    """Rewrite every quoted block from the code."""
    for (path, name), generate in BLOCKS.items():
        text, block = path.read_text(encoding="utf-8"), generate()
        text = _block_pattern(name).sub(
            lambda m, block=block: m.group(1) + block + m.group(3), text
        )
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    update()
