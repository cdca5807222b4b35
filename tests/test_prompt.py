"""The questionnaire on a real pseudo-terminal: progress, arrow keys, Back, override,
the summary with "change one", wrapping, and Ctrl-C."""

from __future__ import annotations

import json
import re

import pexpect
import pytest
import yaml

from helpers import clean_env, scaffold_command
from scaffold.criteria import CRITERIA

UP, DOWN, ENTER = "\x1b[A", "\x1b[B", "\r"
#: prompt_toolkit turns bracketed paste on once per prompt, when it is ready for keys.
PROMPT_READY = r"\x1b\[\?2004h"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def spawn(args, cwd, columns=120, **env_overrides):
    env = clean_env(
        PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", COLUMNS=str(columns), LINES="40", **env_overrides
    )
    command, *rest = scaffold_command()
    child = pexpect.spawn(
        command, [*rest, *args], cwd=str(cwd), env=env, encoding="utf-8", timeout=60,
        dimensions=(40, columns),
    )  # fmt: skip
    child.transcript = []
    child.logfile_read = _Collector(child.transcript)
    return child


class _Collector:
    def __init__(self, sink):
        self.sink = sink

    def write(self, data):
        self.sink.append(data)

    def flush(self):
        pass


def answer(child, keys, after=None):
    """Wait until the next prompt reads keys, then type ``keys``.

    ``after`` is text of the prompt itself (drawn once it reads keys) to wait for instead.
    """
    child.expect(PROMPT_READY if after is None else re.escape(after))
    child.send(keys)


def finish(child):
    """Wait for the program to end on its own; return its status and plain-text output."""
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, child.signalstatus, plain(child)


def plain(child):
    """Everything the program wrote so far, without terminal control codes."""
    return ANSI.sub("", "".join(child.transcript))


def _criteria_with_defaults(child, count=None):
    for _question in range(len(CRITERIA) if count is None else count):
        answer(child, ENTER)


def _read_answers(project):
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def test_recommend_with_arrow_keys_and_progress(workdir):
    child = spawn(["recommend"], workdir)
    for question in CRITERIA:
        # size: two steps down from "small" is "large"; builtins: one up is "yes".
        keys = {"size": DOWN * 2, "builtins": UP}.get(question.key, "")
        answer(child, keys + ENTER)
    status, _signal, output = finish(child)
    assert status == 0
    assert "[1/9] How big will the project grow?" in output
    assert "[9/9] Do you want automatic request validation" in output
    assert "Recommended: Django" in output
    assert "Why Django:" in output and "Runner-up:" in output


def test_progress_counts_only_the_questions_asked(workdir):
    child = spawn(["recommend", "-d", "size=large", "-d", "app_type=web"], workdir)
    _criteria_with_defaults(child, len(CRITERIA) - 2)
    status, _signal, output = finish(child)
    assert status == 0
    assert "[1/7] How complex is the domain?" in output
    assert "[7/7]" in output and "[8/" not in output


def test_back_returns_to_the_previous_question_with_its_answer(workdir):
    child = spawn(["recommend", "--json"], workdir)
    answer(child, DOWN * 2 + ENTER)  # size: small -> large
    # complexity: moderate -> complex -> (the separator is skipped) Back
    answer(child, DOWN * 2 + ENTER)
    answer(child, UP + ENTER)  # size again, "large" selected: up is "medium"
    _criteria_with_defaults(child, len(CRITERIA) - 1)
    status, _signal, output = finish(child)
    assert status == 0, output
    assert output.count("A full-stack framework pays off") == 2  # size was asked twice
    assert "<- Back to the previous question" in output
    payload = json.loads(output[output.index("{") :])
    assert payload["answers"]["size"] == "medium"
    assert payload["answers"]["complexity"] == "moderate"


def test_the_first_question_offers_no_way_back(workdir):
    child = spawn(["recommend"], workdir)
    child.expect("Large or enterprise-scale application")  # the last choice of the first question
    assert child.expect([re.escape("Back to the previous"), pexpect.TIMEOUT], timeout=2) == 1
    child.send(ENTER)
    child.expect("How complex is the domain")
    assert child.expect([re.escape("Back to the previous"), pexpect.TIMEOUT], timeout=10) == 0
    child.sendintr()
    assert finish(child)[0] == 130


