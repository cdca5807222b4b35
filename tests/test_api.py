"""The Python API: what ``scaffold`` exports, and bad input raising scaffold's own errors."""

from __future__ import annotations

import pytest

import scaffold
from scaffold.errors import InvalidAnswersError, ScaffoldError, UsageError


def test_the_plan_its_builder_and_create_project_are_exported():
    for name in ("ProjectPlan", "build_plan", "create_project", "How", "InvalidAnswersError"):
        assert name in scaffold.__all__
        assert getattr(scaffold, name) is not None
    with pytest.raises(AttributeError):
        scaffold.nothing_here  # noqa: B018


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: scaffold.build_plan(3), UsageError, "the project name must be text"),
        (lambda: scaffold.build_plan("shop", ["size"]), UsageError, "answers must be a mapping"),
        (lambda: scaffold.build_plan("shop", {1: "x"}), InvalidAnswersError, "keys must be text"),
        (lambda: scaffold.build_plan("shop", {"size": "huge"}), InvalidAnswersError, "size=huge"),
        (lambda: scaffold.build_plan("shop", {"docker": [1]}), InvalidAnswersError, "docker="),
        (lambda: scaffold.build_plan("shop", {"framework": 7}), InvalidAnswersError, "framework"),
        (lambda: scaffold.build_plan("Bad/Name"), UsageError, "NAME"),
        (lambda: scaffold.ProjectPlan("shop", "rails", {}), UsageError, "framework='rails'"),
        (lambda: scaffold.ProjectPlan("shop", "flask", None), UsageError, "options must be"),
        (lambda: scaffold.create_project({"name": "shop"}), UsageError, "expected a ProjectPlan"),
    ],
)
def test_bad_input_raises_scaffolds_own_errors(call, error, message):
    with pytest.raises(error, match=message) as raised:
        call()
    assert isinstance(raised.value, ScaffoldError)


def test_a_hand_made_plan_with_missing_options_is_refused_before_anything_is_written(tmp_path):
    plan = scaffold.ProjectPlan("shop", scaffold.Framework.FLASK, {"database": "sqlite"})
    with pytest.raises(InvalidAnswersError, match="package_name: missing") as raised:
        scaffold.create_project(plan, tmp_path)
    assert "KeyError" not in repr(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_a_bad_output_directory_is_a_usage_error(tmp_path):
    plan = scaffold.build_plan("shop", {"framework": "flask"})
    with pytest.raises(UsageError, match="must be a path"):
        scaffold.create_project(plan, 42)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
