"""Every combination of project options of every framework renders a valid, lint-clean project.

Each rendered project must compile, its TOML and YAML must parse, nothing of
the template language may be left over, and ruff (the version range the
generated projects pin) must find nothing. The end-to-end tests at the end
install what the combinations of each framework need, once, for mypy and
for the names a package may not take.
"""

from __future__ import annotations

import itertools
import json
import os
import py_compile
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from helpers import FRAMEWORK_PARAMS
from scaffold.frameworks import Framework
from scaffold.names import SHADOWED_MODULES
from scaffold.options import load_options, templates_root
from scaffold.project import ProjectRequest, render

RUFF = Path(sys.executable).parent / "ruff"
FIXED_ANSWERS = {
    "package_name": "svc",
    "description": "A service",
    "author_name": "Ada",
    "author_email": "ada@example.com",
}


def option_values(key: str) -> list[object]:
    (option,) = (option for option in load_options() if option.key == key)
    if option.type == "bool":
        return [True, False]
    return [value for _label, value, _validator in option.choices]


def databases(framework: Framework) -> list[object]:
    return [db for db in option_values("database") if not (framework == "django" and db == "none")]


CASES = [(framework, database) for framework in Framework for database in databases(framework)]


def auth_values(framework: Framework, database: object) -> list[object]:
    """Accounts are asked for only outside Django and with a database, as copier.yml says."""
    return option_values("auth") if framework != "django" and database != "none" else [False]


def render_all(framework: Framework, database: object, root: Path) -> list[Path]:
    """Render every combination of the other options for one framework and database."""
    projects = []
    combinations = itertools.product(
        option_values("docker"),
        option_values("ci"),
        option_values("license"),
        option_values("python_version"),
        auth_values(framework, database),
    )
    for index, (docker, ci, license_, python, auth) in enumerate(combinations):
        options = {
            **FIXED_ANSWERS,
            "python_version": python,
            "database": database,
            "docker": docker,
            "ci": ci,
            "license": license_,
            "auth": auth,
        }
        destination = root / f"p{index}"
        render(ProjectRequest(name="svc", framework=framework, options=options), destination)
        projects.append(destination)
    return projects


def rendered_from_jinja(project: Path, framework: Framework) -> list[Path]:
    """Files of ``project`` that copier rendered through Jinja (their template ends in .jinja)."""
    source = templates_root() / framework.value
    rendered_names = {path.name.removesuffix(".jinja") for path in source.rglob("*.jinja")}
    return [path for path in project.rglob("*") if path.is_file() and path.name in rendered_names]


