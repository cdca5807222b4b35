"""The combinations of project options of every framework render valid, lint-clean projects.

Each rendered project must compile, its TOML and YAML must parse, nothing of
the template language may be left over, and ruff (the version range the
generated projects pin) must find nothing. By default, for each framework and
database, a set of combinations in which every pair of option values occurs
(all-pairs, from allpairspy); the full product, about eight times as many
renders, is marked ``full_matrix`` and left to CI (``pytest -m full_matrix``).
The end-to-end tests at the end install what the combinations of each
framework need, once, for mypy and for the names a package may not take.
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
from allpairspy import AllPairs
from packaging.requirements import Requirement

from helpers import FRAMEWORK_PARAMS
from scaffold.dependencies import dependency_names
from scaffold.frameworks import Framework
from scaffold.names import SHADOWED_MODULES
from scaffold.options import load_options, templates_root
from scaffold.plan import ProjectPlan
from scaffold.project import render

RUFF = Path(sys.executable).parent / "ruff"
ROOT = Path(__file__).resolve().parent.parent
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


#: Options varied against each other, for one framework and database.
VARIED = ("docker", "ci", "license", "python_version", "auth")
Space = dict[str, list[object]]
Combination = dict[str, object]


def option_space(framework: Framework, database: object) -> Space:
    """The values each varied option can take in a project of this framework and database."""
    space = {key: option_values(key) for key in VARIED}
    space["auth"] = auth_values(framework, database)
    return space


def every_combination(space: Space) -> list[Combination]:
    """The full product of the option values."""
    return [dict(zip(space, values, strict=True)) for values in itertools.product(*space.values())]


def all_pairs(space: Space) -> list[Combination]:
    """Combinations in which each value of each option meets each value of every other."""
    return [dict(zip(space, values, strict=True)) for values in AllPairs(list(space.values()))]


def value_pairs(combinations: list[Combination]) -> set[tuple[str, object, str, object]]:
    """Every pair of (option, value) that occurs together in one of ``combinations``."""
    return {
        (first, combination[first], second, combination[second])
        for combination in combinations
        for first, second in itertools.combinations(combination, 2)
    }


def render_all(
    framework: Framework, database: object, combinations: list[Combination], root: Path
) -> list[Path]:
    """Render each combination of the varied options for one framework and database."""
    projects = []
    for index, combination in enumerate(combinations):
        options = {**FIXED_ANSWERS, "database": database, **combination}
        destination = root / f"p{index}"
        render(ProjectPlan(name="svc", framework=framework, options=options), destination)
        projects.append(destination)
    return projects


def rendered_from_jinja(project: Path, framework: Framework) -> list[Path]:
    """Files of ``project`` that copier rendered through Jinja (their template ends in .jinja)."""
    source = templates_root() / framework.value
    rendered_names = {path.name.removesuffix(".jinja") for path in source.rglob("*.jinja")}
    return [path for path in project.rglob("*") if path.is_file() and path.name in rendered_names]


def check_projects(projects: list[Path], framework: Framework, scratch: Path) -> None:
    """Each project compiles, parses and lints clean, with no template syntax left over."""
    for project in projects:
        for path in project.rglob("*.py"):
            py_compile.compile(str(path), doraise=True, cfile=str(scratch / "compiled.pyc"))
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


CASE_IDS = [f"{framework.value}-{database}" for framework, database in CASES]


@pytest.mark.parametrize(("framework", "database"), CASES, ids=CASE_IDS)
def test_every_pair_of_option_values_is_valid(tmp_path, framework, database):
    combinations = all_pairs(option_space(framework, database))
    full = every_combination(option_space(framework, database))
    assert value_pairs(combinations) == value_pairs(full)  # every pair, and nothing impossible
    assert len(combinations) <= len(full) / 4  # what keeps the default run fast
    check_projects(render_all(framework, database, combinations, tmp_path), framework, tmp_path)


@pytest.mark.full_matrix
@pytest.mark.parametrize(("framework", "database"), CASES, ids=CASE_IDS)
def test_every_option_combination_is_valid(tmp_path, framework, database):
    combinations = every_combination(option_space(framework, database))
    check_projects(render_all(framework, database, combinations, tmp_path), framework, tmp_path)


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
    render(ProjectPlan(name=name, framework=framework, options=options), tmp_path / "long")
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

    framework: Framework
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
        render(ProjectPlan(name="svc", framework=framework, options=answers), destination)
        projects.append((options, destination))
    requirements = sorted({req for _, project in projects for req in dependencies(project)})
    bin_dir = make_venv(root / "venv", *requirements)
    return InstalledCombinations(framework, projects, bin_dir, requirements)


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


#: The options that change only configuration files, fixed for the combinations above.
CONFIGURATION = {
    "python_version": "3.11",
    "postgres_version": "17",
    "docker": True,
    "ci": "github",
    "license": "MIT",
}

#: Lists the distributions installed in an environment.
INSTALLED_DISTRIBUTIONS = """\
import json
from importlib.metadata import distributions

print(json.dumps(sorted({distribution.metadata["Name"] for distribution in distributions()})))
"""


@pytest.mark.e2e
def test_nothing_a_project_installs_is_accepted_as_its_name(installed_combinations):
    """Every distribution the resolver installs for the projects, dependencies of dependencies
    included, is a name scaffold refuses (uv cannot lock a project named after one)."""
    result = subprocess.run(
        [str(installed_combinations.bin_dir / "python"), "-c", INSTALLED_DISTRIBUTIONS],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {canonical(name) for name in json.loads(result.stdout)} - {"pip", "setuptools"}
    refused = {
        name
        for options, _project in installed_combinations.projects
        for name in dependency_names(
            installed_combinations.framework.value,
            {**FIXED_ANSWERS, **CONFIGURATION, **options},
        )
    }
    assert len(installed) > len(installed_combinations.requirements)
    missing = sorted(installed - refused)
    assert not missing, f"accepted as names: {missing}; run: python tools/dependency_closure.py"


def test_every_requirement_the_templates_render_has_its_dependencies_resolved():
    """The resolved dependencies cover every requirement of every option combination."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "dependency_closure.py"), "--missing"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    listed = json.loads((ROOT / "scaffold" / "dependency_closure.json").read_text())
    assert (
        "pyyaml"
        in listed["requirements"][
            next(entry for entry in listed["requirements"] if entry.startswith("uvicorn[standard]"))
        ]
    )


def canonical(distribution: str) -> str:
    """A distribution's name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", distribution).lower()
