"""Render a project plan with copier, and write what scaffold adds to it: records and ``.env``.

Rendering knows nothing of where the project ends up: :mod:`scaffold.placement`
renders into a staging directory and moves the result into place, the web
render workers render into a scratch directory and archive it.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from scaffold.errors import TemplateError
from scaffold.frameworks import FRAMEWORKS
from scaffold.options import templates_root
from scaffold.plan import ProjectPlan

ENV_FILE = ".env"
GIT_DIR = ".git"


def render(plan: ProjectPlan, destination: Path) -> None:
    """Render ``plan`` from the installed templates into ``destination``, its decision recorded.

    copier renders the installed template folder, which holds the same files as
    the newest commit of the template history, and the answers file then gets
    the portable source and version (``scaffold.versions.source``); rendering
    from the folder is what keeps ``scaffold new`` as fast as ``copier copy``.
    """
    from scaffold.copier_worker import run_copy
    from scaffold.git import copier_environment

    try:
        with copier_environment():
            run_copy(
                str(templates_root()),
                destination,
                data=plan.copier_data,
                defaults=True,
                overwrite=True,
                quiet=True,
                unsafe=False,
                cleanup_on_error=False,
            )
    except OSError:
        raise
    except Exception as error:  # copier and Jinja raise many types; all mean the render failed
        raise TemplateError(
            f"rendering the {plan.framework.value} template failed: {error}"
        ) from error
    write_records(plan, destination)


def write_records(plan: ProjectPlan, project: Path) -> None:
    """Record the template source and version, the framework decision and the criteria answers."""
    from scaffold import __version__
    from scaffold.decision import (
        CRITERIA_FILE,
        RECORD_FILE,
        RecordContext,
        criteria_answers,
        decision_record,
    )
    from scaffold.versions.source import ANSWERS_FILE, installed_version, stamp_answers

    stamp_answers(project / ANSWERS_FILE, installed_version())
    context = RecordContext(plan.name, date.today().isoformat(), __version__)
    record = project / RECORD_FILE
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(decision_record(plan, context), encoding="utf-8")
    (project / CRITERIA_FILE).write_text(criteria_answers(plan), encoding="utf-8")


def list_files(root: Path) -> list[str]:
    """Every file under ``root``, relative and sorted, directories left out."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if not path.is_dir() and GIT_DIR not in path.relative_to(root).parts
    )


def write_env_file(project: Path, plan: ProjectPlan) -> None:
    """Write the gitignored development ``.env`` with a fresh secret, readable by its owner only."""
    info = FRAMEWORKS[plan.framework]
    values = info.env_file(str(plan.options["package_name"]), str(plan.options["database"]))
    lines = [
        "# Development settings, written by scaffold. Never commit this file:",
        "# production values belong in the environment (see .env.example).",
        *(f"{key}={value}" for key, value in values.items()),
    ]
    path = project / ENV_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as env_file:
        env_file.write("\n".join(lines) + "\n")
