"""The documentation quotes the code; these tests fail when the two drift apart.

Regenerate the quoted blocks with ``python tests/test_docs.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RECOMMENDATION_DOC = ROOT / "docs" / "recommendation.md"
CI_SCRIPT = ROOT / ".ci" / "run"
DATA = ROOT / "tests" / "data"


def cli_reference() -> str:
    """``--help`` of every command, as the README shows it."""
    from scaffold._cli import build_parser

    sections = []
    commands = [
        "new",
        "recommend",
        "frameworks",
        "serve",
        "update",
        "check-update",
        "template-source",
    ]
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
    """Every weight of the model with the sources that support it."""
    from scaffold.frameworks import FRAMEWORKS
    from scaffold.recommender import WEIGHTS

    rows = ["| answer | framework | points | why | sources |", "|---|---|---:|---|---|"]
    for weight in WEIGHTS:
        label = FRAMEWORKS[weight.framework].label
        rows.append(
            f"| `{weight.criterion}={weight.answer}` | {label} | {weight.points:+d} "
            f"| {weight.reason} | {'; '.join(weight.sources)} |"
        )
    return "\n".join(rows)


def points_matrix() -> str:
    """Every answer's points for the three frameworks, one row per answer."""
    from scaffold.criteria import CRITERIA
    from scaffold.frameworks import FRAMEWORKS, Framework
    from scaffold.recommender import weight_for

    header = " | ".join(FRAMEWORKS[fw].label for fw in Framework)
    rows = [f"| answer | {header} |", "|---|" + "---:|" * len(Framework)]
    for question in CRITERIA:
        for value in question.values:
            cells = []
            for framework in Framework:
                weight = weight_for(question.key, str(value), framework)
                cells.append(f"{weight.points:+d}" if weight else "0")
            rows.append(f"| `{question.key}={value}` | {' | '.join(cells)} |")
    return "\n".join(rows)


def strengths_table() -> str:
    """Where each framework is strong: the directions the monotonicity tests check."""
    from scaffold.frameworks import FRAMEWORKS
    from scaffold.recommender import STRENGTHS

    rows = ["| framework | strong where the answer moves towards |", "|---|---|"]
    for framework, strong in STRENGTHS.items():
        directions = ", ".join(f"`{key}={value}`" for key, value in strong.items())
        rows.append(f"| {FRAMEWORKS[framework].label} | {directions} |")
    return "\n".join(rows)


def sources_table() -> str:
    """The sources, keyed as the weights and profiles cite them."""
    from scaffold.sources import SOURCES

    rows = ["| key | source | by | kind |", "|---|---|---|---|"]
    for source in SOURCES.values():
        kind = "framework docs" if source.official else "comparison"
        rows.append(
            f"| `{source.key}` | [{source.title}]({source.url}) | {source.publisher} | {kind} |"
        )
    return "\n".join(rows)


def conditions_list() -> str:
    """The conditions under which an answer does not count."""
    from scaffold.recommender import CONDITIONS

    return "\n".join(
        f"- `{c.criterion}` counts only when `{c.requires}` is "
        f"{' or '.join(f'`{v}`' for v in c.values)}: {c.reason} ({'; '.join(c.sources)})."
        for c in CONDITIONS
    )


def _data(name: str) -> list[dict[str, Any]]:
    import tomllib

    table: list[dict[str, Any]] = tomllib.loads((DATA / f"{name}.toml").read_text())[
        {"profiles": "profile", "absurd": "rule"}[name]
    ]
    return table


def absurd_list() -> str:
    """The results the model must never give (tests/data/absurd.toml)."""
    from scaffold.frameworks import FRAMEWORKS, Framework

    lines = []
    for rule in _data("absurd"):
        when = ", ".join(f"`{key}` {' or '.join(values)}" for key, values in rule["when"].items())
        never = FRAMEWORKS[Framework(rule["never"])].label
        lines.append(f"- never {never} when {when}. {rule['why']}")
    return "\n".join(lines)


def profile_agreement() -> str:
    """How many reference profiles the model agrees with, and each profile's result."""
    from scaffold.criteria import Answers
    from scaffold.frameworks import FRAMEWORKS, Framework
    from scaffold.recommender import recommend

    profiles = _data("profiles")
    rows = ["| profile | answers | source says | model says | source |", "|---|---|---|---|---|"]
    agreed = 0
    for profile in profiles:
        expected = Framework(profile["expected"])
        got = recommend(Answers(profile["answers"])).framework
        agreed += got == expected
        answers = ", ".join(f"`{k}={v}`" for k, v in profile["answers"].items())
        mark = FRAMEWORKS[got].label if got == expected else f"**{FRAMEWORKS[got].label}** (miss)"
        rows.append(
            f"| {profile['name']} | {answers} | {FRAMEWORKS[expected].label} | {mark} "
            f"| {profile['source']} |"
        )
    share = f"{100 * agreed / len(profiles):.1f}".rstrip("0").rstrip(".")
    summary = f"**Agreement: {agreed} of {len(profiles)} profiles ({share}%).**"
    return "\n".join([summary, "", *rows])


