"""Properties of the recommendation, checked over every combination of answers.

(a) monotone towards every strength, (b) no synonyms, (c) ties broken by a rule
the reasons state and that favours no framework by construction, (d) none of the
results the docs call absurd, and reasons that are true.
"""

from __future__ import annotations

import functools
import itertools
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from scaffold.criteria import CRITERIA, CRITERIA_BY_KEY, Answers
from scaffold.frameworks import Framework
from scaffold.recommender import (
    CONDITIONS,
    STRENGTHS,
    TIE_BREAK_ORDER,
    Recommendation,
    rank,
    recommend,
    scores,
    weight_for,
)

KEYS = [q.key for q in CRITERIA]
COMBINATIONS = [
    dict(zip(KEYS, values, strict=True))
    for values in itertools.product(*(q.values for q in CRITERIA))
]
ABSURD = tomllib.loads((Path(__file__).parent / "data" / "absurd.toml").read_text())["rule"]
DIRECTIONS = [
    pytest.param(framework, key, value, id=f"{framework.value}-{key}-{value}")
    for framework, strong in STRENGTHS.items()
    for key, value in strong.items()
]


@functools.cache
def _result(values: tuple[str, ...]) -> tuple[dict[Framework, int], tuple[Framework, ...]]:
    answers = Answers(dict(zip(KEYS, values, strict=True)))
    return scores(answers), rank(answers)


@functools.cache
def _recommendation(values: tuple[str, ...]) -> Recommendation:
    return recommend(Answers(dict(zip(KEYS, values, strict=True))))


def _each_recommendation():
    for combination in COMBINATIONS:
        yield combination, _recommendation(tuple(combination.values()))


def test_there_are_3456_combinations():
    assert len(COMBINATIONS) == 4 * 3 * 3 * 2 * 2 * 2 * 3 * 2 * 2 == 3456


@pytest.mark.parametrize(("framework", "key", "strong"), DIRECTIONS)
def test_moving_towards_a_strength_never_lowers_score_lead_or_rank(framework, key, strong):
    """(a) For one direction of the strengths table, every combination, every step towards it."""
    axis = CRITERIA_BY_KEY[key].values
    target = axis.index(strong)
    moves = 0
    for combination in COMBINATIONS:
        before, ranking = _result(tuple(combination.values()))
        here = axis.index(combination[key])
        for step, value in enumerate(axis):
            if abs(step - target) >= abs(here - target):
                continue  # not closer to the strength
            after, new_ranking = _result(tuple({**combination, key: value}.values()))
            where = (combination, key, value)
            assert after[framework] >= before[framework], where
            for other in Framework:
                lead = before[framework] - before[other]
                assert after[framework] - after[other] >= lead, (*where, other)
            assert new_ranking.index(framework) <= ranking.index(framework), where
            moves += 1
    assert moves >= len(COMBINATIONS) // 2


def test_strengths_cover_every_framework_and_shared_strengths_never_separate():
    """Flask and FastAPI share builtins=no and structure=freedom: those answers keep them level."""
    assert set(STRENGTHS) == set(Framework)
    shared = set(STRENGTHS[Framework.FLASK].items()) & set(STRENGTHS[Framework.FASTAPI].items())
    assert shared == {("builtins", "no"), ("structure", "freedom")}
    for key, _ in shared:
        gaps = {
            _points(key, value, Framework.FLASK) - _points(key, value, Framework.FASTAPI)
            for value in CRITERIA_BY_KEY[key].values
        }
        assert len(gaps) == 1, key


def _points(key: str, value: str, framework: Framework) -> int:
    weight = weight_for(key, value, framework)
    return weight.points if weight else 0


def _vector(key: str, value: str) -> tuple[int, ...]:
    return tuple(_points(key, value, framework) for framework in Framework)


def test_no_answer_is_a_synonym_of_another():
    """(b) Within a question, and across questions, answers give distinct points.

    The exceptions are the documented neutral answers (no points for anyone, one per
    question at most) and the answers switched off by a documented condition.
    """
    vectors = {(q.key, value): _vector(q.key, value) for q in CRITERIA for value in q.values}
    for question in CRITERIA:
        own = [vectors[question.key, value] for value in question.values]
        assert len(set(own)) == len(own), question.key
    non_neutral = [v for v in vectors.values() if any(v)]
    assert len(set(non_neutral)) == len(non_neutral)
    # Switching a yes/no (or two-way) question moves the scores in its own way.
    switches = [
        tuple(
            b - a
            for a, b in zip(vectors[q.key, q.values[0]], vectors[q.key, q.values[1]], strict=True)
        )
        for q in CRITERIA
        if len(q.values) == 2
    ]
    assert len(set(switches)) == len(switches)
    for condition in CONDITIONS:
        assert condition.reason and condition.sources


