"""The distributions a generated project installs, read from its own rendered ``pyproject.toml``.

A project may not share its distribution name with anything it installs: uv
refuses to lock it ("shadowed by your project") and pip installs one over the
other. The direct requirements come from the template itself, rendered for the
chosen options (only ``pyproject.toml``, once per set of options), so a
dependency a template adds is refused as a name without anyone keeping a list.
What those requirements pull in (PyYAML through ``uvicorn[standard]``, say)
takes a resolver and the package index: ``tools/dependency_closure.py`` asks uv
for each requirement the templates can render and writes the answers to
``dependency_closure.json`` beside this module, which a test keeps complete.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import TYPE_CHECKING

from scaffold.questions import Value

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

#: Answers that differ per project and only fill the name, description and authors.
_FREE_TEXT = ("project_name", "package_name", "description", "author_name", "author_email")


#: The resolved dependencies of each requirement, written by tools/dependency_closure.py.
CLOSURE_FILE = "dependency_closure.json"


def dependency_names(framework: str, answers: Mapping[str, Value]) -> frozenset[str]:
    """PEP 503 names of every distribution the project installs, directly or not.

    That is the build requirements, the dependencies and every optional group
    (the ``dev`` extra) the rendered ``pyproject.toml`` lists, for ``framework``
    and the options in ``answers``, and what each of them depends on in turn.
    """
    chosen = tuple(sorted((key, value) for key, value in answers.items() if key not in _FREE_TEXT))
    return _dependency_names(framework, chosen)


def requirements(framework: str, answers: Mapping[str, Value]) -> list[str]:
    """Every requirement the rendered ``pyproject.toml`` lists, as ``packaging`` spells it."""
    chosen = tuple(sorted((key, value) for key, value in answers.items() if key not in _FREE_TEXT))
    return list(_requirements(framework, chosen))


@functools.cache
def closure() -> dict[str, list[str]]:
    """Each requirement the templates render, and the names of all it depends on."""
    text = resources.files("scaffold").joinpath(CLOSURE_FILE).read_text(encoding="utf-8")
    return dict(json.loads(text)["requirements"])


def distribution_of(package_name: str) -> str:
    """The PEP 503 name of the distribution the template makes of ``package_name``."""
    from packaging.utils import canonicalize_name

    return canonicalize_name(package_name.replace("_", "-"))


@functools.cache
def _dependency_names(framework: str, chosen: tuple[tuple[str, Value], ...]) -> frozenset[str]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    listed = _requirements(framework, chosen)
    resolved = closure()
    return frozenset(
        name
        for entry in listed
        for name in (canonicalize_name(Requirement(entry).name), *resolved.get(entry, ()))
    )


@functools.cache
def _requirements(framework: str, chosen: tuple[tuple[str, Value], ...]) -> tuple[str, ...]:
    import tomllib

    from packaging.requirements import Requirement

    metadata = tomllib.loads(_render_pyproject(framework, dict(chosen)))
    project = metadata.get("project", {})
    listed = [
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
    return tuple(str(Requirement(entry)) for entry in listed)


def _render_pyproject(framework: str, chosen: Mapping[str, Value]) -> str:
    """The template's ``pyproject.toml`` for these options, rendered as copier renders it."""
    placeholders = dict.fromkeys(_FREE_TEXT, "x")
    template = template_environment().get_template(f"{framework}/pyproject.toml.jinja")
    return template.render({**placeholders, **chosen, "framework": framework})


@functools.cache
def template_environment() -> SandboxedEnvironment:
    """A Jinja environment over the bundled templates, configured as copier's."""
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from scaffold.options import templates_root

    return SandboxedEnvironment(
        loader=FileSystemLoader(templates_root()),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    )
