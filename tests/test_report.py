"""The text scaffold prints: next steps, wrapping, the one format for scores."""

from __future__ import annotations

import pytest

from scaffold.criteria import Answers
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.recommender import recommend
from scaffold.report import (
    format_answers,
    format_next_steps,
    format_override,
    format_points,
    format_recommendation,
    score_line,
)


@pytest.mark.parametrize("framework", list(Framework))
def test_next_steps_work_on_a_plain_debian_machine(framework):
    steps = format_next_steps("shop", framework, "shop", "sqlite")
    assert "python3 -m venv .venv" in steps
    assert "python -m venv" not in steps
    assert "apt install python3-venv" in steps
    info = FRAMEWORKS[framework]
    for command in info.setup("shop", "sqlite"):
        assert f"  {command}\n" in steps  # read from FrameworkInfo, not spelled out here
    assert info.dev_command.format(port=8000, package="shop") in steps
    assert ("createsuperuser" in steps) == (framework == Framework.DJANGO)


def test_next_steps_say_how_to_start_postgresql():
    steps = format_next_steps("shop", Framework.FLASK, "shop", "postgresql", postgres_version="16")
    assert "docker run -d --name shop-db -p 5432:5432" in steps
    assert "-e POSTGRES_DB=shop postgres:16" in steps
    assert "sudo apt install postgresql" in steps
    assert "sudo -u postgres createdb shop" in steps
    order = [steps.index(text) for text in ("pip install", "docker run", "pytest")]
    assert order == sorted(order), "the database is started before the tests need it"
    assert "postgres" not in format_next_steps("shop", Framework.FLASK, "shop", "sqlite")


def test_next_steps_leave_out_what_install_and_check_did():
    steps = format_next_steps(
        "shop", Framework.DJANGO, "shop", "postgresql", installed=True, tested=True
    )
    assert "source .venv/bin/activate" in steps
    for done in ("python3 -m venv", "pip install", "pytest", "migrate", "docker run"):
        assert done not in steps
    assert "createsuperuser" in steps


def test_next_steps_after_new_dot_need_no_cd():
    assert "cd " not in format_next_steps(".", Framework.FLASK, "shop", "sqlite")
    assert "  cd 'my shop'\n" in format_next_steps("my shop", Framework.FLASK, "my_shop", "sqlite")


def test_one_format_for_scores():
    result = recommend(Answers({"size": "large", "builtins": "yes"}))
    assert format_points(1) == "1 point" and format_points(-1) == "-1 point"
    assert format_points(0) == "0 points" and format_points(7) == "7 points"
    line = score_line(result)
    assert line.startswith("Django ") and line.count(" point") == 3
    text = format_recommendation(result)
    assert f"Scores: {line}" in " ".join(text.split())
    runner_up = result.alternatives[0]
    label = FRAMEWORKS[runner_up.framework].label
    assert f"Runner-up: {label} {format_points(runner_up.score)}" in text


@pytest.mark.parametrize("width", [40, 60, 100])
def test_wrapping_keeps_words_whole_and_within_the_width(width):
    result = recommend(Answers({"app_type": "web", "builtins": "yes", "performance": "high"}))
    text = format_recommendation(result, width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert text.split() == format_recommendation(result, 1000).split()


def test_the_override_warning_is_empty_when_nothing_is_lost():
    result = recommend(Answers.defaults())
    assert format_override(result, result.framework) == ""
    warning = format_override(result, Framework.FASTAPI)
    assert warning.startswith("You chose FastAPI over the recommended Flask")
    assert format_override(result, Framework.FASTAPI, among=["api_docs"]) == ""


def test_the_summary_lists_every_answer():
    criteria = Answers({"size": "large"})
    text = format_answers(criteria, Framework.DJANGO, {"database": "sqlite", "docker": True})
    assert "size: Large or enterprise-scale application" in text
    assert "framework: Django" in text
    assert "database: sqlite" in text and "docker: yes" in text
    assert "size:" not in format_answers(None, Framework.DJANGO, {})
