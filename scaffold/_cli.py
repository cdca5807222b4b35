"""The ``scaffold`` command line: parse options, call one command, turn errors into exit codes.

Only the standard library is imported here, so ``scaffold --help`` and
``scaffold --version`` start instantly; each command imports what it needs.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from scaffold import __version__
from scaffold.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    CheckUpdateUsageError,
    ScaffoldError,
    UsageError,
)

FRAMEWORK_NAMES = ("django", "flask", "fastapi")
INSTALLER_NAMES = ("auto", "uv", "pip")
CONFLICT_MODES = ("inline", "rej")

DESCRIPTION = """\
Answer a few questions about a web project, get Django, Flask or FastAPI
recommended with reasons you can check, and a starter project that installs,
passes its tests and serves HTTP on the first try."""

MAIN_EPILOG = """\
examples:
  scaffold new myproject               ask, recommend, render ./myproject
  scaffold new myproject --defaults    no questions: documented defaults (for CI)
  scaffold recommend --json -d size=large -d builtins=yes
  scaffold frameworks                  Django, Flask and FastAPI side by side
  scaffold update                      (in a project) merge in the installed templates

exit codes: 0 success, 1 failure (files, environment, rendering, install),
2 bad command line (options, NAME, --data), 130 interrupted (Ctrl-C);
check-update alone exits 2 when an update is available, 1 on any error."""

NEW_EPILOG = """\
examples:
  scaffold new shop                                  interactive
  scaffold new shop --defaults                       no prompts; defaults for the rest
  scaffold new shop -y -d size=large -d builtins=yes -d database=postgresql
  scaffold new api --framework fastapi -y --check    render, install with uv, run tests
  scaffold new shop --data-file answers.yml --pretend

Questions without a terminal (or with CI=true) take their defaults.
Keys for --data: the criteria (see 'scaffold recommend --help') and the project
options package_name, description, author_name, author_email, python_version,
database, postgres_version, auth, docker, ci, license."""

RECOMMEND_EPILOG = """\
criteria (KEY: values, default first):
  size         small | prototype, medium, large
  complexity   moderate | simple, complex
  app_type     both | api, web
  builtins     no | yes          ORM, admin and auth out of the box
  performance  standard | high
  concurrency  low | high        many simultaneous I/O-bound connections
  experience   intermediate | beginner, expert
  structure    conventions | freedom
  api_docs     no | yes          request validation and interactive API docs

examples:
  scaffold recommend
  scaffold recommend --defaults --json
  scaffold recommend -y -d app_type=api -d performance=high"""


UPDATE_EPILOG = """\
examples:
  scaffold update                      merge in the installed templates, keep your edits
  scaffold update -d auth=yes          change an answer through the same merge
  scaffold update --conflict rej       leave conflicts in .rej files instead of markers
  scaffold update --from-version 0.1.0 adopt a project made by scaffold 0.1.0 first

The project must be a git repository with everything committed. The result is
left uncommitted for review; conflicts are listed and make the exit code 1."""

CHECK_UPDATE_EPILOG = """\
examples:
  scaffold check-update                in the project's directory
  scaffold check-update --json ../shop {"update_available": ..., "current_version": ...}

exit codes: 0 up to date, 2 an update is available, 1 error. Offline: it only
compares the project's recorded version with the templates installed."""

TEMPLATE_SOURCE_EPILOG = """\
examples:
  scaffold template-source             the URL, the versions, the git config line
  scaffold template-source --json

scaffold update needs no set-up. Plain copier (copier update, copier
check-update) needs the git configuration line this prints, once per user."""

