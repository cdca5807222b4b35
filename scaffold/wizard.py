"""The terminal wizard of ``scaffold new``: the questionnaire, the framework, the review.

It asks the criteria (with progress and a way back), shows the
recommendation, lets the user pick the framework and customise the options,
then shows every answer and lets any one of them change, before anything is
written. Every plan it shows comes from :func:`scaffold.plan.build_plan`: a
changed answer rebuilds the plan, so defaults that depend on it (the
description names the framework) follow, and the answers the user typed stay.
Imported only when a terminal is there: it loads questionary.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping

from scaffold import prompts
from scaffold.criteria import CRITERIA, CRITERIA_BY_KEY, Answers
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.plan import FRAMEWORK_KEY, ProjectPlan, build_plan, framework_question
from scaffold.questions import Question, Value, format_value
from scaffold.recommender import Recommendation, recommend
from scaffold.report import (
    format_answers,
    format_recommendation,
    format_summary,
    terminal_width,
    warn_override,
)


def plan_project(name: str, answers: Mapping[str, object]) -> ProjectPlan:
    """Ask what ``answers`` leave open, then review; the plan the user accepted."""
    return _Wizard(name, answers).run()


class _Wizard:
    """One run of the wizard: what is asked how, for a plan being built or changed."""

    def __init__(self, name: str, answers: Mapping[str, object]) -> None:
        self.name = name
        self.answers = dict(answers)
        #: The framework was given (--framework, a data file): neither asked nor changeable.
        self.fixed = FRAMEWORK_KEY in self.answers
        self.recommendation: Recommendation | None = None
        #: None until asked: whether the options are asked or take their defaults.
        self.customise: bool | None = None
        #: While reviewing: the key being changed, and the options the plan had.
        self.changing: str | None = None
        self.known: Mapping[str, Value] = {}

    def run(self) -> ProjectPlan:
        if not self.fixed:
            criteria = prompts.ask_criteria(CRITERIA, self._criteria(self.answers))
            self.answers.update(criteria)
            self.recommendation = recommend(Answers(criteria))
            print()
            print(format_recommendation(self.recommendation, terminal_width()))
            print()
        plan = build_plan(self.name, self.answers, ask=self.ask)
        if self.fixed and plan.recommendation is not None:
            warn_override(plan.recommendation, plan.framework, among=self._criteria(plan.given))
        return self.review(plan)

    @staticmethod
    def _criteria(answers: Mapping[str, object]) -> dict[str, str]:
        return {key: str(value) for key, value in answers.items() if key in CRITERIA_BY_KEY}

    def ask(self, question: Question) -> Value:
        """Answer one question of the plan builder."""
        if question.key == FRAMEWORK_KEY:
            return self.pick(question)
        if self.changing is not None:  # reviewing: ask what changed and what is new
            if question.key == self.changing or question.key not in self.known:
                return prompts.ask(self._with_default(question))
            return question.default
        if self.customise is None:
            self.customise = prompts.confirm("Customize project options?", default=False)
        return prompts.ask(question) if self.customise else question.default

    def _with_default(self, question: Question) -> Question:
        """The question with its current answer proposed, when that answer is still valid."""
        if question.key in self.known:
            with contextlib.suppress(ValueError):
                return dataclasses.replace(
                    question, default=question.parse(self.known[question.key])
                )
        return question

    def pick(self, question: Question) -> Framework:
        """The framework: the recommendation or another, and what the other one costs."""
        chosen = Framework(str(prompts.ask(question)))
        if self.recommendation is not None:
            warn_override(self.recommendation, chosen)
        return chosen

    def review(self, plan: ProjectPlan) -> ProjectPlan:
        """Show every answer; rebuild the plan with each change until the user accepts it."""
        while True:
            print()
            criteria = None if self.fixed else plan.criteria
            print(format_answers(criteria, plan.framework, plan.options, terminal_width()))
            key = prompts.choose_answer_to_change(self._changeable(plan))
            if key is None:
                return plan
            if key:
                plan = self.change(plan, key)

    def _changeable(self, plan: ProjectPlan) -> list[tuple[str, str]]:
        """The answers the summary offers to change, as (key, text)."""
        items = []
        if not self.fixed and plan.criteria is not None:
            items += [(q.key, f"{q.key}: {q.label_of(plan.criteria[q.key])}") for q in CRITERIA]
            items.append((FRAMEWORK_KEY, f"framework: {FRAMEWORKS[plan.framework].label}"))
        items += [(key, f"{key}: {format_value(value)}") for key, value in plan.options.items()]
        return items

    def change(self, plan: ProjectPlan, key: str) -> ProjectPlan:
        """The plan with the answer to ``key`` asked again."""
        answers: dict[str, Value] = dict(plan.given)
        self.changing, self.known = key, plan.options
        try:
            if key in CRITERIA_BY_KEY and plan.criteria is not None:
                question = dataclasses.replace(CRITERIA_BY_KEY[key], default=plan.criteria[key])
                answers[key] = prompts.ask(question)
                self.recommendation = recommend(Answers(self._criteria(answers)))
                print()
                print(format_summary(self.recommendation, terminal_width()))
                if self.recommendation.framework != plan.framework:
                    answers.pop(FRAMEWORK_KEY, None)  # the framework is asked again
            elif key == FRAMEWORK_KEY and plan.recommendation is not None:
                self.recommendation = plan.recommendation
                options = {k: v for k, v in plan.given.items() if k in plan.options}
                answers[key] = self.pick(framework_question(plan.recommendation, options))
            else:
                answers.pop(key, None)
            previous = dataclasses.replace(plan, given=answers)
            return build_plan(self.name, answers, ask=self.ask, previous=previous)
        finally:
            self.changing, self.known = None, {}
