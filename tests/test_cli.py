"""The command line as a user meets it: help, version, exit codes, one-line errors.

Most checks call the CLI's entry point in the test process (``cli``): what is
under test is the parsing and the messages, not a new interpreter. The ones
about the installed command itself (its exit code, ``python -m scaffold``, a
usage error's exit status) run it as a subprocess.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import run_scaffold
from scaffold._cli import main

COMMANDS = ["new", "recommend", "frameworks", "serve", "update", "check-update", "template-source"]


@dataclass(frozen=True)
class Outcome:
    """What one in-process run of the CLI gave, shaped like a finished subprocess."""

    returncode: int
    stdout: str
    stderr: str


Cli = Callable[..., Outcome]


@pytest.fixture
def cli(workdir: Path, capsys, monkeypatch) -> Cli:
    """Run ``scaffold ARGS`` in this process, in ``workdir``, without a terminal or CI set."""
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("CI", raising=False)

    def run(args: Sequence[str], **env: str) -> Outcome:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse's --help and --version
            code = exit.code if isinstance(exit.code, int) else 1
        out, err = capsys.readouterr()
        return Outcome(code, out, err)

    return run


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(workdir, flag):
    from scaffold import __version__

    result = run_scaffold([flag], workdir)
    assert result.returncode == 0
    assert result.stdout.strip() == f"scaffold {__version__}"


def test_no_arguments_prints_the_help(cli):
    result = cli([])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: scaffold")
    assert "commands:" in result.stdout and result.stderr == ""


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (["nwe", "x"], "invalid choice: 'nwe' (did you mean 'new'?)"),
        (["recomend"], "(did you mean 'recommend'?)"),
        (["new", "x", "--framework", "flsk"], "invalid choice: 'flsk' (did you mean 'flask'?)"),
        (["new", "x", "--forse"], "unrecognized arguments: --forse (did you mean '--force'?)"),
        (["new", "x", "--installer=pipp"], "(did you mean 'pip'?)"),
        (["recommend", "--jsn"], "(did you mean '--json'?)"),
        (["frameworks", "--jason"], "(did you mean '--json'?)"),
    ],
)
def test_mistyped_commands_choices_and_options_get_a_suggestion(cli, args, suggestion):
    result = cli(args)
    assert result.returncode == 2
    assert suggestion in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_command_has_help_with_a_description(cli, command):
    result = cli([*command, "--help"])
    assert result.returncode == 0
    assert "usage: scaffold" in result.stdout
    if command != ["frameworks"]:
        assert "examples:" in result.stdout


def test_main_help_lists_every_command_and_the_exit_codes(cli):
    out = cli(["--help"]).stdout
    for command in COMMANDS:
        assert command in out
    assert "130" in out and "exit codes" in out


def test_the_installed_command_exits_2_with_one_line_on_a_usage_error(workdir):
    result = run_scaffold(["new", "x", "--framework", "rails"], workdir)
    assert result.returncode == 2
    assert result.stderr.startswith("scaffold: error: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(workdir.iterdir()) == []


def test_python_dash_m_works(workdir):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "scaffold", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout.startswith("scaffold ")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["nope"], "invalid choice: 'nope'"),
        (["new"], "required: NAME"),
        (["new", "x", "--framework", "rails"], "invalid choice: 'rails'"),
        (["new", "x", "--bogus"], "unrecognized arguments: --bogus"),
        (["recommend", "-d", "size"], "--data expects KEY=VALUE"),
        (["recommend", "-d", "sise=large"], "did you mean 'size'?"),
        (
            ["recommend", "-d", "size=huge"],
            "size=huge is not one of: prototype, small, medium, large",
        ),
        (["recommend", "-d", "builtins=maybe"], "builtins=maybe is not yes/no"),
        (["recommend", "-d", "database=sqlite"], "unknown question 'database'"),
        (["new", "x", "-d", "framework=flask"], "choose the framework with --framework"),
        (["new", "x", "-d", "project_name=y"], "the project name is the NAME argument"),
        (
            ["new", "class"],
            "'class' is a Python keyword and cannot name a package; try 'class_app'",
        ),
        (["new", "x", "-d", "docker=perhaps"], "docker=perhaps is not yes/no"),
        (
            ["new", "x", "--framework", "django", "-d", "database=none"],
            "database=none is not available",
        ),
        # The recommendation (Django) rules the database out only once it is made.
        (
            ["new", "x", "-y", "-d", "size=large", "-d", "builtins=yes", "-d", "database=none"],
            "database=none is not available with django",
        ),
        (["new", "x", "--installer", "uvx"], "invalid choice: 'uvx'"),
        (
            ["new", "x", "-d", "postgres_version=16"],
            "postgres_version applies only to PostgreSQL projects; leave it out, "
            "or add -d database=postgresql",
        ),
        (
            ["new", "x", "--framework", "django", "-d", "auth=yes"],
            "auth applies only to Flask and FastAPI projects with a database",
        ),
        (
            ["new", "x", "--framework", "flask", "-d", "database=none", "-d", "auth=yes"],
            "auth applies only to Flask and FastAPI projects with a database",
        ),
        (
            ["new", "x", "-d", "database=postgresql", "-d", "postgres_version=9"],
            "is not one of: 15",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_no_traceback(cli, workdir, args, expected):
    result = cli(args)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scaffold: error: "), result.stderr
    assert "Traceback" not in result.stderr
    assert list(workdir.iterdir()) == []


def test_every_conditional_question_has_a_sentence_without_template_logic():
    from scaffold.options import ASKED_ONLY_FOR, load_options

    conditional = {option.key for option in load_options() if option.when is not True}
    assert conditional == set(ASKED_ONLY_FOR)
    for sentence in ASKED_ONLY_FOR.values():
        for logic in ("==", "!=", "{{", "{%", "}}", "'"):
            assert logic not in sentence, sentence


def test_several_bad_answers_are_reported_together(cli):
    result = cli(
        ["new", "x", "-d", "size=huge", "-d", "sise=1", "-d", "docker=maybe", "-d", "license=GPL"]
    )
    assert result.returncode == 2
    message = result.stderr.strip()
    assert message.startswith("scaffold: error: 4 invalid answers:")
    for part in ("size=huge", "'sise'", "docker=maybe", "license=GPL"):
        assert part in message


def test_debug_shows_the_traceback(cli):
    result = cli(["recommend", "-d", "size=huge", "--debug"])
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("scaffold: error: ")


def test_recommend_json_is_exactly_one_object(cli):
    result = cli(["recommend", "--defaults", "--json", "-d", "size=large"])
    assert result.returncode == 0
    payload = json.loads(result.stdout)
    assert {"framework", "scores", "reasons", "answers", "points", "tie_break"} <= set(payload)
    assert payload["answers"]["size"] == "large"
    assert payload["points"]["size"] == {
        "answer": "large",
        "counts": True,
        "points": {"django": 3, "flask": -1, "fastapi": 0},
    }
    assert result.stderr == ""


def test_without_a_terminal_defaults_are_used_and_said_once(cli):
    result = cli(["recommend", "--json"])
    assert result.returncode == 0
    assert json.loads(result.stdout)["framework"] == "flask"
    notes = result.stderr.strip().splitlines()
    assert len(notes) == 1 and "take their defaults" in notes[0]


def test_ci_variable_means_no_prompt(cli):
    result = cli(["recommend"], CI="true")
    assert result.returncode == 0
    assert "CI is set" in result.stderr
    assert "Recommended: Flask" in result.stdout


def test_recommend_text_names_winner_scores_reasons_and_runner_up(cli):
    args = ["recommend", "-y", "-d", "app_type=api", "-d", "performance=high"]
    out = cli(args).stdout
    assert "Recommended: FastAPI" in out
    assert "Scores: FastAPI 5 points, Flask 3 points, Django -2 points" in out
    assert "High load, throughput is critical: FastAPI" in out
    assert "What you give up with FastAPI:" in out
    assert "Runner-up: Flask 3 points" in out


@pytest.mark.parametrize("columns", [60, 80])
def test_text_is_wrapped_to_the_terminal_width_without_breaking_words(cli, columns):
    args = ["recommend", "-y", "-d", "builtins=yes", "-d", "app_type=web", "-d", "size=large"]
    narrow = cli(args, COLUMNS=str(columns)).stdout
    assert max(len(line) for line in narrow.splitlines()) <= columns
    wide = cli(args, COLUMNS="1000").stdout
    assert narrow.split() == wide.split()  # the same words, none cut in two
    assert narrow != wide


def test_framework_override_with_answers_warns_once_what_it_gives_up(cli):
    args = ["new", "shop", "-y", "--pretend", "--framework", "fastapi", "-d", "builtins=yes"]
    result = cli([*args, "-d", "app_type=web"])
    assert result.returncode == 0, result.stderr
    err = " ".join(result.stderr.split())  # as read, whatever the wrapping
    assert err.count("By your answers, you give up:") == 1
    assert "You chose FastAPI over the recommended Django" in err
    assert (
        "Yes, ORM, admin and accounts built in: FastAPI has no ORM, admin or user accounts" in err
    )
    assert "Server-rendered web pages: FastAPI is an API framework" in err


def test_framework_override_without_answers_or_agreeing_says_nothing(cli):
    for extra in ([], ["-d", "builtins=yes", "-d", "size=large"]):
        framework = "flask" if not extra else "django"
        result = cli(["new", "x", "-y", "--pretend", "--framework", framework, *extra])
        assert result.returncode == 0, result.stderr
        assert "give up" not in result.stderr


def test_data_file_yaml_and_data_precedence(cli, workdir):
    (workdir / "answers.yml").write_text("size: large\nbuiltins: yes\napp_type: web\n")
    result = cli(["recommend", "--json", "-y", "--data-file", "answers.yml", "-d", "app_type=api"])
    payload = json.loads(result.stdout)
    assert payload["answers"]["size"] == "large"
    assert payload["answers"]["builtins"] == "yes"
    assert payload["answers"]["app_type"] == "api"


def test_data_file_json(cli, workdir):
    (workdir / "answers.json").write_text('{"performance": "high", "api_docs": true}')
    payload = json.loads(cli(["recommend", "--json", "-y", "--data-file", "answers.json"]).stdout)
    assert payload["answers"]["api_docs"] == "yes"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.yml", "size: large\nbuiltins: [yes\n", "bad.yml, line 3"),
        ("bad.json", '{\n  "size": "large",\n  oops\n}', "bad.json, line 3"),
        ("list.yml", "- size\n- large\n", "expected a mapping"),
    ],
)
def test_malformed_data_file_names_file_and_line(cli, workdir, name, content, expected):
    (workdir / name).write_text(content)
    result = cli(["recommend", "--data-file", name])
    assert result.returncode == 1
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_data_file(cli):
    result = cli(["recommend", "--data-file", "nope.yml"])
    assert result.returncode == 1
    assert "nope.yml: no such file" in result.stderr


def test_data_file_with_unknown_keys(cli, workdir):
    (workdir / "answers.yml").write_text("size: large\ncolour: blue\n")
    result = cli(["recommend", "--data-file", "answers.yml"])
    assert result.returncode == 2
    assert "unknown question 'colour'" in result.stderr


def test_frameworks_compares_all_three(cli):
    out = cli(["frameworks"]).stdout
    header = out.splitlines()[0]
    assert header.split() == ["Django", "Flask", "FastAPI"]
    for row in ("Built in", "Async", "Learning curve", "Best for"):
        assert row in out
    table = json.loads(cli(["frameworks", "--json"]).stdout)
    assert set(table) == {"django", "flask", "fastapi"}


def test_the_cli_knows_the_conflict_modes_of_updates():
    from scaffold._cli import CONFLICT_MODES
    from scaffold.versions.update import CONFLICT_MODES as UPDATE_MODES

    assert CONFLICT_MODES == UPDATE_MODES
