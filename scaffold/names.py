"""Rules for the project name (NAME) and the Python package name derived from it.

NAME becomes a directory, a distribution name and, through the template's
mapping (lower case; ``-``, ``.`` and spaces become ``_``), the importable
package. A bad name is refused before anything is asked or written, with a
suggestion when one exists.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata

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
        # test and build tools the project runs
        "pytest",
        "_pytest",
        "pluggy",
        "iniconfig",
        "ruff",
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
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)}
)
_WINDOWS_FORBIDDEN = set('<>:"|?*')
_PACKAGE_PATTERN = re.compile(r"[a-z_][a-z0-9_]*", re.ASCII)


def package_problem(name: str) -> str | None:
    """Why ``name`` cannot be the generated package's name, or None when it can."""
    if not name:
        return "the package name is empty; use lower-case letters, digits and underscores"
    if len(name) > MAX_PACKAGE_LENGTH:
        return (
            f"the package name is {len(name)} characters long; keep it to {MAX_PACKAGE_LENGTH} "
            "(pass a shorter one with --data package_name=...)"
        )
    if keyword.iskeyword(name) or name in _SOFT_KEYWORDS:
        hint = _suggest_identifier(f"{name}_app")
        return f"{name!r} is a Python keyword and cannot name a package; try {hint!r}"
    if not _PACKAGE_PATTERN.fullmatch(name):
        hint = _suggest_identifier(name)
        what = f"{name!r} is not a valid package name (lower-case ASCII letters, digits, '_')"
        return f"{what}; try {hint!r}" if hint else what
    if name in SHADOWED_MODULES:
        return (
            f"{name!r} would shadow the module of the same name that the project imports; "
            f"try '{name}_app'"
        )
    return None


def project_name_problem(name: str) -> str | None:
    """Why NAME cannot name a project directory, or None when it can."""
    if not name.strip():
        return "the project name is empty; pass a NAME such as 'my-service'"
    if len(name) > MAX_NAME_LENGTH:
        return f"the project name is {len(name)} characters long; keep it to {MAX_NAME_LENGTH}"
    if "\x00" in name or any(unicodedata.category(char) == "Cc" for char in name):
        return "the project name contains control characters; use letters, digits and '-'"
    if name in {".", ".."} or any(sep in name for sep in ("/", "\\")):
        return (
            f"{name!r} is a path, not a name; pass a plain NAME and choose the parent "
            "directory with --output-dir"
        )
    if name.startswith("-"):
        return f"{name!r} starts with '-' and would be read as an option; try {name.lstrip('-')!r}"
    if bad := sorted(_WINDOWS_FORBIDDEN.intersection(name)):
        return f"{name!r} contains {' '.join(bad)}, which Windows does not allow in file names"
    if name[-1] in ". ":
        return (
            f"{name!r} ends with a dot or a space, which Windows drops; try {name.rstrip('. ')!r}"
        )
    if name.split(".")[0].strip().lower() in _WINDOWS_RESERVED:
        return f"{name!r} is a reserved device name on Windows; try '{name}-app'"
    return None


def _suggest_identifier(name: str) -> str | None:
    """The nearest valid package name: ASCII-folded, lower case, underscores, no leading digit."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    ascii_only = folded.encode("ascii", "ignore").decode().lower()
    candidate = re.sub(r"[^a-z0-9_]+", "_", ascii_only).strip("_")
    if not candidate:
        return None
    if candidate[0].isdigit():
        candidate = f"app_{candidate}"
    return candidate if package_problem(candidate) is None else None
