"""Every error scaffold raises on purpose, and the exit code each one maps to.

The command line turns a :class:`ScaffoldError` into one line on stderr and its
``exit_code``; anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_FAILURE = 1
#: ``check-update`` only, as ``copier check-update --quiet`` does.
EXIT_UPDATE_AVAILABLE = 2


class ScaffoldError(Exception):
    """Base of all errors a user can cause or fix; the message says what to do."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, details: str = "") -> None:
        super().__init__(message)
        #: Longer output shown above the one-line message, e.g. the tail of a failed command.
        self.details = details


class UsageError(ScaffoldError, ValueError):
    """Something typed on the command line is wrong: an option, NAME or a --data entry."""

    exit_code = EXIT_USAGE


class InvalidAnswersError(UsageError):
    """One or more answers are invalid; all of them are reported in one message."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        message: str
        if len(problems) == 1:
            message = problems[0]
        else:
            message = f"{len(problems)} invalid answers: " + "; ".join(problems)
        super().__init__(message)


class DataFileError(ScaffoldError):
    """A --data-file is missing, unreadable or malformed."""


class ConfigError(ScaffoldError):
    """The personal defaults file is unreadable, malformed or holds a bad value."""


class DestinationError(ScaffoldError, OSError):
    """The target directory cannot be used: it exists, is a file, or is not writable."""


class TargetBusyError(DestinationError):
    """Another scaffold run claimed the same target first; this run wrote nothing."""


class ClashError(DestinationError):
    """``--force`` found files it must not replace; it stopped before moving anything."""


class GitError(ScaffoldError):
    """A git command failed (a first commit, the template history); its last line says why."""


class GitConfigError(GitError):
    """git cannot read its configuration (a bad file, a bad ``GIT_CONFIG_COUNT``...)."""


class PartialOutputKept(ScaffoldError):
    """Rendering failed and the partial output was kept for debugging (--keep-on-failure)."""


class TemplateError(ScaffoldError):
    """The bundled templates are missing or failed to render."""


class InstallError(ScaffoldError):
    """A command run to install or check the generated project failed."""


class MissingExtraError(ScaffoldError):
    """A command needs an optional extra that is not installed (``scaffold-starter[web]``)."""


class ServeError(ScaffoldError):
    """``scaffold serve`` cannot listen on the address it was given."""


class BusyError(ScaffoldError):
    """Every render slot is taken and the queue is full, or a render ran past its time limit."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        #: Seconds a client should wait before trying again (HTTP ``Retry-After``).
        self.retry_after = retry_after


class ArchiveError(ScaffoldError):
    """A rendered file cannot be put in an archive safely (a link, or a path leaving the top)."""


class InputEndedError(ScaffoldError):
    """Input ended (Ctrl-D, or a closed stdin) while a question waited for its answer."""


class Interrupted(KeyboardInterrupt):
    """A signal (SIGINT, SIGTERM, SIGHUP) stopped scaffold; it cleans up exactly as for Ctrl-C.

    A ``KeyboardInterrupt`` on purpose: every clean-up path already handles
    Ctrl-C, and libraries that catch ``Exception`` let it through.
    """

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number
        #: The status a shell reports for a process stopped by this signal.
        self.exit_code = 128 + signal_number


class TemplateHistoryError(TemplateError):
    """The template history cannot be built or read: a release is missing, git failed."""


class NotAProjectError(ScaffoldError):
    """The directory holds no project scaffold can update: no answers file, another template."""


class UpdateError(ScaffoldError):
    """The project cannot be updated: no git, uncommitted changes, an unknown or newer version."""


class UpdateConflictError(ScaffoldError):
    """The update is applied but some files hold conflicts that a person has to resolve."""


class CheckUpdateUsageError(UsageError):
    """A bad ``check-update`` command line; exit code 2 means "update available" there."""

    exit_code = EXIT_FAILURE
