"""The project plan: one builder from raw answers, defaults that follow what they depend on."""

from __future__ import annotations

from scaffold.decision import How
from scaffold.frameworks import Framework
from scaffold.plan import ProjectPlan, build_plan
from scaffold.questions import Question, Value

LARGE = {"size": "large", "builtins": "yes"}  # recommends Django


def test_how_the_framework_was_chosen():
    assert build_plan("shop", LARGE).how is How.RECOMMENDED
    assert build_plan("shop", {**LARGE, "framework": "flask"}).how is How.OVERRIDDEN
    direct = build_plan("shop", {"framework": "fastapi"})
    assert direct.how is How.DIRECT and direct.recommendation is None
    assert direct.unanswered and "size" not in direct.unanswered


def test_a_changed_framework_recomputes_the_description_unless_it_was_typed():
    plan = build_plan("shop", LARGE)
    assert plan.options["description"] == "A Django web application"
    changed = build_plan("shop", {**plan.given, "framework": "flask"}, previous=plan)
    assert changed.framework is Framework.FLASK
    assert changed.options["description"] == "A Flask web application"
    typed = build_plan("shop", {**LARGE, "description": "My shop"})
    kept = build_plan("shop", {**typed.given, "framework": "flask"}, previous=typed)
    assert kept.options["description"] == "My shop"


def test_answers_equal_to_the_default_are_not_typed():
    asked: list[str] = []

    def ask(question: Question) -> Value:
        asked.append(question.key)
        return "Own words" if question.key == "description" else question.default

    plan = build_plan("shop", {"framework": "django"}, ask=ask)
    assert "description" in asked and "framework" not in asked
    assert plan.given["description"] == "Own words" and "license" not in plan.given


def test_the_previous_framework_stays_while_the_recommendation_does_not_move():
    def pick_fastapi(question: Question) -> Value:
        return Framework.FASTAPI if question.key == "framework" else question.default

    plan = build_plan("shop", {"size": "large"}, ask=pick_fastapi)
    assert plan.framework is Framework.FASTAPI and plan.how is How.OVERRIDDEN
    same = build_plan("shop", {**plan.given, "experience": "intermediate"}, previous=plan)
    assert same.framework is Framework.FASTAPI
    moved = build_plan("shop", {**plan.given, "size": "small", "builtins": "no"}, previous=plan)
    assert moved.framework is moved.recommendation.framework is Framework.FLASK


def test_previous_answers_stand_in_and_are_dropped_where_they_no_longer_apply():
    recorded = {"database": "postgresql", "postgres_version": "16", "license": "MIT"}
    previous = ProjectPlan(
        "shop", Framework.FLASK, recorded, given={**recorded, "framework": "flask"}
    )
    kept = build_plan("shop", {"license": "Apache-2.0"}, previous=previous)
    assert kept.framework is Framework.FLASK and kept.options["postgres_version"] == "16"
    assert kept.options["license"] == "Apache-2.0"
    dropped = build_plan("shop", {"database": "sqlite"}, previous=previous)
    assert "postgres_version" not in dropped.options


def test_a_plan_survives_json_as_the_render_workers_receive_it():
    for answers in (
        LARGE,
        {"framework": "fastapi", "auth": "yes"},
        {**LARGE, "framework": "flask"},
    ):
        plan = build_plan("shop", answers)
        again = ProjectPlan.from_json(plan.to_json())
        assert again == plan and again.how is plan.how