def test_new_accepting_the_recommendation(workdir):
    child = spawn(["new", "shop", "--no-git"], workdir)
    _criteria_with_defaults(child)
    child.expect("Recommended: Flask")
    answer(child, ENTER)  # framework: accept the recommendation
    answer(child, ENTER)  # customize project options? default no
    child.expect("Your answers:")
    child.expect("Create the project with these answers")
    assert not (workdir / "shop").exists(), "nothing is written before the summary is accepted"
    child.send(ENTER)  # yes, create it
    status, _signal, output = finish(child)
    assert status == 0, output
    answers = _read_answers(workdir / "shop")
    assert answers["framework"] == "flask"
    assert answers["docker"] is True
    assert "By your answers, you give up" not in output
    assert "Next steps:" in output and "python3 -m venv .venv" in output


def test_new_overriding_the_recommendation_warns_once(workdir):
    child = spawn(["new", "shop", "--no-git"], workdir)
    _criteria_with_defaults(child)
    child.expect("Which framework")
    # The list is ordered by score: Flask (recommended), Django, FastAPI.
    child.send(DOWN + ENTER)
    answer(child, ENTER)  # customize? no
    answer(child, ENTER)  # create
    status, _signal, output = finish(child)
    assert status == 0, output
    assert (workdir / "shop" / "manage.py").exists()
    text = " ".join(output.split())
    assert text.count("By your answers, you give up:") == 1
    assert "You chose Django over the recommended Flask" in text
    assert "Small service or site: Django's extensive features are overhead" in text
    assert "python manage.py createsuperuser" in text


def test_change_a_criterion_at_the_summary(workdir):
    child = spawn(["new", "shop", "--no-git"], workdir)
    _criteria_with_defaults(child)
    answer(child, ENTER)  # Flask, as recommended
    answer(child, ENTER)  # customize? no
    answer(child, DOWN + ENTER)  # change an answer
    answer(child, ENTER)  # the first one listed: size
    answer(child, DOWN * 2 + ENTER)  # small -> large
    child.expect("Recommended: Django")  # the recommendation follows the new answer
    answer(child, ENTER)  # and the framework is asked again: Django, as recommended
    child.expect("size: Large or enterprise-scale application")
    answer(child, ENTER)  # create
    status, _signal, output = finish(child)
    assert status == 0, output
    assert _read_answers(workdir / "shop")["framework"] == "django"


def test_a_framework_changed_at_the_summary_takes_its_own_defaults(workdir):
    child = spawn(["new", "shop", "--no-git"], workdir)
    _criteria_with_defaults(child)
    answer(child, ENTER)  # Flask, as recommended
    answer(child, ENTER)  # customize? no
    child.expect("description: A Flask web application")
    answer(child, DOWN + ENTER)  # change an answer
    answer(child, DOWN * len(CRITERIA) + ENTER, after="<- None, back to the summary")  # framework
    answer(child, DOWN + ENTER)  # Flask (recommended), Django, FastAPI: Django
    child.expect("description: A Django web application")  # the default follows the framework
    answer(child, ENTER)  # create
    status, _signal, output = finish(child)
    assert status == 0, output
    answers = _read_answers(workdir / "shop")
    assert answers["framework"] == "django"
    assert answers["description"] == "A Django web application"
    assert "A Flask" not in (workdir / "shop" / "pyproject.toml").read_text()
    record = (workdir / "shop" / "docs" / "decisions" / "0001-framework.md").read_text()
    assert "- How: Django was chosen over the recommended Flask" in record


def test_change_an_option_at_the_summary(workdir):
    child = spawn(["new", "shop", "--no-git", "--framework", "fastapi"], workdir)
    answer(child, ENTER)  # customize? no: defaults
    child.expect("license: MIT")
    answer(child, DOWN + ENTER)  # change an answer
    child.expect("Which answer")
    child.expect(re.escape("<- None, back to the summary"))
    listed = plain(child).split("Which answer")[-1]
    assert "framework:" not in listed  # --framework fixed it
    # package_name, description, author_name, author_email, python_version, database,
    # auth, docker, ci, license: license is the tenth.
    child.send(DOWN * 9 + ENTER)
    answer(child, DOWN + ENTER)  # license: MIT -> Apache-2.0
    child.expect("license: Apache-2.0")
    answer(child, ENTER)  # create
    status, _signal, output = finish(child)
    assert status == 0, output
    answers = _read_answers(workdir / "shop")
    assert answers["license"] == "Apache-2.0"
    assert answers["framework"] == "fastapi" and answers["docker"] is True