#: Help line, description and epilog of each command that works on an existing project.
PROJECT_COMMANDS: dict[str, tuple[str, str, str]] = {
    "update": (
        "update a project to the installed templates",
        "Update the project in DIR to the templates installed with scaffold.",
        UPDATE_EPILOG,
    ),
    "check-update": (
        "exit 2 if a project's templates can be updated",
        "Compare the template version of the project in DIR with the installed one.",
        CHECK_UPDATE_EPILOG,
    ),
    "template-source": (
        "the template source; set-up for plain copier",
        "Show the template source projects record and how git reaches it.",
        TEMPLATE_SOURCE_EPILOG,
    ),
}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors go through scaffold's one error boundary."""

    #: The error raised for a bad command line; check-update's maps to exit code 1.
    usage_error: type[UsageError] = UsageError

    def error(self, message: str) -> NoReturn:
        raise self.usage_error(f"{message} (see '{self.prog} --help')")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Unknown arguments of a command with its own usage error are reported by it."""
        parsed, extra = super().parse_known_args(args, namespace)
        if extra and self.usage_error is not UsageError:
            self.error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed, extra


def _answer_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("answers")
    group.add_argument(
        "-y",
        "--defaults",
        "--yes",
        dest="defaults",
        action="store_true",
        help="accept the default for every question not answered by --data or --data-file",
    )
    group.add_argument(
        "-d",
        "--data",
        action="append",
        metavar="KEY=VALUE",
        help="answer a question; repeatable; wins over --data-file",
    )
    group.add_argument(
        "--data-file",
        action="append",
        metavar="FILE",
        help="answers in a YAML or JSON file, such as a project's .copier-answers.yml; repeatable",
    )


def _debug_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--debug", action="store_true", default=default, help="show tracebacks on errors"
    )


def build_parser() -> argparse.ArgumentParser:
    """The full command-line interface."""
    from scaffold import _commands

    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="scaffold",
        description=DESCRIPTION,
        epilog=MAIN_EPILOG,
        formatter_class=formatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"scaffold {__version__}")
    _debug_option(parser, False)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    new = commands.add_parser(
        "new",
        help="recommend a framework and create a project",
        description="Create the project NAME in --output-dir: questions, recommendation, render.",
        epilog=NEW_EPILOG,
        formatter_class=formatter,
        allow_abbrev=False,
    )
    new.add_argument("name", metavar="NAME", help="project name; also the directory created")
    new.add_argument(
        "-o", "--output-dir", default=".", metavar="DIR", help="parent directory (default: .)"
    )
    new.add_argument(
        "--framework",
        choices=FRAMEWORK_NAMES,
        help="skip the recommendation and use this framework",
    )
    _answer_options(new)
    files = new.add_argument_group("files")
    files.add_argument(
        "--force",
        action="store_true",
        help="add to an existing non-empty directory; keeps other files and .env",
    )
    files.add_argument(
        "--pretend",
        "--dry-run",
        action="store_true",
        help="list the files that would be written; write nothing",
    )
    files.add_argument("--no-git", action="store_true", help="do not create a git repository")
    files.add_argument(
        "--keep-on-failure",
        action="store_true",
        help="keep partial output for debugging when rendering fails",
    )
    setup = new.add_argument_group("installation")
    setup.add_argument(
        "--install",
        action="store_true",
        help="create NAME/.venv and install the project with its dev extra",
    )
    setup.add_argument(
        "--check",
        action="store_true",
        help="install, then run the project's tests (implies --install)",
    )
    setup.add_argument(
        "--installer",
        choices=INSTALLER_NAMES,
        default="auto",
        help="uv, pip, or auto: uv when found (default)",
    )
    _debug_option(new, argparse.SUPPRESS)
    new.set_defaults(command=_commands.new_command)

    recommend = commands.add_parser(
        "recommend",
        help="only the questionnaire and the recommendation",
        description="Ask the questionnaire and explain which framework fits best.",
        epilog=RECOMMEND_EPILOG,
        formatter_class=formatter,
        allow_abbrev=False,
    )
    recommend.add_argument(
        "--json", action="store_true", help="print one JSON object instead of text"
    )
    _answer_options(recommend)
    _debug_option(recommend, argparse.SUPPRESS)
    recommend.set_defaults(command=_commands.recommend_command)

    frameworks = commands.add_parser(
        "frameworks",
        help="compare Django, Flask and FastAPI side by side",
        description="Compare Django, Flask and FastAPI side by side.",
        allow_abbrev=False,
    )
    frameworks.add_argument("--json", action="store_true", help="print the comparison as JSON")
    _debug_option(frameworks, argparse.SUPPRESS)
    frameworks.set_defaults(command=_commands.frameworks_command)

    update = _command(commands, "update")
    _directory_argument(update)
    _answer_options(update)
    update.add_argument(
        "--conflict",
        choices=CONFLICT_MODES,
        default="inline",
        help="mark conflicts inline (<<<<<<< markers, the default) or in .rej files",
    )
    update.add_argument(
        "--from-version",
        metavar="VERSION",
        help="the scaffold version that made a project recording none (0.1.0); commits that",
    )
    _debug_option(update, argparse.SUPPRESS)
    update.set_defaults(command=_commands.update_command)

    check_update = _command(commands, "check-update")
    check_update.usage_error = CheckUpdateUsageError
    _directory_argument(check_update)
    check_update.add_argument("--json", action="store_true", help="print one JSON object")
    _debug_option(check_update, argparse.SUPPRESS)
    check_update.set_defaults(command=_commands.check_update_command)

    source = _command(commands, "template-source")
    source.add_argument("--json", action="store_true", help="print one JSON object")
    _debug_option(source, argparse.SUPPRESS)
    source.set_defaults(command=_commands.template_source_command)
    return parser


def _command(commands: argparse._SubParsersAction[_Parser], name: str) -> _Parser:
    summary, description, epilog = PROJECT_COMMANDS[name]
    return commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )


def _directory_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory", nargs="?", default=".", metavar="DIR", help="the project (default: .)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run scaffold; return the exit code. The one place errors become messages."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    try:
        args = build_parser().parse_args(arguments)
        code: int = args.command(args)
        return code
    except KeyboardInterrupt:
        print("\nscaffold: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`scaffold frameworks | head`); say nothing more to it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except ScaffoldError as error:
        if debug:
            traceback.print_exc()
        if error.details:
            print(error.details, file=sys.stderr)
        message = " ".join(str(error).splitlines())
        print(f"scaffold: error: {message}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        # The environment failed us (permissions, a full disk, a vanished file): not a bug.
        if debug:
            traceback.print_exc()
        where = f": {error.filename}" if error.filename else ""
        print(f"scaffold: error: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_FAILURE


def run() -> NoReturn:
    """The console script: ``main`` tuned for a short-lived process.

    scaffold runs for about a second and allocates many short-lived cycles (Jinja
    and copier objects); collecting them rarely, and not at all at exit, saves
    a tenth of the run time for a few hundred kilobytes of memory.
    """
    gc.set_threshold(100_000, 50, 100)
    code = main()
    gc.freeze()
    sys.exit(code)
