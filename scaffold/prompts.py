"""Interactive questions on a terminal, with questionary.

Only the raising ``unsafe_ask`` is used: Ctrl-C must stop scaffold, never be
taken as an answer. Imported only when a terminal is there to ask on.
Every prompt runs through :func:`_answer`, so that SIGTERM and SIGHUP stop
scaffold at a prompt as cleanly as anywhere else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, Literal, overload

import questionary

from scaffold import interrupts
from scaffold.questions import Question, Value
from scaffold.report import terminal_width, wrap

BACK_TITLE = "<- Back to the previous question"


class Step(Enum):
    """A move through the questionnaire that is not an answer."""

    BACK = "back"


def _answer(prompt: questionary.Question) -> Any:  # noqa: ANN401 (questionary answers are untyped)
    """The prompt's answer; a signal while it waits closes it, then interrupts.

    Raised where the signal lands, the interruption would end whichever task
    of prompt_toolkit's event loop was running (a history load, say), which
    prints its traceback and waits for Enter. Instead the signal closes the
    prompt, and the interruption is raised once the terminal is restored.
    """
    application = prompt.application

    def close() -> None:
        if application.future is not None and not application.future.done():
            application.exit(result=None)

    # A signal that came before the prompt started closes it as soon as it starts.
    application.pre_run_callables.append(lambda: close() if interrupts.pending() else None)
    with interrupts.deferred(wake=close):
        return prompt.unsafe_ask()


def ask(question: Question) -> Value:
    """Ask one question, showing its help line first, and return a valid value."""
    return _ask(question)


def ask_criteria(questions: Sequence[Question], given: Mapping[str, str]) -> dict[str, str]:
    """Ask every question not in ``given``, showing "question k of n", with a way back.

    Going back shows the previous question with its answer selected; the answers
    in ``given`` are kept and not asked.
    """
    pending = [question for question in questions if question.key not in given]
    answers: dict[str, str] = {}
    index = 0
    while index < len(pending):
        question = pending[index]
        if question.key in answers:
            question = dataclasses.replace(question, default=answers[question.key])
        answer = _ask(question, position=(index + 1, len(pending)), back=index > 0)
        if answer is Step.BACK:
            index -= 1
            continue
        answers[question.key] = str(answer)
        index += 1
    return {**given, **answers}


@overload
def _ask(
    question: Question, *, position: tuple[int, int] | None = None, back: Literal[False] = False
) -> Value: ...
@overload
def _ask(
    question: Question, *, position: tuple[int, int] | None = None, back: bool
) -> Value | Step: ...
def _ask(
    question: Question, *, position: tuple[int, int] | None = None, back: bool = False
) -> Value | Step:
    """One question; ``position`` shows progress, ``back`` offers the previous question."""
    if question.help:
        for line in wrap(question.help, terminal_width(), "  "):
            questionary.print(line, style="fg:ansibrightblack")
    qmark = f"[{position[0]}/{position[1]}]" if position else "?"
    if question.kind == "bool":
        return bool(
            _answer(
                questionary.confirm(question.message, default=bool(question.default), qmark=qmark)
            )
        )
    if question.kind == "choice":
        choices: list[questionary.Choice | questionary.Separator] = [
            questionary.Choice(
                title=choice.label, value=choice.value, disabled=choice.disabled or None
            )
            for choice in question.choices
        ]
        default = next(
            (
                c
                for c in choices
                if isinstance(c, questionary.Choice)
                and c.value == question.default
                and not c.disabled
            ),
            None,
        )
        if back:
            choices += [questionary.Separator(), questionary.Choice(BACK_TITLE, value=Step.BACK)]
        answer: Value | Step = _answer(
            questionary.select(question.message, choices=choices, default=default, qmark=qmark)
        )
        return answer

    def validate(text: str) -> bool | str:
        try:
            question.parse(text)
        except ValueError as error:
            return str(error)
        return True

    typed: str = _answer(
        questionary.text(
            question.message, default=str(question.default), validate=validate, qmark=qmark
        )
    )
    return question.parse(typed)


def choose_answer_to_change(answers: Sequence[tuple[str, str]]) -> str | None:
    """After the summary: None to go ahead, else the key of the answer to change.

    ``answers`` are (key, shown text) pairs, in the order of the summary. An empty
    key means the user changed their mind: show the summary again.
    """
    go_ahead = _answer(
        questionary.select(
            "Create the project with these answers?",
            choices=[
                questionary.Choice("Yes, create it", value=True),
                questionary.Choice("Change an answer", value=False),
            ],
        )
    )
    if go_ahead:
        return None
    key: str | None = _answer(
        questionary.select(
            "Which answer do you want to change?",
            choices=[
                *(questionary.Choice(title=text, value=key) for key, text in answers),
                questionary.Separator(),
                questionary.Choice("<- None, back to the summary", value=""),
            ],
        )
    )
    return key or ""


def confirm(message: str, *, default: bool) -> bool:
    """A yes/no question."""
    return bool(_answer(questionary.confirm(message, default=default)))
