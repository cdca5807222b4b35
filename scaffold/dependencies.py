"""The distributions a generated project installs, read from its own rendered ``pyproject.toml``.

A project may not share its distribution name with one of its dependencies:
uv refuses to lock it ("shadowed by your project") and pip installs one over
the other. The names come from the template itself, rendered for the chosen
options (only ``pyproject.toml``, once per set of options), so a dependency a
template adds is refused as a name without anyone keeping a list.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from scaffold.questions import Value

#: Answers that differ per project and only fill the name, description and authors.
_FREE_TEXT = ("project_name", "package_name", "description", "author_name", "author_email")


def dependency_names(framework: str, answers: Mapping[str, Value]) -> frozenset[str]:
    """PEP 503 names of every requirement the rendered ``pyproject.toml`` lists.

    That is the build requirements, the dependencies and every optional
    group (the ``dev`` extra), for ``framework`` and the options in ``answers``.
    """
    chosen = tuple(sorted((key, value) for key, value in answers.items() if key not in _FREE_TEXT))
    return _dependency_names(framework, chosen)


def distribution_of(package_name: str) -> str:
    """The PEP 503 name of the distribution the template makes of ``package_name``."""
    from packaging.utils import canonicalize_name

    return canonicalize_name(package_name.replace("_", "-"))


@functools.cache
def _dependency_names(framework: str, chosen: tuple[tuple[str, Value], ...]) -> frozenset[str]:
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    metadata = tomllib.loads(_render_pyproject(framework, dict(chosen)))
    project = metadata.get("project", {})
    requirements = [
        *metadata.get("build-system", {}).get("requires", []),
        *project.get("dependencies", []),
        *(entry for group in project.get("optional-dependencies", {}).values() for entry in group),
        *(
            entry
            for group in metadata.get("dependency-groups", {}).values()
            for entry in group
            if isinstance(entry, str)  # an {include-group = ...} names no distribution
        ),
    ]
    return frozenset(canonicalize_name(Requirement(entry).name) for entry in requirements)


def _render_pyproject(framework: str, chosen: Mapping[str, Value]) -> str:
    """The template's ``pyproject.toml`` for these options, rendered as copier renders it."""
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from scaffold.options import templates_root

    environment = SandboxedEnvironment(
        loader=FileSystemLoader(templates_root()),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    )
    placeholders = dict.fromkeys(_FREE_TEXT, "x")
    template = environment.get_template(f"{framework}/pyproject.toml.jinja")
    return template.render({**placeholders, **chosen, "framework": framework})