def test_new_customising_project_options(workdir):
    child = spawn(["new", "shop", "--no-git", "--framework", "fastapi"], workdir)
    answer(child, "y")  # customize project options? yes
    keys = {
        "description": "\x15A shop API" + ENTER,  # Ctrl-U clears the default first
        "database": DOWN * 2 + ENTER,  # sqlite -> postgresql -> none
        "docker": "n",
        "license": DOWN + ENTER,  # MIT -> Apache-2.0
    }
    order = ["package_name", "description", "author_name", "author_email", "python_version",
             "database", "docker", "ci", "license"]  # fmt: skip
    for key in order:
        answer(child, keys.get(key, ENTER))
    answer(child, ENTER)  # create
    status, _signal, output = finish(child)
    assert status == 0, output
    answers = _read_answers(workdir / "shop")
    assert answers["description"] == "A shop API"
    assert answers["database"] == "none"
    assert answers["docker"] is False
    assert answers["license"] == "Apache-2.0"
    assert not (workdir / "shop" / "Dockerfile").exists()


def test_personal_defaults_are_the_proposed_answers(workdir, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[defaults]\nauthor_name = "Jane Doe"\nlicense = "BSD-3-Clause"\n')
    args = ["new", "shop", "--no-git", "--framework", "flask"]
    child = spawn(args, workdir, SCAFFOLD_CONFIG=str(config))
    answer(child, "y")  # customize
    answer(child, ENTER)  # package_name
    answer(child, ENTER)  # description
    child.expect("Author's name")
    child.expect("Jane Doe")  # proposed, editable
    child.send(ENTER)
    # author_email, python_version, database, auth, docker, ci, license, the summary
    for _key in range(8):
        answer(child, ENTER)
    status, _signal, output = finish(child)
    assert status == 0, output
    answers = _read_answers(workdir / "shop")
    assert (answers["author_name"], answers["license"]) == ("Jane Doe", "BSD-3-Clause")


def test_invalid_text_is_refused_at_the_prompt(workdir):
    child = spawn(["new", "shop", "--no-git", "--framework", "flask"], workdir)
    answer(child, "y")
    answer(child, "\x15class" + ENTER)  # package_name: a keyword
    child.expect("Python keyword")
    child.send("\x15shop_app" + ENTER)
    # description, author_name, author_email, python_version, database, auth, docker, ci,
    # license, then the summary
    for _key in range(10):
        answer(child, ENTER)
    status, _signal, output = finish(child)
    assert status == 0, output
    assert (workdir / "shop" / "shop_app" / "__init__.py").exists()


def test_text_fits_a_narrow_terminal(workdir):
    child = spawn(["recommend", "-d", "builtins=yes", "-d", "app_type=web"], workdir, columns=60)
    _criteria_with_defaults(child, len(CRITERIA) - 2)
    status, _signal, output = finish(child)
    assert status == 0
    report = output[output.index("Recommended:") :]
    assert max(len(line) for line in report.splitlines()) <= 60
    words = " ".join(report.split())
    assert "Django ships an ORM, an admin site and user accounts" in words


def test_defaults_ask_nothing_even_at_a_terminal(workdir):
    child = spawn(["new", "shop", "--no-git", "-y"], workdir)
    status, _signal, output = finish(child)
    assert status == 0, output
    assert "\x1b[?2004h" not in "".join(child.transcript)
    assert (workdir / "shop").is_dir()


@pytest.mark.parametrize(
    ("command", "prompts_before"),
    [(["recommend"], 0), (["new", "shop"], 0), (["new", "shop", "--framework", "flask"], 1)],
    ids=["recommend-first-question", "new-first-question", "new-summary"],
)
def test_ctrl_c_exits_130_and_writes_nothing(workdir, command, prompts_before):
    child = spawn(command, workdir)
    for _prompt in range(prompts_before):
        answer(child, ENTER)
    child.expect(PROMPT_READY)
    child.sendintr()
    status, signal, output = finish(child)
    assert signal is None, "scaffold died of SIGINT instead of exiting cleanly"
    assert status == 130
    assert "interrupted" in output and "Traceback" not in output
    assert list(workdir.iterdir()) == []
