"""Recommend Django, Flask or FastAPI for a web project and render a starter that runs.

The public API is small: describe the project with :class:`Answers`, get a
:class:`Recommendation` from :func:`recommend`, turn raw answers into a
:class:`ProjectPlan` with :func:`build_plan`, and make the project with
:func:`create_project`. The command line (``scaffold``) and the web server are
thin layers over the same functions. Heavy libraries (copier, questionary,
rich) are imported only by the functions that need them, so importing this
package is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from scaffold.criteria import CRITERIA, Answers
from scaffold.errors import InvalidAnswersError, ScaffoldError, UsageError
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.recommender import Recommendation, recommend

if TYPE_CHECKING:
    from scaffold.decision import How
    from scaffold.placement import ProjectResult, create_project
    from scaffold.plan import ProjectPlan, build_plan

__version__ = "0.2.0.dev0"

__all__ = [
    "CRITERIA",
    "FRAMEWORKS",
    "Answers",
    "Framework",
    "How",
    "InvalidAnswersError",
    "ProjectPlan",
    "ProjectResult",
    "Recommendation",
    "ScaffoldError",
    "UsageError",
    "__version__",
    "build_plan",
    "create_project",
    "recommend",
]

#: Names imported on first use, by module: the plan and the placement load the template options.
_LAZY = {
    "How": "scaffold.decision",
    "ProjectPlan": "scaffold.plan",
    "build_plan": "scaffold.plan",
    "ProjectResult": "scaffold.placement",
    "create_project": "scaffold.placement",
}


def __getattr__(name: str) -> object:
    """Import the plan builder and the project renderer on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'scaffold' has no attribute {name!r}")
