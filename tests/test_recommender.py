"""The recommendation model: directions from the article, clear-cut profiles, determinism."""

from __future__ import annotations

import itertools
import json

import pytest

from scaffold.criteria import CRITERIA, CRITERIA_BY_KEY, Answers
from scaffold.frameworks import TIE_BREAK_ORDER, Framework
from scaffold.recommender import MAX_REASONS, WEIGHTS, recommend, scores

DJANGO, FLASK, FASTAPI = Framework.DJANGO, Framework.FLASK, Framework.FASTAPI

ALL_COMBINATIONS = [
    dict(zip([q.key for q in CRITERIA], values, strict=True))
    for values in itertools.product(*(q.values for q in CRITERIA))
]

# Where the article places each framework's strengths, written down independently of
# the weight table: moving one answer to one of these must never hurt that framework.
STRENGTHS: dict[Framework, dict[str, str]] = {
    DJANGO: {
        "size": "large",
        "complexity": "complex",
        "app_type": "web",
        "builtins": "yes",
        "structure": "conventions",
    },
    FLASK: {
        "size": "small",
        "complexity": "simple",
        "builtins": "no",
        "experience": "beginner",
        "structure": "freedom",
    },
    FASTAPI: {
        "app_type": "api",
        "performance": "high",
        "concurrency": "high",
        "api_docs": "yes",
    },
}


def test_every_weight_names_a_real_answer_and_a_source():
    for weight in WEIGHTS:
        assert weight.answer in CRITERIA_BY_KEY[weight.criterion].values, weight
        assert weight.points != 0, weight
        assert weight.reason and weight.source, weight


def test_weights_are_unique_per_answer_and_framework():
    keys = [(w.criterion, w.answer, w.framework) for w in WEIGHTS]
    assert len(keys) == len(set(keys))


def test_every_criterion_moves_some_score():
    moved = {weight.criterion for weight in WEIGHTS}
    assert moved == set(CRITERIA_BY_KEY)


@pytest.mark.parametrize("framework", list(STRENGTHS))
def test_switching_towards_a_strength_never_lowers_that_framework(framework):
    """Over every combination of answers: never a lower score, never a smaller lead."""
    checked = 0
    for combination in ALL_COMBINATIONS:
        before = scores(Answers(combination))
        for key, strong_value in STRENGTHS[framework].items():
            if combination[key] == strong_value:
                continue
            after = scores(Answers({**combination, key: strong_value}))
            assert after[framework] >= before[framework], (combination, key)
            for other in before:
                lead_before = before[framework] - before[other]
                assert after[framework] - after[other] >= lead_before, (combination, key, other)
            checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        # A large, complex, feature-rich site that wants admin and auth built in.
        ({"size": "large", "complexity": "complex", "builtins": "yes", "app_type": "web"}, DJANGO),
        # An enterprise team that likes conventions, even with an API part.
        (
            {"size": "large", "builtins": "yes", "structure": "conventions", "app_type": "both"},
            DJANGO,
        ),
        # A prototype by beginners who want to organise code their way.
        ({"size": "prototype", "experience": "beginner", "structure": "freedom"}, FLASK),
        # A small, simple site with no need for built-in parts.
        ({"size": "small", "complexity": "simple", "builtins": "no", "app_type": "web"}, FLASK),
        # A high-load API with many concurrent connections.
        ({"app_type": "api", "performance": "high", "concurrency": "high"}, FASTAPI),
        # An API whose consumers want validation and interactive docs.
        ({"app_type": "api", "api_docs": "yes"}, FASTAPI),
    ],
)
def test_clear_cut_profiles_from_the_article(profile, expected):
    assert recommend(Answers(profile)).framework == expected


def test_default_answers_recommend_flask_as_documented():
    result = recommend(Answers.defaults())
    assert result.framework == FLASK
    assert dict(result.scores) == {DJANGO: 1, FLASK: 3, FASTAPI: -1}


def test_ties_go_by_the_documented_order():
    tied = next(c for c in ALL_COMBINATIONS if len(set(scores(Answers(c)).values())) == 1)
    result = recommend(Answers(tied))
    assert result.framework == TIE_BREAK_ORDER[0]
    assert "tie" in result.reasons[0]


def test_recommendation_is_deterministic():
    for combination in ALL_COMBINATIONS[::97]:
        assert recommend(Answers(combination)) == recommend(Answers(combination))


def test_reasons_name_two_to_five_answers_in_favour_of_the_winner():
    for combination in ALL_COMBINATIONS[::13]:
        result = recommend(Answers(combination))
        assert 2 <= len(result.reasons) <= MAX_REASONS, combination
        labels = {q.label_of(combination[q.key]) for q in CRITERIA}
        answer_reasons = [r for r in result.reasons if "tie" not in r]
        for reason in answer_reasons:
            assert any(reason.startswith(f"{label}: ") for label in labels), reason


def test_winner_has_the_highest_score_and_alternatives_are_ranked():
    for combination in ALL_COMBINATIONS[::31]:
        result = recommend(Answers(combination))
        assert result.scores[result.framework] == max(result.scores.values())
        alternative_scores = [alternative.score for alternative in result.alternatives]
        assert alternative_scores == sorted(alternative_scores, reverse=True)
        assert {a.framework for a in result.alternatives} == set(Framework) - {result.framework}
        assert all(alternative.offers for alternative in result.alternatives)


def test_json_shape_is_exactly_the_documented_one():
    payload = json.loads(json.dumps(recommend(Answers.defaults()).to_json()))
    assert set(payload) == {"framework", "scores", "reasons", "answers"}
    assert set(payload["scores"]) == {"django", "flask", "fastapi"}
    assert payload["answers"] == dict(Answers.defaults())


def test_answers_reject_unknown_keys_and_values():
    with pytest.raises(ValueError, match="unknown criteria"):
        Answers({"colour": "blue"})
    with pytest.raises(ValueError, match="size=huge is not one of"):
        Answers({"size": "huge"})


@pytest.mark.parametrize("raw", ["YES", "true", "1", "True", True, "on"])
def test_yes_no_criteria_accept_boolean_words(raw):
    assert Answers({"builtins": raw})["builtins"] == "yes"


@pytest.mark.parametrize("raw", ["No", "FALSE", "0", False, "off"])
def test_yes_no_criteria_accept_negative_words(raw):
    assert Answers({"api_docs": raw})["api_docs"] == "no"
