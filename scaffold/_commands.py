"""One function per command: gather answers, ask what is missing, call the library, print.

The command line (``_cli``) parses options into an ``argparse.Namespace`` and
calls one of these; the work itself is done by the library modules.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from scaffold import answers
from scaffold.criteria import CRITERIA, Answers
from scaffold.errors import InstallError, InvalidAnswersError, UsageError
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.questions import Question, Value
from scaffold.recommender import Recommendation, recommend
from scaffold.report import format_comparison, format_next_steps, format_recommendation, score_line

if TYPE_CHECKING:
    from scaffold.progress import Steps
    from scaffold.project import ProjectRequest

Asker = Callable[[Question], Value]


def _note(message: str) -> None:
    print(f"scaffold: {message}", file=sys.stderr)


def _asker(args: argparse.Namespace) -> Asker | None:
    """The prompt function, or None when questions must take their defaults."""
    if args.defaults:
        return None
    if not answers.can_prompt():
        return None
    from scaffold import prompts

    return prompts.ask


def _say_defaults_used(args: argparse.Namespace, unanswered: list[str]) -> None:
    """Tell a non-interactive run, once, that defaults stand in for unanswered questions."""
    if unanswered and not args.defaults:
        reason = "CI is set" if answers.ci_is_set() else "no terminal"
        count = len(unanswered)
        _note(f"{reason}: {count} unanswered questions take their defaults (--defaults hides this)")


def _criteria_answers(given: Mapping[str, str], ask: Asker | None) -> Answers:
    values = dict(given)
    for question in CRITERIA:
        if question.key not in values and ask is not None:
            values[question.key] = str(ask(question))
    return Answers(values)


def recommend_command(args: argparse.Namespace) -> int:
    """Run the questionnaire and print the recommendation, as text or one JSON object."""
    data = answers.gather(args.data_file, args.data)
    given, problems = answers.parse_criteria(data)
    problems = answers.unknown_keys(data, answers.criteria_keys()) + problems
    if problems:
        raise InvalidAnswersError(problems)
    ask = _asker(args)
    if ask is None:
        _say_defaults_used(args, [q.key for q in CRITERIA if q.key not in given])
    recommendation = recommend(_criteria_answers(given, ask))
    if args.json:
        print(json.dumps(recommendation.to_json(), indent=2))
    else:
        print(format_recommendation(recommendation))
    return 0


def frameworks_command(args: argparse.Namespace) -> int:
    """Print Django, Flask and FastAPI side by side."""
    if args.json:
        table = {info.framework.value: dict(info.comparison) for info in FRAMEWORKS.values()}
        print(json.dumps(table, indent=2))
    else:
        import shutil

        print(format_comparison(width=min(shutil.get_terminal_size().columns, 120)))
    return 0


def new_command(args: argparse.Namespace) -> int:
    """Recommend a framework (or take --framework), render the project, optionally install it."""
    from scaffold import options
    from scaffold.project import check_destination

    # Everything already known is checked before the first question.
    name, output_dir = _name_and_parent(args.name, Path(args.output_dir))
    data = answers.gather(args.data_file, args.data)
    option_keys = options.option_keys()
    criteria_given, value_problems = answers.parse_criteria(data)
    problems = answers.unknown_keys(data, answers.criteria_keys() + option_keys) + value_problems
    option_data = {key: value for key, value in data.items() if key in option_keys}
    option_given: dict[str, Value] = {}
    try:
        option_given = options.check_given(name, option_data)
    except InvalidAnswersError as error:
        problems += error.problems
    except UsageError as error:
        if args.name != ".":
            raise
        raise UsageError(f"{error} (NAME '.' takes the name of {output_dir / name})") from error
    if args.framework and (conflict := options.conflict(args.framework, option_given)):
        problems.append(conflict)
    if problems:
        raise InvalidAnswersError(problems)
    check_destination(
        output_dir / name,
        force=args.force,
        parents=args.parents,
        framework=Framework(args.framework) if args.framework else None,
    )
    if args.install or args.check:
        from scaffold.install import choose_installer

        choose_installer(args.installer)  # refuse --installer uv without uv, before any work

    ask = _asker(args)
    if ask is None:
        unanswered = (
            [] if args.framework else [q.key for q in CRITERIA if q.key not in criteria_given]
        )
        unanswered += [key for key in option_keys if key not in option_given]
        _say_defaults_used(args, unanswered)
    framework = (
        Framework(args.framework) if args.framework else _choose(criteria_given, option_given, ask)
    )
    customise = ask is not None and _prompts().confirm("Customize project options?", default=False)
    resolved = options.resolve(framework.value, name, option_given, ask=ask if customise else None)
    request = _request(args, name, framework, resolved, output_dir)
    if args.pretend:
        return _pretend(request)
    return _create(args, request)


def _name_and_parent(name: str, output_dir: Path) -> tuple[str, Path]:
    """NAME and the directory that holds it; NAME '.' is the output directory itself.

    For '.', the project takes the directory's own name and the directory stays
    what it is (the shell that runs scaffold may be sitting in it).
    """
    if name != ".":
        return name, output_dir
    directory = output_dir.resolve()
    if not directory.name:
        raise UsageError(f"NAME '.' needs a directory with a name, not {directory}; pass a NAME")
    return directory.name, directory.parent


def _prompts() -> ModuleType:
    """The prompt module, imported only when a terminal is there (it loads questionary)."""
    from scaffold import prompts

    return prompts


def _choose(
    given: Mapping[str, str], option_given: Mapping[str, Value], ask: Asker | None
) -> Framework:
    """Recommend, show why, and let a person at a terminal accept or override."""
    from scaffold import options

    recommendation = recommend(_criteria_answers(given, ask))
    if ask is None:
        _print_summary(recommendation)
        return recommendation.framework
    print()
    print(format_recommendation(recommendation))
    print()
    unavailable = {
        framework: problem
        for framework in Framework
        if (problem := options.conflict(framework.value, option_given))
    }
    chosen: Framework = _prompts().choose_framework(recommendation, unavailable)
    return chosen


def _print_summary(recommendation: Recommendation) -> None:
    label = FRAMEWORKS[recommendation.framework].label
    print(f"Recommended: {label} ({score_line(recommendation)})")
    for reason in recommendation.reasons:
        print(f"  - {reason}")


def _request(
    args: argparse.Namespace,
    name: str,
    framework: Framework,
    resolved: Mapping[str, Value],
    output_dir: Path,
) -> ProjectRequest:
    from scaffold.project import ProjectRequest

    return ProjectRequest(
        name=name,
        framework=framework,
        options=dict(resolved),
        output_dir=output_dir,
        force=args.force,
        git=not args.no_git,
        keep_on_failure=args.keep_on_failure,
        parents=args.parents,
    )


def _pretend(request: ProjectRequest) -> int:
    from scaffold.project import preview

    plan = preview(request)
    counts = Counter(entry.status.value for entry in plan.entries)
    summary = ", ".join(f"{count} {status}" for status, count in counts.items())
    print(f"Would write {len(plan.entries)} files into {request.target} ({summary}):")
    for entry in plan.entries:
        reason = f" ({entry.reason})" if entry.reason else ""
        print(f"  {entry.status.value:<9} {entry.path}{reason}")
    plan.check(request.target)
    print("Nothing was written (--pretend).")
    return 0


def _create(args: argparse.Namespace, request: ProjectRequest) -> int:
    from scaffold import install
    from scaffold.progress import Steps
    from scaffold.project import create_project

    steps = Steps()
    result = create_project(request, steps)
    print(
        f"Created {_display_path(result.path)} ({len(result.files)} files, "
        f"{FRAMEWORKS[request.framework].label})."
    )
    for note in result.notes:
        print(f"  {note}")
    package, database = str(request.options["package_name"]), str(request.options["database"])
    setup = FRAMEWORKS[request.framework].setup(package, database)
    installed = args.install or args.check
    if installed:
        try:
            install.install(result.path, args.installer, steps)
            _set_up_and_check(result.path, setup, check=args.check, steps=steps)
        except InstallError as error:
            raise InstallError(
                f"{error}; the project itself is complete in {result.path}", details=error.details
            ) from error
        except KeyboardInterrupt:
            _note(f"interrupted; the project itself is complete in {result.path}")
            raise
    print()
    print(
        format_next_steps(
            _display_path(result.path),
            request.framework,
            package,
            database,
            installed=installed,
            tested=args.check,
        )
    )
    return 0


def _set_up_and_check(project: Path, setup: list[str], *, check: bool, steps: Steps) -> None:
    """Run the project's one-time set-up and, with --check, its tests alongside."""
    from scaffold import install

    commands = install.setup_commands(project, setup)
    if not check:
        install.run(commands, project, steps)
        return
    commands.append(install.check_command(project))
    title = " and ".join([*setup, "the project's tests"])
    *_, test_output = install.run_together(commands, f"Running {title}", project, steps)
    summary = test_output.strip().splitlines()[-1] if test_output.strip() else ""
    print(f"  Tests: {summary.strip('= ')}")


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
