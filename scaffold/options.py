"""Project options: the questions of the bundled copier template, read from its copier.yml.

copier.yml is the one place where each option's help, choices, default and
validation rule live. scaffold reads it to ask the same questions, check
``--data`` before anything is written, and hand copier a complete set of
answers so copier never prompts. A few defaults can only be known at run time
(the running Python, the user's git identity); :func:`runtime_defaults` supplies
them and they pass the same checks as any other answer.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffold import names
from scaffold.errors import InvalidAnswersError, TemplateError, UsageError
from scaffold.frameworks import FRAMEWORKS
from scaffold.questions import Choice, Kind, Question, Value, parse_bool, unknown_key_message

CONFIG_FILE = "copier.yml"
#: Options scaffold fills itself: the framework from the recommendation or
#: --framework, the project name from NAME.
SET_BY_SCAFFOLD = ("framework", "project_name")
#: Options that differ for every project, so they have no personal default.
PER_PROJECT = ("package_name", "description")


def _asked_only_for() -> dict[str, str]:
    """Which projects each conditional question (copier.yml's ``when:``) is asked for, in words.

    The condition itself is template logic a user should never see.
    """
    own = [info.label for info in FRAMEWORKS.values() if info.builtin_accounts]
    others = [info.label for info in FRAMEWORKS.values() if not info.builtin_accounts]
    accounts = f"{' and '.join(others)} projects with a database"
    if own:
        has = "always has its" if len(own) == 1 else "always have their"
        accounts += f" ({' and '.join(own)} {has} own accounts)"
    return {"postgres_version": "PostgreSQL projects", "auth": accounts}


ASKED_ONLY_FOR: Mapping[str, str] = _asked_only_for()
#: How to mend a --data answer to a question that does not apply, besides leaving it out.
_NOT_APPLICABLE_REMEDY: Mapping[str, str] = {"postgres_version": "add -d database=postgresql"}
#: Checks copier.yml cannot express; they run before the template's own validator.
PYTHON_CHECKS: Mapping[str, Callable[[str], str | None]] = {
    "project_name": names.project_name_problem,
    "package_name": names.package_problem,
}

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment

Asker = Callable[[Question], Value]


def templates_root() -> Path:
    """Where the copier template lives: inside the installed package, or in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    raise TemplateError(
        f"the bundled templates are missing (looked in {here / 'templates'}); reinstall scaffold"
    )


@dataclass(frozen=True)
class TemplateOption:
    """One question of copier.yml, as written there (Jinja expressions unrendered)."""

    key: str
    type: str
    help: str
    default: Any
    #: (label, value, validator) per choice; a validator that renders text disables the choice.
    choices: tuple[tuple[str, Any, str], ...]
    validator: str
    when: Any


@functools.cache
def template_config() -> dict[str, Any]:
    """copier.yml as a mapping, read once per process (copier's render reuses it)."""
    import yaml

    path = templates_root() / CONFIG_FILE
    try:
        # libyaml's loader when PyYAML has it: ten times faster than the pure-Python one.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        config = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (safe)
    except (OSError, yaml.YAMLError) as error:
        raise TemplateError(f"cannot read {path}: {error}") from error
    return dict(config)


@functools.cache
def load_options() -> tuple[TemplateOption, ...]:
    """Read the questions of copier.yml in their order, skipping its settings (``_`` keys)."""
    config = template_config()
    return tuple(
        TemplateOption(
            key=key,
            type=spec.get("type", "str"),
            help=spec.get("help", key),
            default=spec.get("default", ""),
            choices=_choices(spec.get("choices", ())),
            validator=spec.get("validator", ""),
            when=spec.get("when", True),
        )
        for key, spec in config.items()
        if not key.startswith("_")
    )


def _choices(raw: object) -> tuple[tuple[str, Any, str], ...]:
    if isinstance(raw, dict):
        items: Iterable[tuple[object, object]] = raw.items()
    else:
        items = ((str(value), value) for value in raw or ())  # type: ignore[attr-defined]
    result = []
    for label, value in items:
        if isinstance(value, dict):
            result.append((str(label), value["value"], value.get("validator", "")))
        else:
            result.append((str(label), value, ""))
    return tuple(result)


def option_keys() -> list[str]:
    """The option keys a user may pass with --data (the rest scaffold sets itself)."""
    return [option.key for option in load_options() if option.key not in SET_BY_SCAFFOLD]


@functools.cache
def _jinja() -> SandboxedEnvironment:
    """A sandboxed Jinja environment like copier's: strict undefined, Ansible's filters."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        undefined=StrictUndefined,
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    )


@functools.cache
def _compiled(expression: str) -> Template:
    """Each expression of copier.yml is compiled once, however often it is evaluated."""
    return _jinja().from_string(expression)


def _render(expression: object, context: Mapping[str, Any]) -> object:
    """Render a Jinja string from copier.yml; anything that is not a string is returned as is."""
    if not isinstance(expression, str):
        return expression
    if "{{" not in expression and "{%" not in expression:
        return expression.strip()  # plain text: nothing to render
    return _compiled(expression).render(**context).strip()


def _rule_problem(option: TemplateOption, value: Value, context: Mapping[str, Any]) -> str | None:
    """Run scaffold's own check (the more specific message), then the template's validator."""
    from jinja2 import UndefinedError

    python_check = PYTHON_CHECKS.get(option.key)
    if python_check and (problem := python_check(str(value))):
        return problem
    try:
        message = _render(option.validator, {**context, option.key: value})
    except UndefinedError:
        # The rule depends on an answer not known yet (e.g. the framework before the
        # recommendation); it runs again once that answer is there.
        message = ""
    return str(message) or None


def question_for(
    option: TemplateOption, context: Mapping[str, Any], default: Value | None = None
) -> Question:
    """The question for ``option`` given the answers so far, with unavailable choices left out."""
    choices = []
    for label, value, validator in option.choices:
        if "framework" in context and _render(validator, context):
            continue
        choices.append(Choice(value, label))
    if default is None:
        default = _default(option, context)
    kind: Kind = "bool" if option.type == "bool" else "choice" if option.choices else "text"
    return Question(
        key=option.key,
        message=option.help,
        help="",
        kind=kind,
        default=default if default is not None else False,
        choices=tuple(choices),
        check=lambda value: _rule_problem(option, value, context),
    )


def _default(option: TemplateOption, context: Mapping[str, Any]) -> Value | None:
    """The template's default in this context; None while it depends on an unknown answer."""
    from jinja2 import UndefinedError

    try:
        rendered = _render(option.default, context)
    except UndefinedError:
        return None
    return parse_bool(rendered) if option.type == "bool" else str(rendered)


def _unavailable_choice(
    option: TemplateOption, value: object, context: Mapping[str, Any]
) -> str | None:
    """The reason a choice is unavailable in this context, if it is one."""
    for _label, choice_value, validator in option.choices:
        if (
            choice_value == value
            and "framework" in context
            and (reason := _render(validator, context))
        ):
            return f"{option.key}={value} is not available with {context['framework']}: {reason}"
    return None


def conflict(framework: str, given: Mapping[str, Value]) -> str | None:
    """Why the given answers rule out ``framework`` (e.g. no database with Django), if they do."""
    context: dict[str, Any] = {"framework": framework, **given}
    for option in load_options():
        if option.key in given and (
            reason := _unavailable_choice(option, given[option.key], context)
        ):
            return reason
    return None


#: The run-time defaults a long-running process read once (:func:`keep_runtime_defaults`).
_kept_runtime_defaults: dict[str, Value] | None = None


def keep_runtime_defaults() -> None:
    """Read the run-time defaults now and use them for the rest of the process.

    ``scaffold serve`` does so as it starts: no request then runs git or reads
    the personal defaults file for them (about a tenth of a first-time zip),
    a bad file stops the server before it listens, and a change to either
    applies from the next start.
    """
    global _kept_runtime_defaults
    _kept_runtime_defaults = None
    _kept_runtime_defaults = runtime_defaults()


def runtime_defaults() -> dict[str, Value]:
    """Defaults only known at run time.

    The running Python, git's user name and e-mail, and the personal defaults
    file, which wins over git.
    """
    if _kept_runtime_defaults is not None:
        return dict(_kept_runtime_defaults)
    defaults: dict[str, Value] = {"python_version": _supported_python()}
    identity = git_identity()
    for key, setting in (("author_name", "user.name"), ("author_email", "user.email")):
        if value := identity.get(setting):
            defaults[key] = value
    defaults.update(personal_defaults())
    return defaults


def personal_defaults() -> dict[str, Value]:
    """The project options of the personal defaults file, each checked like an answer.

    Raises ConfigError naming the file for an unknown key, a per-project option or
    a value the option does not accept.
    """
    from scaffold.user_config import OTHER_KEYS, load_user_config

    config = load_user_config()
    by_key = {option.key: option for option in load_options()}
    valid = [key for key in option_keys() if key not in PER_PROJECT]
    parsed: dict[str, Value] = {}
    for key, raw in config.defaults.items():
        if key in OTHER_KEYS:
            continue
        if key in PER_PROJECT or key in SET_BY_SCAFFOLD:
            raise config.problem(f"{key} differs for every project; give it with --data instead")
        if key not in by_key:
            raise config.problem(unknown_key_message(key, [*valid, *OTHER_KEYS]))
        try:
            parsed[key] = question_for(by_key[key], {}).parse(raw)
        except ValueError as error:
            raise config.problem(str(error)) from error
    return parsed


def _supported_python() -> str:
    """The running Python's version, or the newest the template knows if this one is newer."""
    running = sys.version_info[:2]
    (python,) = (option for option in load_options() if option.key == "python_version")
    known = sorted(
        tuple(int(part) for part in str(value).split(".")) for _, value, _ in python.choices
    )
    major, minor = min(running, known[-1]) if known else running
    return f"{major}.{minor}"


def commit_identity(answers: Mapping[str, object]) -> list[str]:
    """``-c`` options that let git commit when the user has no identity configured.

    Without one git refuses to commit; the project's author stands in, or a neutral one.
    """
    if "user.email" in git_identity():
        return []
    name = str(answers.get("author_name") or "scaffold")
    email = str(answers.get("author_email") or "scaffold@localhost")
    return ["-c", f"user.name={name}", "-c", f"user.email={email}"]


def git_identity() -> dict[str, str]:
    """``user.name`` and ``user.email`` from the user's git configuration, where set."""
    from scaffold.git import run_git

    if shutil.which("git") is None:
        return {}
    result = run_git(["config", "--get-regexp", r"^user\.(name|email)$"], check=False, timeout=5)
    pairs = (line.partition(" ") for line in result.stdout.splitlines())
    return {key: value.strip() for key, _, value in pairs}


def check_name(project_name: str, *, derive_package: bool) -> None:
    """Refuse a NAME that cannot name the project or, through the mapping, its package.

    A suggested replacement passes all of these rules, the package mapping included.
    """
    if problem := _name_problem(project_name, derive_package=derive_package):
        valid = names.first_valid(
            names.name_candidates(project_name),
            lambda candidate: _name_problem(candidate, derive_package=True),
        )
        raise UsageError(names.with_hint(problem, valid))


def _name_problem(project_name: str, *, derive_package: bool) -> str | None:
    options = {option.key: option for option in load_options()}
    if problem := names.project_name_problem(project_name):
        return problem
    context = {"project_name": project_name}
    if derive_package:
        derived = _derived_package(project_name)
        if problem := names.package_problem(derived, suggest=False):
            return f"NAME {project_name!r} gives the package name {derived!r}: {problem}"
    if problem := _rule_problem(options["project_name"], project_name, context):
        return f"NAME {project_name!r}: {problem}"
    return None


def _derived_package(project_name: str) -> str:
    """The package name the template derives from NAME (its ``package_name`` default)."""
    (option,) = (option for option in load_options() if option.key == "package_name")
    return str(_default(option, {"project_name": project_name}))


def _dependency_problem(context: Mapping[str, Any], *, chosen: bool) -> str | None:
    """Refuse a package whose distribution is one of the project's own dependencies.

    The suggestion is a NAME when the package name was derived from NAME, else
    a package name; either passes every rule, this one included.
    """
    from scaffold.dependencies import dependency_names, distribution_of

    framework, package = str(context["framework"]), str(context["package_name"])
    # copier renders a question that does not apply with its default, so the template can use it.
    defaults = {
        option.key: default
        for option in load_options()
        if (default := _default(option, context)) is not None
    }
    taken = dependency_names(framework, {**defaults, **context})

    def clash(candidate: str) -> str | None:
        if (distribution := distribution_of(candidate)) in taken:
            return (
                f"the package name {candidate!r} makes the distribution {distribution!r}, "
                f"which the {framework} project installs; uv and pip cannot install both"
            )
        return None

    if (problem := clash(package)) is None:
        return None
    if chosen:
        return names.with_hint(
            problem,
            names.first_valid(
                names.package_candidates(package),
                lambda candidate: (
                    names.package_problem(candidate, suggest=False) or clash(candidate)
                ),
            ),
        )
    name = str(context["project_name"])
    suggestion = names.first_valid(
        names.name_candidates(name),
        lambda candidate: (
            _name_problem(candidate, derive_package=True) or clash(_derived_package(candidate))
        ),
    )
    return names.with_hint(f"NAME {name!r}: {problem}", suggestion)


def check_given(
    project_name: str, given: Mapping[str, object], *, package_known: bool = False
) -> dict[str, Value]:
    """Validate NAME and every --data option before any question is asked.

    Rules that need the framework run later in :func:`resolve`. Every problem
    with the options is collected and reported together. ``package_known``: the
    package name comes from elsewhere (an updated project's answers), so NAME
    need not give a valid one.
    """
    check_name(project_name, derive_package="package_name" not in given and not package_known)
    problems: list[str] = []
    context: dict[str, Any] = {"project_name": project_name}
    parsed: dict[str, Value] = {}
    for option in load_options():
        if option.key in SET_BY_SCAFFOLD:
            continue
        if option.key not in given:
            # Stand-in for conditions of later questions, when it is known without the framework.
            if (default := _default(option, context)) is not None:
                context[option.key] = default
            continue
        if (problem := _inapplicable(option, context)) is not None:
            problems.append(problem)
            continue
        try:
            parsed[option.key] = question_for(option, context).parse(given[option.key])
        except ValueError as error:
            problems.append(str(error))
            continue
        context[option.key] = parsed[option.key]
    if problems:
        raise InvalidAnswersError(problems)
    return parsed


def _inapplicable(option: TemplateOption, context: Mapping[str, Any]) -> str | None:
    """Why an answer to ``option`` makes no sense with these answers, if its condition is false."""
    from jinja2 import UndefinedError

    try:
        applies = parse_bool(_render(option.when, context))
    except UndefinedError:
        return None  # depends on an answer not known yet; resolve() checks it again
    if applies is False:
        remedy = _NOT_APPLICABLE_REMEDY.get(option.key)
        fix = f"leave it out, or {remedy}" if remedy else "leave it out"
        return f"{option.key} applies only to {asked_only_for(option)}; {fix}"
    return None


def condition(option: TemplateOption) -> str | None:
    """When ``option`` is asked, as copier.yml says (``database == 'postgresql'``); None: always."""
    if option.when is True:
        return None
    return str(option.when).strip("{} ")


def asked_only_for(option: TemplateOption) -> str | None:
    """Which projects ``option`` is asked for, in words; None when it is always asked."""
    if option.when is True:
        return None
    return ASKED_ONLY_FOR.get(option.key, "some projects")


def resolve(
    framework: str,
    project_name: str,
    given: Mapping[str, Value],
    ask: Asker | None = None,
    previous: Mapping[str, Value] | None = None,
) -> dict[str, Value]:
    """Every option's answer for this project, in copier.yml's order.

    Given answers are used as they are; the rest are asked with ``ask`` or, without
    it, take their defaults. ``previous`` answers (a project's answers file, when
    updating it) stand in for questions not given, and are dropped where their
    question no longer applies. Every value passes the same checks, now with the
    framework known.
    """
    previous = previous or {}
    context: dict[str, Any] = {"framework": framework, "project_name": project_name}
    runtime: dict[str, Value] | None = None  # they run git: looked up once an answer is missing
    problems: list[str] = []
    for option in load_options():
        if option.key in SET_BY_SCAFFOLD:
            continue
        if not parse_bool(_render(option.when, context)):
            # A question that does not apply; copier leaves it out of the answers too.
            if option.key in given and (problem := _inapplicable(option, context)):
                problems.append(problem)
            continue
        question = question_for(option, context)
        if option.key in given:
            value = given[option.key]
        elif option.key in previous:
            value = previous[option.key]
        else:
            runtime = runtime_defaults() if runtime is None else runtime
            if option.key in runtime:
                # A run-time default replaces the template's only when it passes the same checks.
                with contextlib.suppress(ValueError):
                    question = question_for(
                        option, context, default=question.parse(runtime[option.key])
                    )
            value = ask(question) if ask else question.default
        try:
            if reason := _unavailable_choice(option, value, context):
                raise ValueError(reason)
            value = question.parse(value)
        except ValueError as error:
            problems.append(str(error))
        # Kept even when refused, so that later conditions and defaults can still be evaluated.
        context[option.key] = value
    if not problems and (problem := _dependency_problem(context, chosen="package_name" in given)):
        problems.append(problem)
    if problems:
        raise InvalidAnswersError(problems)
    return {
        key: value for key, value in context.items() if key not in ("framework", "project_name")
    }


def check_complete(framework: str, project_name: str, values: Mapping[str, Value]) -> None:
    """Refuse option values that are not exactly one valid answer per applicable question.

    The check a plan made by hand passes before it is rendered: what
    :func:`resolve` returns passes it, anything missing, unknown or invalid
    raises :class:`InvalidAnswersError` naming each problem.
    """
    from scaffold.answers import unknown_keys

    problems = unknown_keys(values, option_keys())
    known = {key: value for key, value in values.items() if key in option_keys()}
    try:
        resolved = resolve(framework, project_name, known)
    except InvalidAnswersError as error:
        problems += error.problems
    else:
        problems += [f"{key}: missing; give a value" for key in resolved if key not in known]
    if problems:
        raise InvalidAnswersError(problems)
