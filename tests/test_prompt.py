"""The questionnaire on a real pseudo-terminal: arrow keys, Enter, override, Ctrl-C."""

from __future__ import annotations

import re

import pexpect
import pytest
import yaml

from conftest import clean_env, scaffold_command
from scaffold.criteria import CRITERIA

DOWN, ENTER = "\x1b[B", "\r"
#: prompt_toolkit turns bracketed paste on once per prompt, when it is ready for keys.
PROMPT_READY = r"\x1b\[\?2004h"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def spawn(args, cwd):
    env = clean_env(PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", COLUMNS="120", LINES="40")
    command, *rest = scaffold_command()
    return pexpect.spawn(
        command, [*rest, *args], cwd=str(cwd), env=env, encoding="utf-8", timeout=60,
        dimensions=(40, 120),
    )  # fmt: skip


def answer(child, keys):
    """Wait until the next prompt reads keys, then type ``keys``."""
    child.expect(PROMPT_READY)
    child.send(keys)


def finish(child):
    """Wait for the program to end on its own; return its status and plain-text output."""
    child.expect(pexpect.EOF)
    output = ANSI.sub("", child.before or "")
    child.close()
    return child.exitstatus, child.signalstatus, output


def test_recommend_with_arrow_keys(workdir):
    child = spawn(["recommend"], workdir)
    transcript = []
    child.logfile_read = _Collector(transcript)
    for index, question in enumerate(CRITERIA):
        # size: two steps down from "small" is "large"; builtins: one up is "yes".
        keys = {"size": DOWN * 2, "builtins": "\x1b[A"}.get(question.key, "")
        answer(child, keys + ENTER)
        assert index >= 0
    status, _signal, output = finish(child)
    assert status == 0
    text = ANSI.sub("", "".join(transcript))
    assert "How big will the project grow?" in text
    assert "Recommended: Django" in output
    assert "Why Django:" in output and "Runner-up:" in output


class _Collector:
    def __init__(self, sink):
        self.sink = sink

    def write(self, data):
        self.sink.append(data)

    def flush(self):
        pass


def _answer_criteria_with_defaults(child):
    for _question in CRITERIA:
        answer(child, ENTER)


def test_new_accepting_the_recommendation(workdir):
    child = spawn(["new", "shop", "--no-git"], workdir)
    _answer_criteria_with_defaults(child)
    child.expect("Recommended: Flask")
    answer(child, ENTER)  # framework: accept the recommendation
    answer(child, ENTER)  # customize project options? default no
    status, _signal, output = finish(child)
    assert status == 0, output
    answers = yaml.safe_load((workdir / "shop" / ".copier-answers.yml").read_text())
    assert answers["framework"] == "flask"
    assert answers["docker"] is True
    assert "Next steps:" in output


def test_new_overriding_the_recommendation(workdir):
    child = spawn(["new", "shop", "--no-git"], workdir)
    _answer_criteria_with_defaults(child)
    child.expect("Which framework")
    # The list is ordered by score: Flask (recommended), Django, FastAPI.
    child.send(DOWN + ENTER)
    answer(child, ENTER)
    status, _signal, output = finish(child)
    assert status == 0, output
    assert (workdir / "shop" / "manage.py").exists()


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
    status, _signal, output = finish(child)
    assert status == 0, output
    answers = yaml.safe_load((workdir / "shop" / ".copier-answers.yml").read_text())
    assert answers["description"] == "A shop API"
    assert answers["database"] == "none"
    assert answers["docker"] is False
    assert answers["license"] == "Apache-2.0"
    assert not (workdir / "shop" / "Dockerfile").exists()


def test_invalid_text_is_refused_at_the_prompt(workdir):
    child = spawn(["new", "shop", "--no-git", "--framework", "flask"], workdir)
    answer(child, "y")
    answer(child, "\x15class" + ENTER)  # package_name: a keyword
    child.expect("Python keyword")
    child.send("\x15shop_app" + ENTER)
    # description, author_name, author_email, python_version, database, auth, docker, ci, license
    for _key in range(9):
        answer(child, ENTER)
    status, _signal, output = finish(child)
    assert status == 0, output
    assert (workdir / "shop" / "shop_app" / "__init__.py").exists()


@pytest.mark.parametrize("command", [["recommend"], ["new", "shop"]])
def test_ctrl_c_at_the_first_question_exits_130_and_writes_nothing(workdir, command):
    child = spawn(command, workdir)
    child.expect(PROMPT_READY)
    child.sendintr()
    status, signal, output = finish(child)
    assert signal is None, "scaffold died of SIGINT instead of exiting cleanly"
    assert status == 130
    assert "interrupted" in output and "Traceback" not in output
    assert list(workdir.iterdir()) == []