def model_statistics() -> str:
    """Counts over every combination of answers: winners, ties, pages-only results."""
    import itertools
    from collections import Counter

    from scaffold.criteria import CRITERIA, Answers
    from scaffold.frameworks import FRAMEWORKS, Framework
    from scaffold.recommender import recommend

    keys = [q.key for q in CRITERIA]
    results = [
        (
            dict(zip(keys, values, strict=True)),
            recommend(Answers(dict(zip(keys, values, strict=True)))),
        )
        for values in itertools.product(*(q.values for q in CRITERIA))
    ]
    total = len(results)
    wins = Counter(result.framework for _, result in results)
    tie_wins = Counter(result.framework for _, result in results if result.tie)
    ties = sum(tie_wins.values())
    pages = [
        result.framework for combination, result in results if combination["app_type"] == "web"
    ]
    lines = [f"- {total} combinations of answers."]
    lines += [
        f"- {FRAMEWORKS[fw].label} wins {wins[fw]} ({100 * wins[fw] / total:.0f}%), "
        f"{tie_wins[fw]} of them on a tie."
        for fw in Framework
    ]
    lines.append(f"- {ties} combinations ({100 * ties / total:.1f}%) tie for first place.")
    lines.append(
        f"- Pages-only sites (`app_type=web`, {len(pages)} combinations): "
        + ", ".join(f"{FRAMEWORKS[fw].label} {pages.count(fw)}" for fw in Framework)
        + "."
    )
    return "\n".join(lines)


