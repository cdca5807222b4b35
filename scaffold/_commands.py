"""One function per command: gather answers, ask what is missing, call the library, print.

The command line (``_cli``) parses options into an ``argparse.Namespace`` and
calls one of these; the work itself is done by the library modules.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from scaffold import answers
from scaffold.criteria import CRITERIA, CRITERIA_BY_KEY, Answers
from scaffold.errors import (
    EXIT_UPDATE_AVAILABLE,
    InvalidAnswersError,
    UpdateConflictError,
    UsageError,
)
from scaffold.frameworks import FRAMEWORKS
from scaffold.questions import Value, format_value
from scaffold.recommender import recommend
from scaffold.report import (
    format_comparison,
    format_next_steps,
    format_recommendation,
    format_summary,
    terminal_width,
)

if TYPE_CHECKING:
    from scaffold.install import Installer
    from scaffold.options import Asker
    from scaffold.plan import ProjectPlan
    from scaffold.versions.update import Project


def _note(message: str) -> None:
    print(f"scaffold: {message}", file=sys.stderr)


def _interactive(args: argparse.Namespace) -> bool:
    """True when questions are asked; False when they must take their defaults."""
    return not args.defaults and answers.can_prompt()


def _say_defaults_used(args: argparse.Namespace, unanswered: list[str]) -> None:
    """Tell a non-interactive run, once, that defaults stand in for unanswered questions."""
    if unanswered and not args.defaults:
        reason = "CI is set" if answers.ci_is_set() else "no terminal"
        count = len(unanswered)
        _note(f"{reason}: {count} unanswered questions take their defaults (--defaults hides this)")


def _criteria_answers(given: Mapping[str, str], interactive: bool) -> Answers:
    """The criteria: given ones kept, the rest asked (with progress and a way back) or defaulted."""
    if not interactive:
        return Answers(given)
    from scaffold import prompts

    return Answers(prompts.ask_criteria(CRITERIA, given))


def _asker(args: argparse.Namespace) -> Asker | None:
    """The terminal prompt when questions are asked, else None: they take their defaults."""
    if not _interactive(args):
        return None
    from scaffold import prompts

    return prompts.ask


def recommend_command(args: argparse.Namespace) -> int:
    """Run the questionnaire and print the recommendation, as text or one JSON object."""
    given = answers.check_criteria(answers.gather(args.data_file, args.data).data)
    interactive = _interactive(args)
    if not interactive:
        _say_defaults_used(args, [q.key for q in CRITERIA if q.key not in given])
    recommendation = recommend(_criteria_answers(given, interactive))
    if args.json:
        print(json.dumps(recommendation.to_json(), indent=2))
    else:
        print(format_recommendation(recommendation, terminal_width()))
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


def serve_command(args: argparse.Namespace) -> int:
    """Serve the web page and the HTTP API until interrupted."""
    from scaffold.web.limits import Limits
    from scaffold.web.server import Settings, serve

    limits = Limits(
        renders=args.workers,
        queue=args.queue,
        timeout=args.timeout,
        request_timeout=args.request_timeout,
        per_client=args.connections_per_client,
        cache_bytes=args.cache_size,
    )
    settings = Settings(
        host=args.host,
        port=args.port,
        open_browser=args.open,
        limits=limits,
        extra_hosts=tuple(args.allowed_hosts),
    )
    serve(settings)
    return 0


def new_command(args: argparse.Namespace) -> int:
    """Recommend a framework (or take --framework), render the project, optionally install it."""
    from scaffold import options
    from scaffold.placement import check_destination
    from scaffold.plan import FRAMEWORK_KEY, build_plan, parse_framework

    # Everything already known is checked before the first question.
    name, output_dir = _name_and_parent(args.name, Path(args.output_dir))
    given = answers.gather(args.data_file, args.data)
    try:
        data = answers.answers_for_new(name, given, args.framework)
    except UsageError as error:
        if args.name != "." or isinstance(error, InvalidAnswersError):
            raise
        raise UsageError(f"{error} (NAME '.' takes the name of {output_dir / name})") from error
    options.personal_defaults()  # a bad personal defaults file is reported before any question
    installer = _installer(args)
    direct = data.get(FRAMEWORK_KEY)
    check_destination(
        output_dir / name,
        force=args.force,
        parents=args.parents,
        framework=parse_framework(direct) if direct else None,
    )
    if args.install or args.check:
        from scaffold.install import choose_installer

        choose_installer(installer)  # refuse --installer uv without uv, before any work
    if _interactive(args):
        from scaffold.wizard import plan_project

        plan = plan_project(name, data)
    else:
        plan = build_plan(name, data)
        _say_defaults_used(args, plan.unanswered)
        _show_choice(plan)
    if args.pretend:
        return _pretend(args, plan, output_dir)
    return _create(args, plan, output_dir, installer)


def _show_choice(plan: ProjectPlan) -> None:
    """Without prompts: the recommendation followed, or what overriding it costs."""
    from scaffold.decision import How
    from scaffold.report import warn_override

    if plan.recommendation is None:
        return
    if plan.how is How.RECOMMENDED and "framework" not in plan.given:
        print(format_summary(plan.recommendation, terminal_width()))
    else:
        criteria = {key: str(value) for key, value in plan.given.items() if key in CRITERIA_BY_KEY}
        warn_override(plan.recommendation, plan.framework, among=criteria)


def _installer(args: argparse.Namespace) -> Installer:
    """--installer, else the personal default, else auto."""
    from scaffold.install import INSTALLERS
    from scaffold.user_config import load_user_config

    if args.installer:
        chosen: Installer = args.installer
        return chosen
    config = load_user_config()
    personal = config.defaults.get("installer", "auto")
    for installer in INSTALLERS:
        if installer == personal:
            return installer
    raise config.problem(
        f"installer={format_value(personal)} is not one of: {', '.join(INSTALLERS)}"
    )


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


def _pretend(args: argparse.Namespace, plan: ProjectPlan, output_dir: Path) -> int:
    from scaffold.placement import preview

    moves = preview(plan, output_dir, force=args.force, parents=args.parents)
    target = output_dir / plan.name
    counts = Counter(entry.status.value for entry in moves.entries)
    summary = ", ".join(f"{count} {status}" for status, count in counts.items())
    print(f"Would write {len(moves.entries)} files into {target} ({summary}):")
    for entry in moves.entries:
        reason = f" ({entry.reason})" if entry.reason else ""
        print(f"  {entry.status.value:<9} {entry.path}{reason}")
    moves.check(target)
    print("Nothing was written (--pretend).")
    return 0


def _create(
    args: argparse.Namespace, plan: ProjectPlan, output_dir: Path, installer: Installer
) -> int:
    from scaffold import install
    from scaffold.placement import create_project
    from scaffold.progress import Steps

    steps = Steps()
    result = create_project(
        plan,
        output_dir,
        force=args.force,
        git=not args.no_git,
        keep_on_failure=args.keep_on_failure,
        parents=args.parents,
        steps=steps,
    )
    print(
        f"Created {_display_path(result.path)} ({len(result.files)} files, "
        f"{FRAMEWORKS[plan.framework].label})."
    )
    for note in result.notes:
        print(f"  {note}")
    installed = args.install or args.check
    if installed:
        try:
            notes = install.set_up(result, plan, installer, check=args.check, steps=steps)
        except KeyboardInterrupt:
            _note(f"interrupted; the project itself is complete in {result.path}")
            raise
        for note in notes:
            print(f"  {note}")
    print()
    print(
        format_next_steps(
            _display_path(result.path),
            plan.framework,
            str(plan.options["package_name"]),
            str(plan.options["database"]),
            postgres_version=_text_or_none(plan.options.get("postgres_version")),
            installed=installed,
            tested=args.check,
        )
    )
    return 0


def _text_or_none(value: Value | None) -> str | None:
    return None if value is None else str(value)


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
    before = update.read_project(Path(args.directory)).last_answers
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
    _report_answer_change(before, result.project)
    if result.conflicts:
        count = len(result.conflicts)
        where = "<<<<<<< markers" if args.conflict == "inline" else "the .rej files"
        if result.kept:
            where += (
                f"; for {', '.join(result.kept)}, the template's is in NAME{update.KEPT_SUFFIX}"
            )
        raise UpdateConflictError(
            f"{count} file{'s' if count > 1 else ''} left with conflicts: "
            f"{', '.join(result.conflicts)}; resolve them (see {where}), then commit"
        )
    return 0


def _report_answer_change(before: Mapping[str, Value], project: Project) -> None:
    """Say which answers changed, bring .env along, and print the next steps they need."""
    from scaffold.versions import changes

    after = project.last_answers
    changed = changes.changed_answers(before, after)
    if not changed:
        return
    env = changes.update_env_file(project.path, project.framework, before, after)
    for line in changes.describe(changed, env):
        print(line)
    print()
    print(
        format_next_steps(
            _display_path(project.path),
            project.framework,
            str(after["package_name"]),
            str(after["database"]),
            postgres_version=_text_or_none(after.get("postgres_version")),
        )
    )


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

    from scaffold.versions.history import is_release
    from scaffold.versions.source import (
        TEMPLATE_URL,
        configured_mappings,
        git_config_command,
        installed_history,
        publish_user_copy,
    )

    with installed_history() as history:
        bundle = publish_user_copy(history)
        versions = list(history.versions)
    command = git_config_command(bundle)
    mapped = configured_mappings()
    wrong = [mapping for mapping in mapped if mapping.target != str(bundle)]
    if args.json:
        report = {"url": TEMPLATE_URL, "versions": versions, "bundle": str(bundle)}
        state = {"configured": bool(mapped) and not wrong, "fix": [m.fix() for m in wrong]}
        print(json.dumps({**report, "git_config": command, **state}, indent=2))
        return 0
    print(f"Projects record their template source as {TEMPLATE_URL}")
    releases = [version for version in versions if is_release(version)]
    print(f"Template versions installed: the releases {', '.join(releases) or 'none yet'}")
    between = len(versions) - len(releases)
    print(f"and {between} builds between them; this scaffold renders {versions[-1]}")
    print(f"History kept for plain copier in {bundle}")
    print()
    if wrong:
        print(f"Your {wrong[0].scope} git configuration maps the URL to {wrong[0].target};")
        print("point it at the copy above instead (scaffold update needs that too):")
        print()
        print(f"  {wrong[0].fix()}")
    elif mapped:
        print("Plain copier is set up: git maps the URL to the copy above, which scaffold")
        print("keeps current whenever it runs.")
    else:
        print("scaffold update needs nothing more. For copier update and copier check-update,")
        print("let git find that history under the URL, once per user:")
        print()
        print(f"  {shlex.join(command)}")
    return 0
