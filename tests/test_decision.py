"""The decision record and the stored criteria answers every project keeps."""

from __future__ import annotations

import yaml

from helpers import run_scaffold
from scaffold import answers
from scaffold.criteria import Answers
from scaffold.decision import RecordContext, criteria_answers, decision_record
from scaffold.frameworks import Framework
from scaffold.plan import ProjectPlan
from scaffold.recommender import recommend

CONTEXT = RecordContext(project="shop", date="2026-01-02", scaffold_version="9.9.9")
DEFAULTS = recommend(Answers())  # Flask 3, Django 1, FastAPI -1


def Decision(framework, recommendation=None):
    """A plan with no options: the record reads only the framework and the recommendation."""
    return ProjectPlan("shop", framework, {}, recommendation)


def test_an_accepted_recommendation():
    record = decision_record(Decision(Framework.FLASK, DEFAULTS), CONTEXT)
    assert record.startswith("# 1. Use Flask as the web framework\n")
    assert "- Date: 2026-01-02" in record and "created with scaffold 9.9.9" in record
    assert "- How: Flask was recommended and accepted" in record
    assert "- Overridden: no" in record
    assert "| How big will the project grow? | Small service or site (`size=small`) |" in record
    assert "| Flask | 3 | recommended |\n| Django | 1 | |\n| FastAPI | -1 | |" in record
    assert "Use Flask, as recommended, because:" in record
    for reason in DEFAULTS.reasons:
        assert f"- {reason}" in record
    assert "- **Django** (runner-up, 1 point):" in record
    assert "- **FastAPI** (also considered, -1 point):" in record


def test_an_overridden_recommendation_says_so():
    record = decision_record(Decision(Framework.DJANGO, DEFAULTS), CONTEXT)
    assert "- How: Django was chosen over the recommended Flask" in record
    assert "- Overridden: yes" in record
    assert "although Flask scored highest: the recommendation was\noverridden." in record
    assert "What speaks for Django with these answers:" in record
    assert "The reasons given for Flask were:" in record
    assert "- **Flask** (recommended, 3 points):" in record
    assert "- **Django** (" not in record  # the chosen one is no alternative


def test_a_framework_chosen_directly():
    decision = Decision(Framework.FASTAPI)
    record = decision_record(decision, CONTEXT)
    assert "- How: FastAPI was chosen directly; no criteria were answered" in record
    assert "- Overridden: no" in record
    assert "## Scores" not in record and "## Alternatives" not in record
    assert yaml.safe_load(criteria_answers(decision)) == {"framework": "fastapi"}


def test_the_criteria_file_reads_back_as_a_data_file(tmp_path):
    chosen = recommend(Answers({"size": "large", "builtins": "yes", "api_docs": "yes"}))
    path = tmp_path / ".scaffold-answers.yml"
    path.write_text(criteria_answers(Decision(Framework.FLASK, chosen)))
    given = answers.gather([str(path)], [])
    assert given.framework is Framework.FLASK
    parsed, problems = answers.parse_criteria(given.data)
    assert problems == [] and Answers(parsed) == chosen.answers


def test_new_projects_keep_the_record(workdir):
    assert run_scaffold(["new", "shop", "-y"], workdir).returncode == 0
    record = (workdir / "shop" / "docs" / "decisions" / "0001-framework.md").read_text()
    assert "- How: Flask was recommended and accepted" in record
    stored = yaml.safe_load((workdir / "shop" / ".scaffold-answers.yml").read_text())
    assert stored == {"framework": "flask", **Answers()}
    assert run_scaffold(["new", "api", "-y", "--framework", "django"], workdir).returncode == 0
    record = (workdir / "api" / "docs" / "decisions" / "0001-framework.md").read_text()
    assert "- How: Django was chosen directly" in record


def test_a_projects_copier_answers_file_is_a_data_file(workdir):
    made = run_scaffold(["new", "shop", "-y", "-d", "size=large", "-d", "builtins=yes"], workdir)
    assert made.returncode == 0, made.stderr
    shop = workdir / "shop"
    assert yaml.safe_load((shop / ".copier-answers.yml").read_text())["framework"] == "django"
    result = run_scaffold(["new", "copy", "-y", "--data-file", "shop/.copier-answers.yml"], workdir)
    assert result.returncode == 0, result.stderr
    copy = workdir / "copy"
    ours = yaml.safe_load((copy / ".copier-answers.yml").read_text())
    theirs = yaml.safe_load((shop / ".copier-answers.yml").read_text())
    # Private keys were ignored (the copy records its own), the framework was taken, NAME won.
    assert ours == {**theirs, "project_name": "copy"}
    record = (copy / "docs" / "decisions" / "0001-framework.md").read_text()
    assert "- How: Django was chosen directly" in record
