"""The ``scaffold`` command line: parse options, call one command, turn errors into exit codes.

Only the standard library is imported here, so ``scaffold --help`` and
``scaffold --version`` start instantly; each command imports what it needs.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from difflib import get_close_matches
from typing import NoReturn

from scaffold import __version__, interrupts
from scaffold.errors import (
    EXIT_FAILURE,
    CheckUpdateUsageError,
    InputEndedError,
    Interrupted,
    ScaffoldError,
    UsageError,
)
from scaffold.frameworks import Framework

FRAMEWORK_NAMES = tuple(framework.value for framework in Framework)
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
  scaffold serve --open                the same in a web page, with a zip download
  scaffold update                      (in a project) merge in the installed templates

exit codes: 0 success, 1 failure (files, environment, rendering, install),
2 bad command line (options, NAME, --data), 128+N stopped by signal N
(130 Ctrl-C, 143 SIGTERM, 129 SIGHUP); check-update alone exits 2 when an
update is available, 1 on any error."""

NEW_EPILOG = """\
examples:
  scaffold new shop                                  interactive
  scaffold new shop --defaults                       no prompts; defaults for the rest
  scaffold new shop -y -d size=large -d builtins=yes -d database=postgresql
  scaffold new api --framework fastapi -y --check    render, install with uv, run tests
  scaffold new shop --data-file answers.yml --pretend
  scaffold new .                                     into the current, empty directory

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


SERVE_EPILOG = """\
examples:
  scaffold serve                       http://127.0.0.1:8000/ on this machine only
  scaffold serve --port 0 --open       any free port, opened in your browser
  curl -fOJ 'http://127.0.0.1:8000/starter.zip?name=shop&size=large&builtins=yes'

Needs the web extra of scaffold-starter: scaffold-starter[web] (README, Installing).
The HTTP API is described in docs/web.md. Ctrl-C stops the server (exit code 130)."""


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
    """An argument parser whose errors go through scaffold's one error boundary.

    A mistyped command, choice or option gets a "did you mean" suggestion.
    """

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

    def _check_value(self, action: argparse.Action, value: object) -> None:
        # argparse's own check, plus the closest valid choice when there is one.
        if action.choices is not None and value not in action.choices:
            choices = [str(choice) for choice in action.choices]
            message = f"invalid choice: {value!r}"
            if close := get_close_matches(str(value), choices, n=1, cutoff=0.6):
                message += f" (did you mean {close[0]!r}?)"
            message += f"; choose from {', '.join(choices)}"
            raise argparse.ArgumentError(action, message)

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """Parse ``args``; an unknown option names the closest one the command has."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            parser = self._command_parser(sys.argv[1:] if args is None else args)
            known = [option for action in parser._actions for option in action.option_strings]
            first = extras[0].partition("=")[0]
            message = f"unrecognized arguments: {' '.join(extras)}"
            if first.startswith("-") and (close := get_close_matches(first, known, n=1)):
                message += f" (did you mean {close[0]!r}?)"
            parser.error(message)
        return parsed

    def _command_parser(self, args: Sequence[str]) -> argparse.ArgumentParser:
        """The parser of the command named in ``args``, or this one when there is none."""
        for action in self._actions:
            if isinstance(action.choices, dict):  # the sub-commands
                for arg in args:
                    if arg in action.choices:
                        command: argparse.ArgumentParser = action.choices[arg]
                        return command
        return self


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


def _bounded(
    kind: type[int] | type[float], low: float, high: float | None = None
) -> Callable[[str], float]:
    """An argparse type: a number of ``kind`` from ``low`` to ``high``."""

    def parse(text: str) -> float:
        try:
            number = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if number < low or (high is not None and number > high):
            upper = f" to {high:g}" if high is not None else " or more"
            raise argparse.ArgumentTypeError(f"{text} is out of range ({low:g}{upper})")
        return number

    return parse


