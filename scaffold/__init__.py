"""Recommend Django, Flask or FastAPI for a web project and render a starter that runs.

The public API is small: describe the project with :class:`Answers`, get a
:class:`Recommendation` from :func:`recommend`, and render a project with
:func:`create_project`. The command line (``scaffold``) is a thin layer over it.
Heavy libraries (copier, questionary, rich) are imported only by the functions
that need them, so importing this package is cheap.
"""

from scaffold.criteria import CRITERIA, Answers
from scaffold.errors import ScaffoldError, UsageError
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.recommender import Recommendation, recommend

__version__ = "0.2.0.dev0"

__all__ = [
    "CRITERIA",
    "FRAMEWORKS",
    "Answers",
    "Framework",
    "Recommendation",
    "ScaffoldError",
    "UsageError",
    "__version__",
    "create_project",
    "recommend",
]


def __getattr__(name: str) -> object:
    """Import the project renderer on first use: it pulls in copier."""
    if name == "create_project":
        from scaffold.placement import create_project

        return create_project
    raise AttributeError(f"module 'scaffold' has no attribute {name!r}")