def test_ties_are_broken_by_the_stated_rule():
    """(c) The tie reason is first, names the deciding answer, and the points it quotes are true."""
    ties = 0
    for combination, result in _each_recommendation():
        totals = result.scores
        runner_up = result.ranking[1]
        if totals[result.framework] != totals[runner_up]:
            assert result.tie is None
            continue
        ties += 1
        assert result.tie is not None
        decided_by = result.tie.decided_by
        earlier = TIE_BREAK_ORDER[: TIE_BREAK_ORDER.index(decided_by)]
        row = result.points
        assert all(row[key][result.framework] == row[key][runner_up] for key in earlier)
        assert row[decided_by][result.framework] > row[decided_by][runner_up]
        label = CRITERIA_BY_KEY[decided_by].label_of(combination[decided_by])
        reason = result.reasons[0]
        assert reason.startswith("Tie: ") and f": {label} gives " in reason, reason
    assert 0 < ties < len(COMBINATIONS) // 10


def test_no_framework_loses_every_tie():
    """(c) Each framework wins ties against each of the others."""
    won = Counter()
    for _, result in _each_recommendation():
        if result.tie:
            won[result.framework, result.ranking[1]] += 1
    for winner, loser in itertools.permutations(Framework, 2):
        assert won[winner, loser] > 0, (winner, loser)


def test_the_ranking_never_falls_back_on_a_fixed_order():
    """Every pair of frameworks gets different points from app_type or builtins."""
    for first, second in itertools.combinations(Framework, 2):
        for app_type in CRITERIA_BY_KEY["app_type"].values:
            for builtins in CRITERIA_BY_KEY["builtins"].values:
                assert (
                    _points("app_type", app_type, first),
                    _points("builtins", builtins, first),
                ) != (
                    _points("app_type", app_type, second),
                    _points("builtins", builtins, second),
                )


@pytest.mark.parametrize(
    "rule", ABSURD, ids=[f"{r['never']}:{sorted(r['when'].items())}" for r in ABSURD]
)
def test_no_absurd_result(rule):
    """(d) A rule of tests/data/absurd.toml holds for every combination it covers."""
    covered = 0
    for combination, result in _each_recommendation():
        if all(combination[key] in values for key, values in rule["when"].items()):
            assert result.framework != Framework(rule["never"]), combination
            covered += 1
    assert covered > 0


def test_every_reason_is_true():
    """Reasons give the winner more than the runner-up and no fewer than any framework."""
    for combination, result in _each_recommendation():
        runner_up = result.ranking[1]
        explained = [r for r in result.reasons if not r.startswith("Tie: ")]
        assert explained or result.tie, combination
        for reason in explained:
            key = _key_of(reason, combination)
            row = result.points[key]
            assert row[result.framework] > row[runner_up], (combination, reason)
            assert row[result.framework] == max(row.values()), (combination, reason)


def test_trade_offs_and_alternatives_list_every_answer_that_counts_against_the_winner():
    for combination, result in _each_recommendation():
        against = {
            key for key, row in result.points.items() if max(row.values()) > row[result.framework]
        }
        assert {_key_of(t, combination) for t in result.trade_offs} == against
        for alternative in result.alternatives:
            better = {
                key
                for key, row in result.points.items()
                if row[alternative.framework] > row[result.framework]
            }
            assert set(alternative.strengths) == better
            assert len(alternative.reasons) == len(alternative.strengths)


def test_scores_add_up_from_the_itemised_points():
    for _, result in _each_recommendation():
        for framework in Framework:
            total = sum(row[framework] for row in result.points.values())
            assert total == result.scores[framework]


def _key_of(text: str, combination: dict[str, str]) -> str:
    """The criterion whose answer label starts ``text``."""
    (key,) = [
        key
        for key in KEYS
        if text.startswith(CRITERIA_BY_KEY[key].label_of(combination[key]) + ": ")
    ]
    return key