#: Units of a size such as ``--cache-size 64M``, in bytes (powers of 1024, as memory is counted).
SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def _size(text: str) -> int:
    """An argparse type: bytes, as a whole number with an optional unit (``65536``, ``64M``)."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)(?:I?B)?\s*", text, re.IGNORECASE)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size; give bytes, or a number with K, M or G (e.g. 64M)"
        )
    return int(match[1]) * SIZE_UNITS[match[2].upper()]


#: Every option of ``scaffold serve`` can also come from ``SCAFFOLD_SERVE_<OPTION>`` (for
#: containers); the command line wins.
SERVE_VARIABLE_PREFIX = "SCAFFOLD_SERVE_"


def _serve_option(
    group: argparse._ActionsContainer,
    flag: str,
    default: object,
    help_text: str,
    *,
    shown: str | None = None,
    parse: Callable[[str], object] = str,
    metavar: str | None = None,
) -> None:
    """One option of ``serve`` with its environment variable, checked as the option is."""
    variable = SERVE_VARIABLE_PREFIX + flag.removeprefix("--").upper().replace("-", "_")
    shown = shown or (f"{default:g}" if isinstance(default, float) else str(default))
    group.add_argument(
        flag,
        # argparse runs a string default through the option's type: a bad value in the
        # environment is refused exactly as on the command line.
        default=os.environ.get(variable) or default,
        help=f"{help_text} (default: {shown}; ${variable})",
        type=parse,
        metavar=metavar,
    )


def _serve_parser(
    commands: argparse._SubParsersAction[_Parser],
    formatter: type[argparse.HelpFormatter],
) -> None:
    from scaffold import _commands
    from scaffold.web.limits import Limits

    defaults = Limits()
    serve = commands.add_parser(
        "serve",
        help="a local web page and HTTP API to choose, preview and download a starter",
        description="Serve a web page and an HTTP API that recommend, preview and zip a starter.",
        epilog=SERVE_EPILOG,
        formatter_class=formatter,
        allow_abbrev=False,
    )
    option = _serve_option
    option(
        serve, "--host", "127.0.0.1", "address to listen on", shown="127.0.0.1, this machine only"
    )
    option(
        serve,
        "--port",
        8000,
        "port to listen on; 0 picks a free one",
        parse=_bounded(int, 0, 65535),
    )
    hosts_variable = f"{SERVE_VARIABLE_PREFIX}ALLOWED_HOSTS"
    serve.add_argument(
        "--allowed-host", action="append", metavar="NAME", dest="allowed_hosts",
        default=[name.strip() for name in os.environ.get(hosts_variable, "").split(",")
                 if name.strip()],
        help="a host name a reverse proxy forwards, accepted besides this machine's own "
        f"(repeatable; ${hosts_variable} takes a comma-separated list)",
    )  # fmt: skip
    serve.add_argument("--open", action="store_true", help="open the page in your web browser")
    limits = serve.add_argument_group("limits")
    seconds = _bounded(float, 0.01)
    option(
        limits,
        "--workers",
        defaults.renders,
        "render worker processes, each rendering one project at a time",
        parse=_bounded(int, 1, 64),
        metavar="N",
        shown="CPUs, at most 4",
    )
    option(
        limits,
        "--queue",
        defaults.queue,
        "requests that may wait for a render; more get 503",
        parse=_bounded(int, 0),
        metavar="N",
    )
    option(
        limits,
        "--timeout",
        defaults.timeout,
        "longest render, or wait for one, before a 503",
        parse=seconds,
        metavar="SECONDS",
    )
    option(
        limits,
        "--request-timeout",
        defaults.request_timeout,
        "time a client has to send a whole request, then 408",
        parse=seconds,
        metavar="SECONDS",
    )
    option(limits, "--connections-per-client", defaults.per_client,
           "connections one address may hold open; more get 503", parse=_bounded(int, 1),
           metavar="N")  # fmt: skip
    option(
        limits,
        "--cache-size",
        defaults.cache_bytes,
        "memory kept for archives asked again, in bytes or with K, M, G; 0 keeps none",
        parse=_size,
        metavar="SIZE",
        shown=f"{defaults.cache_bytes // SIZE_UNITS['M']}M",
    )
    _debug_option(serve, argparse.SUPPRESS)
    serve.set_defaults(command=_commands.serve_command)


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
    parser.add_argument("-V", "--version", action="version", version=f"scaffold {__version__}")
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
    new.add_argument(
        "name",
        metavar="NAME",
        help="project name; also the directory created ('.': the current, empty directory)",
    )
    new.add_argument(
        "-o", "--output-dir", default=".", metavar="DIR", help="parent directory (default: .)"
    )
    new.add_argument(
        "--parents",
        action="store_true",
        help="create --output-dir and its missing parents (removed again if the run fails)",
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
        help="add to an existing non-empty directory: keeps your other files and .env, and "
        "replaces a file only if git holds it unchanged",
    )
    files.add_argument(
        "--pretend",
        "--dry-run",
        action="store_true",
        help="list each file as create, overwrite, identical or kept; write nothing",
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
        help="uv, pip, or auto: uv when found (default: auto, or the personal default)",
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
    _serve_parser(commands, formatter)

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


def main(argv: Sequence[str] | None = None, *, exiting: bool = False) -> int:
    """Run scaffold; return the exit code. The one place errors become messages.

    ``exiting`` says the process ends as soon as this returns (the console
    script): signals then stay ignored, so that none replaces the exit code.
    """
    _reopen_closed_streams()
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    with interrupts.signals_interrupt(restore=not exiting):
        try:
            try:
                parser = build_parser()
                if not arguments:
                    parser.print_help()
                    return 0
                args = parser.parse_args(arguments)
                code: int = args.command(args)
            finally:
                interrupts.stop_interrupting()  # a signal now would only cut the report short
        except KeyboardInterrupt as error:  # Ctrl-C, or SIGTERM / SIGHUP (see interrupts.py)
            stop = error if isinstance(error, Interrupted) else Interrupted(signal.SIGINT)
            _say(f"\nscaffold: interrupted ({signal.Signals(stop.signal_number).name})")
            return stop.exit_code
        except BrokenPipeError:
            # The reader went away (`scaffold frameworks | head`); say nothing more to it.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_FAILURE
        except EOFError as error:
            ended = InputEndedError(
                "input ended (Ctrl-D or a closed stdin) before every question was answered; "
                "answer them, or pass --defaults, --data or --data-file"
            )
            return _report(ended, debug, cause=error)
        except ScaffoldError as error:
            return _report(error, debug)
        except OSError as error:
            # The environment failed us (permissions, a full disk, a vanished file): not a bug.
            if debug:
                traceback.print_exc()
            where = f": {error.filename}" if error.filename else ""
            _say(f"scaffold: error: {error.strerror or error}{where}")
            return EXIT_FAILURE
        return code


def _report(error: ScaffoldError, debug: bool, cause: BaseException | None = None) -> int:
    """Print ``error`` as one line (after its details, and the traceback with --debug)."""
    if debug:
        traceback.print_exception(cause or error)
    if error.details:
        _say(error.details)
    message = " ".join(str(error).splitlines())
    _say(f"scaffold: error: {message}")
    return error.exit_code


def _say(message: str) -> None:
    """Write to stderr, if it can still be written to (a terminal may have hung up)."""
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr, flush=True)


def _reopen_closed_streams() -> None:
    """Put /dev/null on a closed stdin, stdout or stderr (``<&-``, ``>&-``, ``2>&-``).

    Python leaves ``sys.stdin`` and friends as None then, and the next file
    opened would take the free descriptor, so a child process would read or
    write it as if it were the terminal. /dev/null is what a closed stream means:
    no input (so no prompts) and output nobody reads.
    """
    for descriptor, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(descriptor)
        except OSError:  # closed: /dev/null takes its place for this process and its children
            null = os.open(os.devnull, os.O_RDWR)
            if null != descriptor:
                os.dup2(null, descriptor)
                os.close(null)
            # os.open makes descriptors that child processes do not get; 0-2 they must.
            os.set_inheritable(descriptor, True)
            stream = open(descriptor, mode, encoding="utf-8", closefd=False)  # noqa: SIM115
        else:  # the descriptor was reused by another file: leave it alone
            stream = open(os.devnull, mode, encoding="utf-8")  # noqa: SIM115, PTH123
        setattr(sys, name, stream)


def run() -> NoReturn:
    """The console script: ``main`` tuned for a short-lived process.

    scaffold runs for about a second and allocates many short-lived cycles (Jinja
    and copier objects); collecting them rarely, and not at all at exit, saves
    a tenth of the run time for a few hundred kilobytes of memory.
    """
    gc.set_threshold(100_000, 50, 100)
    code = main(exiting=True)
    gc.freeze()
    sys.exit(code)
