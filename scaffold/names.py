"""Rules for the project name (NAME) and the Python package name derived from it.

NAME becomes a directory, a distribution name and, through the template's
mapping (lower case; ``-``, ``.`` and spaces become ``_``), the importable
package. A bad name is refused before anything is asked or written, with a
suggestion when one exists, and a suggestion always passes the rules it is
suggested for.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata
from collections.abc import Callable

#: A longer package name pushes generated lines past their line-length limit.
MAX_PACKAGE_LENGTH = 30
MAX_NAME_LENGTH = 50

#: Modules a generated project imports, or that its tools do; a package with
#: one of these names would shadow it. The standard library is added below.
SHADOWED_MODULES = frozenset(
    {
        # frameworks and their dependencies
        "django",
        "asgiref",
        "sqlparse",
        "dj_database_url",
        "whitenoise",
        "pytest_django",
        "flask",
        "flask_sqlalchemy",
        "flask_migrate",
        "alembic",
        "mako",
        "werkzeug",
        "jinja2",
        "markupsafe",
        "itsdangerous",
        "click",
        "blinker",
        "dotenv",
        "fastapi",
        "starlette",
        "pydantic",
        "pydantic_core",
        "pydantic_settings",
        "annotated_types",
        "typing_extensions",
        "anyio",
        "sniffio",
        "idna",
        "h11",
        "httpx",
        "httpx2",
        "uvloop",
        "httptools",
        "watchfiles",
        "websockets",
        "python_multipart",
        "httpcore",
        "certifi",
        "uvicorn",
        "uvicorn_worker",
        "gunicorn",
        "sqlalchemy",
        "greenlet",
        "aiosqlite",
        "asyncpg",
        "psycopg",
        "psycopg2",
        # what the accounts and the login limits add
        "axes",
        "redis",
        "flask_login",
        "flask_wtf",
        "wtforms",
        "flask_limiter",
        "limits",
        "zxcvbn",
        "jwt",
        "pwdlib",
        "multipart",
        # test and build tools the project runs
        "pytest",
        "_pytest",
        "py",
        "pluggy",
        "iniconfig",
        "ruff",
        "pre_commit",
        "mypy",
        "mypyc",
        "mypy_django_plugin",
        "django_stubs_ext",
        "coverage",
        "hatchling",
        "setuptools",
        "pip",
        # the folder of the Alembic migrations next to the package
        "migrations",
        # names Python or pytest treat specially
        "test",
        "tests",
        "conftest",
        "site",
    }
) | frozenset(sys.stdlib_module_names)

#: Soft keywords of every Python the project may run on (``type`` became one in 3.12).
_SOFT_KEYWORDS = frozenset(keyword.softkwlist) | {"_", "case", "match", "type"}
#: Device names Windows reserves, with or without an extension; it reads the
#: superscript digits as digits too.
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {
        f"{port}{n}"
        for port in ("com", "lpt")
        for n in (*"0123456789", "\u00b9", "\u00b2", "\u00b3")
    }
)
_WINDOWS_FORBIDDEN = set('<>:"|?*')
_PACKAGE_PATTERN = re.compile(r"[a-z_][a-z0-9_]*", re.ASCII)
#: What a suggested NAME may hold: the characters the template's own rule allows.
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_EDGE_PUNCTUATION = re.compile(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$")


def package_problem(name: str, *, suggest: bool = True) -> str | None:
    """Why ``name`` cannot be the generated package's name, or None when it can.

    With ``suggest``, the message ends with a replacement that passes every rule here.
    """
    problem = _package_rule(name)
    if problem is None or not suggest:
        return problem
    return with_hint(problem, first_valid(package_candidates(name), _package_rule))


def _package_rule(name: str) -> str | None:
    if not name:
        return "the package name is empty; use lower-case letters, digits and underscores"
    if len(name) > MAX_PACKAGE_LENGTH:
        return (
            f"the package name is {len(name)} characters long; keep it to {MAX_PACKAGE_LENGTH} "
            "(pass a shorter one with --data package_name=...)"
        )
    if keyword.iskeyword(name) or name in _SOFT_KEYWORDS:
        return f"{name!r} is a Python keyword and cannot name a package"
    if not _PACKAGE_PATTERN.fullmatch(name):
        return f"{name!r} is not a valid package name (lower-case ASCII letters, digits, '_')"
    if name in SHADOWED_MODULES:
        return f"{name!r} would shadow the module of the same name that the project imports"
    return None


def project_name_problem(name: str) -> str | None:
    """Why NAME cannot name a project directory, or None when it can.

    No suggestion here: a replacement NAME must also pass the template's rule
    and give a valid package, which only the caller can check (see
    :func:`name_candidates`).
    """
    if not name.strip():
        return "the project name is empty; pass a NAME such as 'my-service'"
    if len(name) > MAX_NAME_LENGTH:
        return f"the project name is {len(name)} characters long; keep it to {MAX_NAME_LENGTH}"
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in name):
        return "the project name contains control characters or line breaks"
    if any(unicodedata.category(char) == "Cs" for char in name):
        return "the project name is not valid UTF-8 text; set the terminal to UTF-8"
    if _is_path(name):
        head, slash, tail = name.rstrip("/").rpartition("/")
        plain = slash and tail not in ("", ".", "..") and "\\" not in name
        example = f" (for {name}: scaffold new {tail} -o {head or '/'})" if plain else ""
        return (
            f"{name!r} is a path, not a name; pass a plain NAME and choose the parent "
            f"directory with --output-dir{example}"
        )
    if name.startswith("-"):
        return f"{name!r} starts with '-' and would be read as an option"
    if bad := sorted(_WINDOWS_FORBIDDEN.intersection(name)):
        return f"{name!r} contains {' '.join(bad)}, which Windows does not allow in file names"
    if name[-1] in ". ":
        return f"{name!r} ends with a dot or a space, which Windows drops"
    if name.split(".")[0].strip().lower() in _WINDOWS_RESERVED:
        return f"{name!r} is a reserved device name on Windows"
    if keyword.iskeyword(name) or name in _SOFT_KEYWORDS:
        # `None`, `True` and `False` map to valid packages, but a NAME that is
        # Python code is far more often a script's unset variable than a choice.
        return f"{name!r} is a Python keyword and cannot name a package"
    return None


def _is_path(name: str) -> bool:
    return name in {".", ".."} or any(sep in name for sep in ("/", "\\"))


def name_candidates(name: str) -> list[str]:
    """Replacement NAMEs for a refused one, best first; the caller keeps the first valid one.

    Each is plain ASCII made of the characters the template allows, derived
    from ``name`` (accents dropped, ``ﬁ`` and ``¹`` spelt out, bad characters
    turned into ``-``), and different from it. A path gets none: the fix is
    --output-dir, not another name.
    """
    if _is_path(name):
        return []
    cleaned = _EDGE_PUNCTUATION.sub("", _NAME_UNSAFE.sub("-", _ascii(name)))
    bases = list(dict.fromkeys([cleaned, re.sub(r"[. ]", "_", cleaned)]))
    return _with_affixes([base for base in bases if base], name, MAX_NAME_LENGTH)


def package_candidates(name: str) -> list[str]:
    """Replacement package names for a refused one, best first (see :func:`name_candidates`)."""
    identifier = re.sub(r"[^a-z0-9_]+", "_", _ascii(name).lower()).strip("_")
    return _with_affixes([identifier] if identifier else [], name, MAX_PACKAGE_LENGTH)


def _with_affixes(bases: list[str], original: str, limit: int) -> list[str]:
    """Each base as it is, then made to start with a letter, then with ``_app``, then shortened."""
    candidates = []
    for base in bases:
        candidates.append(base)
        if base[0].isdigit():
            candidates.append(f"app_{base}")
        candidates.append(f"{base}_app")
        candidates.append(_EDGE_PUNCTUATION.sub("", base[:limit]))
    return [c for c in dict.fromkeys(candidates) if c and c != original]


def _ascii(name: str) -> str:
    """``name`` in plain ASCII: compatibility forms spelt out (``ﬁ``, ``¹``), accents dropped."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    return folded.encode("ascii", "ignore").decode()


def first_valid(candidates: list[str], problem: Callable[[str], str | None]) -> str | None:
    """The first candidate that ``problem`` finds nothing wrong with."""
    return next((candidate for candidate in candidates if problem(candidate) is None), None)


def with_hint(problem: str, suggestion: str | None) -> str:
    """``problem``, followed by the suggestion when there is one."""
    return f"{problem}; try {suggestion!r}" if suggestion else problem