@pytest.mark.parametrize(("framework", "database"), CASES, ids=[f"{f.value}-{d}" for f, d in CASES])
def test_every_option_combination_is_valid(tmp_path, framework, database):
    projects = render_all(framework, database, tmp_path)
    for project in projects:
        for path in project.rglob("*.py"):
            py_compile.compile(str(path), doraise=True, cfile=str(tmp_path / "compiled.pyc"))
        for path in project.rglob("*.toml"):
            tomllib.loads(path.read_text(encoding="utf-8"))
        for path in [*project.rglob("*.yml"), *project.rglob("*.yaml")]:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in rendered_from_jinja(project, framework):
            text = path.read_text(encoding="utf-8")
            assert "{{" not in text and "{%" not in text, f"template syntax left in {path}"
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [str(RUFF), *command, "--no-cache", *map(str, projects)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"ruff {' '.join(command)}:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("framework", list(Framework), ids=lambda f: f.value)
def test_the_longest_allowed_names_stay_lint_clean(tmp_path, framework):
    """Package and project names at the length limit must not push lines past ruff's limit."""
    from scaffold.names import MAX_NAME_LENGTH, MAX_PACKAGE_LENGTH

    package = "p" * MAX_PACKAGE_LENGTH
    options = {
        **FIXED_ANSWERS,
        "package_name": package,
        "python_version": "3.11",
        "database": "sqlite",
    }
    options.update(docker=True, ci="github", license="MIT")
    name = "N" * MAX_NAME_LENGTH
    render(ProjectRequest(name=name, framework=framework, options=options), tmp_path / "long")
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [str(RUFF), *command, "--no-cache", str(tmp_path / "long")],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"ruff {' '.join(command)}:\n{result.stdout}{result.stderr}"


def python_relevant_combinations(framework: Framework) -> list[dict[str, object]]:
    """The options that change the Python code: database and accounts (the rest is config)."""
    return [
        {"database": database, "auth": auth}
        for database in databases(framework)
        for auth in auth_values(framework, database)
    ]


def dependencies(project: Path) -> list[str]:
    """The runtime and dev requirements a rendered project declares."""
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    return [*metadata["dependencies"], *metadata["optional-dependencies"]["dev"]]


@dataclass(frozen=True)
class InstalledCombinations:
    """Every Python-relevant combination of one framework, and a venv with all they need."""

    projects: list[tuple[dict[str, object], Path]]
    bin_dir: Path
    requirements: list[str]


@pytest.fixture(scope="module", params=FRAMEWORK_PARAMS)
def installed_combinations(request, tmp_path_factory) -> InstalledCombinations:
    """One venv holds what all the combinations need, so each is checked against
    the libraries it would install."""
    from generated import make_venv

    framework = request.param
    root = tmp_path_factory.mktemp(f"combinations-{framework.value}")
    projects = []
    for index, options in enumerate(python_relevant_combinations(framework)):
        answers = {**FIXED_ANSWERS, "python_version": "3.11", **options}
        destination = root / f"p{index}"
        render(ProjectRequest(name="svc", framework=framework, options=answers), destination)
        projects.append((options, destination))
    requirements = sorted({req for _, project in projects for req in dependencies(project)})
    return InstalledCombinations(projects, make_venv(root / "venv", *requirements), requirements)


@pytest.mark.e2e
def test_every_combination_is_clean_under_mypy(installed_combinations):
    """mypy --strict (the projects' own configuration) on the code of every combination."""
    failures = []
    for options, project in installed_combinations.projects:
        result = subprocess.run(
            [str(installed_combinations.bin_dir / "mypy"), "--no-incremental"],
            cwd=project,
            env={**os.environ, "PYTHONPATH": str(project)},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            failures.append(f"{options}:\n{result.stdout}{result.stderr}")
    assert not failures, "\n".join(failures)


#: Lists the importable top-level modules of each installed distribution.
MODULES_OF_DISTRIBUTIONS = """\
import json
from importlib.metadata import packages_distributions

modules = {}
for module, distributions in packages_distributions().items():
    for distribution in distributions:
        modules.setdefault(distribution, []).append(module)
print(json.dumps(modules))
"""


@pytest.mark.e2e
def test_no_package_name_may_shadow_a_module_the_project_imports(installed_combinations):
    """Every module of a library a project asks for is refused as its package name.

    A package named ``flask_login`` in a project that installs Flask-Login
    would hide the library from its own code. The libraries' dependencies
    change from release to release; the ones the projects name do not.
    """
    result = subprocess.run(
        [str(installed_combinations.bin_dir / "python"), "-c", MODULES_OF_DISTRIBUTIONS],
        capture_output=True,
        text=True,
        check=True,
    )
    by_distribution = {
        canonical(name): modules for name, modules in json.loads(result.stdout).items()
    }
    named = {canonical(Requirement(req).name) for req in installed_combinations.requirements}
    importable = {
        module
        for distribution in named
        for module in by_distribution.get(distribution, [])
        if module.isidentifier()
    }
    assert importable, by_distribution
    missing = sorted(importable - SHADOWED_MODULES)
    assert not missing, f"scaffold.names.SHADOWED_MODULES lacks {missing}"


def canonical(distribution: str) -> str:
    """A distribution's name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", distribution).lower()
