"""One function per command: gather answers, ask what is missing, call the library, print.

The command line (``_cli``) parses options into an ``argparse.Namespace`` and
calls one of these; the work itself is done by the library modules.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from scaffold import answers
from scaffold.criteria import CRITERIA, Answers
from scaffold.errors import (
    EXIT_UPDATE_AVAILABLE,
    InstallError,
    InvalidAnswersError,
    UpdateConflictError,
)
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.questions import Question, Value, format_value
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
    data = answers.gather(args.data_file, args.data).data
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
    given = answers.gather(args.data_file, args.data)
    data = given.data
    direct = Framework(args.framework) if args.framework else given.framework
    option_keys = options.option_keys()
    criteria_given, value_problems = answers.parse_criteria(data)
    problems = answers.unknown_keys(data, answers.criteria_keys() + option_keys) + value_problems
    option_data = {key: value for key, value in data.items() if key in option_keys}
    try:
        option_given = options.check_given(args.name, option_data)
    except InvalidAnswersError as error:
        problems += error.problems
    if direct and (conflict := options.conflict(direct.value, option_given)):
        problems.append(conflict)
    if problems:
        raise InvalidAnswersError(problems)
    output_dir = Path(args.output_dir)
    check_destination(output_dir / args.name, force=args.force)
    if args.install or args.check:
        from scaffold.install import choose_installer

        choose_installer(args.installer)  # refuse --installer uv without uv, before any work

    ask = _asker(args)
    if ask is None:
        unanswered = [] if direct else [q.key for q in CRITERIA if q.key not in criteria_given]
        unanswered += [key for key in option_keys if key not in option_given]
        _say_defaults_used(args, unanswered)
    if direct:
        # Criteria given alongside still say what they would have recommended.
        framework = direct
        recommendation = recommend(Answers(criteria_given)) if criteria_given else None
    else:
        framework, recommendation = _choose(criteria_given, option_given, ask)
    customise = ask is not None and _prompts().confirm("Customize project options?", default=False)
    resolved = options.resolve(
        framework.value, args.name, option_given, ask=ask if customise else None
    )
    request = _request(args, framework, resolved, output_dir, recommendation)
    if args.pretend:
        return _pretend(request)
    return _create(args, request)


def _prompts() -> ModuleType:
    """The prompt module, imported only when a terminal is there (it loads questionary)."""
    from scaffold import prompts

    return prompts


def _choose(
    given: Mapping[str, str], option_given: Mapping[str, Value], ask: Asker | None
) -> tuple[Framework, Recommendation]:
    """Recommend, show why, and let a person at a terminal accept or override."""
    from scaffold import options

    recommendation = recommend(_criteria_answers(given, ask))
    if ask is None:
        _print_summary(recommendation)
        return recommendation.framework, recommendation
    print()
    print(format_recommendation(recommendation))
    print()
    unavailable = {
        framework: problem
        for framework in Framework
        if (problem := options.conflict(framework.value, option_given))
    }
    chosen: Framework = _prompts().choose_framework(recommendation, unavailable)
    return chosen, recommendation


def _print_summary(recommendation: Recommendation) -> None:
    label = FRAMEWORKS[recommendation.framework].label
    print(f"Recommended: {label} ({score_line(recommendation)})")
    for reason in recommendation.reasons:
        print(f"  - {reason}")


def _request(
    args: argparse.Namespace,
    framework: Framework,
    resolved: Mapping[str, Value],
    output_dir: Path,
    recommendation: Recommendation | None,
) -> ProjectRequest:
    from scaffold.project import ProjectRequest

    return ProjectRequest(
        name=args.name,
        framework=framework,
        options=dict(resolved),
        output_dir=output_dir,
        force=args.force,
        git=not args.no_git,
        keep_on_failure=args.keep_on_failure,
        recommendation=recommendation,
    )


def _pretend(request: ProjectRequest) -> int:
    from scaffold.project import preview

    files = preview(request)
    print(f"Would create {request.target} with {len(files)} files (nothing was written):")
    for name in files:
        print(f"  {name}")
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


def update_command(args: argparse.Namespace) -> int:
    """Merge the installed template version into a project; list what changed and conflicts."""
    from scaffold.versions import update
    from scaffold.versions.source import ANSWERS_FILE, installed_history

    given = answers.gather(args.data_file, args.data)
    data = dict(given.data)
    if given.framework:
        data.setdefault("framework", given.framework.value)
    with installed_history() as history:
        result = update.update_project(
            Path(args.directory),
            history,
            data=data,
            ask=_asker(args),
            conflict=args.conflict,
            from_version=args.from_version,
        )
    name = result.project.name
    if result.adopted:
        print(f"Recorded template version {result.previous} in {ANSWERS_FILE} and committed it.")
    if not result.merged:
        print(f"{name} is up to date (template version {result.version}).")
        return 0
    if result.previous != result.version:
        print(f"Updated {name} from template version {result.previous} to {result.version}:")
    else:
        print(f"Updated {name} at template version {result.version}:")
    for change in result.changes:
        print(f"  {change.kind:<9} {change.path}")
    if result.new_answers:
        shown = ", ".join(
            f"{key}={format_value(value)}" for key, value in result.new_answers.items()
        )
        print(f"New answers: {shown}")
    if result.changes:
        print("Review the changes (git status, git diff), then commit them.")
    if result.conflicts:
        count = len(result.conflicts)
        where = "<<<<<<< markers" if args.conflict == "inline" else "the .rej files"
        raise UpdateConflictError(
            f"{count} file{'s' if count > 1 else ''} left with conflicts: "
            f"{', '.join(result.conflicts)}; resolve them (see {where}), then commit"
        )
    return 0


def check_update_command(args: argparse.Namespace) -> int:
    """Exit 0 when the project is on the installed template version, 2 when it can be updated."""
    from scaffold.versions import update
    from scaffold.versions.source import installed_history

    project = update.read_project(Path(args.directory))
    with installed_history() as history:
        state = update.check(project, history)
    if args.json:
        report = {
            "update_available": state.available,
            "current_version": state.current,
            "latest_version": state.latest,
        }
        print(json.dumps(report))
    elif state.available:
        print(
            f"{project.name} is on template version {state.current}; "
            f"{state.latest} is installed: run scaffold update"
        )
    else:
        print(f"{project.name} is up to date (template version {state.current}).")
    return EXIT_UPDATE_AVAILABLE if state.available else 0


def template_source_command(args: argparse.Namespace) -> int:
    """Print the URL projects record, the versions behind it, and plain copier's set-up."""
    import shlex

    from scaffold.versions.source import (
        TEMPLATE_URL,
        git_config_command,
        installed_history,
        publish_user_copy,
    )

    with installed_history() as history:
        bundle = publish_user_copy(history)
        versions = list(history.versions)
    command = git_config_command(bundle)
    if args.json:
        report = {"url": TEMPLATE_URL, "versions": versions, "bundle": str(bundle)}
        print(json.dumps({**report, "git_config": command}, indent=2))
        return 0
    print(f"Projects record their template source as {TEMPLATE_URL}")
    print(f"Template versions installed: {', '.join(versions)}")
    print(f"History kept for plain copier in {bundle}")
    print()
    print("scaffold update needs nothing more. For copier update and copier check-update,")
    print("let git find that history under the URL, once per user:")
    print()
    print(f"  {shlex.join(command)}")
    return 0