BLOCKS: dict[tuple[Path, str], Callable[[], str]] = {
    (README, "cli-reference"): cli_reference,
    (README, "criteria"): criteria_table,
    (RECOMMENDATION_DOC, "weights"): weight_table,
    (RECOMMENDATION_DOC, "points"): points_matrix,
    (RECOMMENDATION_DOC, "strengths"): strengths_table,
    (RECOMMENDATION_DOC, "sources"): sources_table,
    (RECOMMENDATION_DOC, "conditions"): conditions_list,
    (RECOMMENDATION_DOC, "absurd"): absurd_list,
    (RECOMMENDATION_DOC, "agreement"): profile_agreement,
    (RECOMMENDATION_DOC, "statistics"): model_statistics,
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


def test_the_safety_guarantees_name_only_tests_that_exist():
    """docs/safety.md names the test behind each guarantee; a renamed test must be renamed there."""
    text = (ROOT / "docs" / "safety.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"`(test_\w+\.py)::(test_\w+)`", text))
    assert len(cited) > 40
    for module, test in sorted(cited):
        source = (ROOT / "tests" / module).read_text(encoding="utf-8")
        assert f"def {test}(" in source, f"docs/safety.md cites {module}::{test}, which is gone"


def readme_commands(name: str) -> list[str]:
    """The command lines of the README's ``<!-- name:start -->`` block (comments left out)."""
    block = _block_pattern(name).search(README.read_text(encoding="utf-8"))
    assert block, f"README.md lacks the <!-- {name}:start/end --> markers"
    return [
        line
        for line in block.group(2).splitlines()
        if line.strip() and not line.startswith(("#", "```"))
    ]


def _way(commands: list[str], comment: str) -> list[str]:
    """The lines of an install or upgrade block under its ``# comment`` line."""
    block = _block_pattern(comment.split(":")[0]).search(README.read_text(encoding="utf-8"))
    assert block
    lines, taken, wanted = [], False, comment.split(":", 1)[1]
    for line in block.group(2).splitlines():
        if line.startswith("#"):
            taken = re.split(r"[,:]", line.removeprefix("# "))[0].strip() == wanted
        elif taken and line.strip() and not line.startswith("```"):
            lines.append(line)
    assert lines and set(lines) <= set(commands), comment
    return lines


@pytest.mark.e2e
def test_the_readme_installs_and_upgrades_scaffold_each_way(tmp_path):
    """Quickstart, Installing and Upgrading as written, in fresh homes: pip, uv, pipx, a wheel.

    The clone URL is mapped to a scratch repository holding this checkout; the
    upgrade is a later commit there that changes the templates, as on main
    between releases, and every way of installing must then render the new ones.
    """
    from generated import clone_working_tree, git, isolated_env, make_venv
    from scaffold.install import find_uv

    published = tmp_path / "published"
    clone_working_tree(ROOT, published)
    uv = find_uv()
    assert uv, "the test extra installs uv"
    caches = {
        "UV_CACHE_DIR": _output([uv, "cache", "dir"]),
        "PIP_CACHE_DIR": _output([sys.executable, "-m", "pip", "cache", "dir"]),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    pipx = tmp_path / "tools"  # pipx alone on PATH, not its venv's python
    pipx.mkdir()
    (pipx / "pipx").symlink_to(make_venv(tmp_path / "pipx", "pipx") / "pipx")

    def shell(way: str, *commands: str) -> None:
        home = tmp_path / way
        bins = [home / ".local" / "bin", pipx, Path(uv).parent]
        path = os.pathsep.join([*map(str, bins), os.environ["PATH"]])
        env = isolated_env(home, PATH=path, **caches)
        url = "https://github.com/scaffold-dev/scaffold.git"
        git(
            tmp_path,
            "config",
            "--file",
            str(home / ".gitconfig"),
            f"url.{published}.insteadOf",
            url,
        )
        for command in commands:
            result = subprocess.run(
                ["sh", "-c", command], cwd=home, env=env, capture_output=True, text=True,
                timeout=900, check=False,
            )  # fmt: skip
            assert result.returncode == 0, f"{way}: {command}\n{result.stdout}{result.stderr}"

    def rendered(way: str, command: str) -> str:
        """The template version that way's scaffold renders."""
        shell(way, f"{command} template-source --json > version.json")
        return str(json.loads((tmp_path / way / "version.json").read_text())["versions"][-1])

    clone, quickstart = readme_commands("quickstart")
    install, upgrade = readme_commands("install"), readme_commands("upgrade")
    shell("pip", clone, quickstart)
    assert (tmp_path / "pip" / "myproject" / ".copier-answers.yml").is_file()
    ways = {
        "pip": "~/.venvs/scaffold/bin/scaffold",
        "uv": "~/.local/bin/scaffold",
        "pipx": "~/.local/bin/scaffold",
    }
    for way in ("uv", "pipx"):
        shell(way, clone, *_way(install, f"install:{way}"))
    (wheel_line,) = _way(install, "install:a wheel")
    shell("wheel", clone, wheel_line)
    (wheel,) = (tmp_path / "wheel" / "dist").glob("scaffold_starter-*.whl")
    shell(
        "wheel", f"python3 -m venv ~/.venvs/scaffold && ~/.venvs/scaffold/bin/pip install {wheel}"
    )
    before = {way: rendered(way, command) for way, command in ways.items()}
    assert set(before.values()) == {rendered("wheel", ways["pip"])}

    gitignore = published / "templates" / "_shared" / "gitignore.jinja"
    gitignore.write_text(gitignore.read_text() + "\n# Logs\n*.log\n")
    git(published, "commit", "--quiet", "-am", "Ignore log files")
    pull = upgrade[0]
    for way, command in ways.items():
        shell(way, pull, *_way(upgrade, f"upgrade:{way}"))
        after = rendered(way, command)
        assert after != before[way] and after.endswith(
            git(published, "rev-parse", "HEAD:templates").strip()[:8]
        ), way
        # Without the web extra, scaffold serve prints the command that adds it, for this way.
        shell(way, f"! {command} serve 2> serve.txt")
        hint = (tmp_path / way / "serve.txt").read_text().strip()
        assert hint.startswith("scaffold: error: scaffold serve needs the web extra"), hint
        assert "scaffold-starter[web]" in hint, hint
        shell(way, hint.split("install it with: ", 1)[1])
        shell(way, f"readlink -f {command} > script.txt")
        script = Path((tmp_path / way / "script.txt").read_text().strip())
        shell(way, f'"{_script_python(script)}" -c "import uvicorn, starlette"')


def _script_python(script: Path) -> str:
    """The interpreter a console script runs: its shebang's, or that of uv's sh trampoline.

    uv writes ``#!/bin/sh`` and an ``exec`` line when the interpreter's path is
    too long for a shebang.
    """
    first, second = [*script.read_text().splitlines(), ""][:2]
    if first.startswith("#!/bin/sh") and "exec'" in second:
        return shlex.split(second.split("exec'", 1)[1])[0]
    return first.removeprefix("#!").split()[0]


def _output(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def readme_python_examples() -> list[str]:
    """The ```python blocks of the README's "Use it from Python" section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Use it from Python\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_the_readme_python_example_makes_a_project_in_a_fresh_directory(tmp_path):
    from helpers import clean_env

    (example,) = readme_python_examples()
    result = subprocess.run(
        [sys.executable, "-c", example],
        cwd=tmp_path,
        env=clean_env(HOME=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    first, second, problems = result.stdout.splitlines()
    assert first == "django recommended"
    project = tmp_path / "projects" / "shop"
    assert second == f"shop {len(list(p for p in project.rglob('*') if p.is_file()))} files"
    assert (project / "manage.py").is_file() and not (project / ".git").exists()
    assert "size=huge" in problems and "rails" in problems
    assert sorted(path.name for path in tmp_path.iterdir()) == ["projects"]


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
