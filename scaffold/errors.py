"""Every error scaffold raises on purpose, and the exit code each one maps to.

The command line turns a :class:`ScaffoldError` into one line on stderr and its
``exit_code``; anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130
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


class DestinationError(ScaffoldError, OSError):
    """The target directory cannot be used: it exists, is a file, or is not writable."""


class PartialOutputKept(ScaffoldError):
    """Rendering failed and the partial output was kept for debugging (--keep-on-failure)."""


class TemplateError(ScaffoldError):
    """The bundled templates are missing or failed to render."""


class InstallError(ScaffoldError):
    """A command run to install or check the generated project failed."""


class NoTerminalError(ScaffoldError):
    """A question had to be asked but there is no terminal to ask it on."""


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


class GitError(ScaffoldError):
    """A git command failed; the message carries git's own last line."""
