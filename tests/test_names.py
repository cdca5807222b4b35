"""Project and package name rules: every refusal explains itself, good names pass."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from generated import render_project
from helpers import run_scaffold
from scaffold import options
from scaffold.errors import UsageError
from scaffold.frameworks import Framework
from scaffold.install import find_uv
from scaffold.names import (
    MAX_NAME_LENGTH,
    MAX_PACKAGE_LENGTH,
    SHADOWED_MODULES,
    package_problem,
    project_name_problem,
)


@pytest.mark.parametrize(
    ("name", "expected", "suggestion"),
    [
        ("", "empty", None),
        ("1abc", "not a valid package name", "app_1abc"),
        ("héllo", "not a valid package name", "hello"),
        ("\ufb01le", "not a valid package name", "file"),  # the "fi" ligature
        ("shop\n", "not a valid package name", "shop"),
        ("Foo", "not a valid package name", "foo"),
        ("class", "Python keyword", "class_app"),
        ("None", "Python keyword", "none"),
        ("async", "Python keyword", "async_app"),
        ("match", "Python keyword", "match_app"),
        ("type", "Python keyword", "type_app"),
        ("os", "shadow", "os_app"),
        ("json", "shadow", "json_app"),
        ("test", "shadow", "test_app"),
        ("tests", "shadow", "tests_app"),
        ("django", "shadow", "django_app"),
        ("flask", "shadow", "flask_app"),
        ("fastapi", "shadow", "fastapi_app"),
        ("starlette", "shadow", "starlette_app"),
        ("pydantic", "shadow", "pydantic_app"),
        ("uvicorn", "shadow", "uvicorn_app"),
        ("gunicorn", "shadow", "gunicorn_app"),
        ("sqlalchemy", "shadow", "sqlalchemy_app"),
        ("jinja2", "shadow", "jinja2_app"),
        ("werkzeug", "shadow", "werkzeug_app"),
        ("a" * (MAX_PACKAGE_LENGTH + 1), "characters long", None),
    ],
)
def test_bad_package_names_are_refused_with_a_suggestion(name, expected, suggestion):
    problem = package_problem(name)
    assert problem is not None and expected in problem
    if suggestion:
        assert f"try '{suggestion}'" in problem
        assert package_problem(suggestion) is None


@pytest.mark.parametrize("name", ["shop", "my_blog", "api2", "_private", "a" * MAX_PACKAGE_LENGTH])
def test_good_package_names_pass(name):
    assert package_problem(name) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("a/b", "is a path"),
        ("a\\b", "is a path"),
        ("..", "is a path"),
        ("/abs/olute", "is a path"),
        ("a\x00b", "control characters"),
        ("a\nb", "control characters"),
        ("-rf", "starts with '-'"),
        ("con", "reserved device name"),
        ("AUX", "reserved device name"),
        ("nul.txt", "reserved device name"),
        ("com1", "reserved device name"),
        ("lpt9", "reserved device name"),
        ("com0", "reserved device name"),
        ("com\u00b9", "reserved device name"),  # Windows reads superscript digits as digits
        ("LPT\u00b3.log", "reserved device name"),
        ("aux.txt", "reserved device name"),
        ("None", "Python keyword"),
        ("True", "Python keyword"),
        ("a\u2028b", "control characters or line breaks"),
        ("a\x85b", "control characters or line breaks"),
        ("a\udcffb", "not valid UTF-8"),
        ("name.", "ends with a dot or a space"),
        ("name ", "ends with a dot or a space"),
        ("a<b", "Windows does not allow"),
        ("a:b", "Windows does not allow"),
        ('a"b', "Windows does not allow"),
        ("a|b", "Windows does not allow"),
        ("a?b", "Windows does not allow"),
        ("a*b", "Windows does not allow"),
        ("x" * (MAX_NAME_LENGTH + 1), "characters long"),
    ],
)
def test_bad_project_names_are_refused(name, expected):
    problem = project_name_problem(name)
    assert problem is not None and expected in problem


@pytest.mark.parametrize(
    "name", ["shop", "my-blog", "My Blog", "api.v2", "console", "auxiliary", "n" * MAX_NAME_LENGTH]
)
def test_good_project_names_pass(name):
    assert project_name_problem(name) is None


def test_the_shadow_list_covers_the_standard_library_and_the_frameworks():
    assert {"os", "sys", "asyncio", "email", "django", "flask", "fastapi"} <= SHADOWED_MODULES


def _suggestion(message: str) -> str | None:
    found = re.search(r"; try '([^']*)'$", message)
    return found.group(1) if found else None


def _name_refusal(name: str) -> str | None:
    try:
        options.check_name(name, derive_package=True)
    except UsageError as error:
        return str(error)
    return None


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("aux.txt", "aux_txt"),  # not 'aux.txt-app', still a device name
        ("com\u00b9", "com1_app"),  # not 'com1', a device name too
        ("None", "None_app"),
        ("class", "class_app"),
        ("-rf", "rf"),
        ("aux.", "aux_app"),
        ("café", "cafe"),
        ("1abc", "app_1abc"),
        ("a:b", "a-b"),
    ],
)
def test_a_refused_name_suggests_one_that_passes_every_rule(name, suggestion):
    message = _name_refusal(name)
    assert message is not None and _suggestion(message) == suggestion, message
    assert _name_refusal(suggestion) is None


def test_a_path_suggests_output_dir_instead_of_a_name():
    message = _name_refusal("projects/shop")
    assert message is not None and "scaffold new shop -o projects" in message
    assert _suggestion(message) is None


names_worth_trying = st.one_of(
    st.text(max_size=12),
    st.text(st.sampled_from("aAzZ09 ._-:/\\\u00b9\u00e9\ufb01\u2028\x00$"), max_size=12),
    st.sampled_from([*sorted(SHADOWED_MODULES)[:40], "con", "aux", "nul", "com1", "lpt9", "None"]),
).flatmap(lambda base: st.sampled_from([base, base.upper(), f"{base}.txt", f"-{base}", f"{base}."]))


@settings(max_examples=300, deadline=None)
@given(name=names_worth_trying)
def test_every_suggested_name_passes_the_rules_it_is_suggested_for(name):
    message = _name_refusal(name)
    if message is not None and (suggestion := _suggestion(message)) is not None:
        assert _name_refusal(suggestion) is None, (name, message)


@settings(max_examples=300, deadline=None)
@given(name=names_worth_trying)
def test_every_suggested_package_name_passes_the_package_rules(name):
    (option,) = (o for o in options.load_options() if o.key == "package_name")
    question = options.question_for(option, {"project_name": "svc"})
    problem = package_problem(name)
    if problem is not None and (suggestion := _suggestion(problem)) is not None:
        assert package_problem(suggestion) is None, (name, problem)
        assert question.parse(suggestion) == suggestion  # the template's own rule agrees


# ----------------------------------------------------- names that cannot install


#: Option sets whose rendered pyproject.toml lists different dependencies.
OPTION_SETS = [
    pytest.param(framework, given, id=f"{framework.value}-{'-'.join(given.values()) or 'defaults'}")
    for framework in Framework
    for given in (
        {},
        {"database": "postgresql"},
        *([{"auth": "yes"}, {"database": "none"}] if framework is not Framework.DJANGO else []),
    )
]


def _refusal(framework: Framework, name: str, given: dict[str, str]) -> str | None:
    """Why ``scaffold new NAME`` with these options is refused, or None when it is not."""
    try:
        parsed = options.check_given(name, given)
        options.resolve(framework.value, name, parsed)
    except UsageError as error:
        return str(error)
    return None


def _requirements(project: Path) -> list[str]:
    """Every distribution the generated project's pyproject.toml names, as written there."""
    metadata = tomllib.loads((project / "pyproject.toml").read_text())
    listed = [
        *metadata["build-system"]["requires"],
        *metadata["project"]["dependencies"],
        *(
            entry
            for group in metadata["project"]["optional-dependencies"].values()
            for entry in group
        ),
    ]
    return [Requirement(entry).name for entry in listed]


@pytest.mark.parametrize(("framework", "given"), OPTION_SETS)
def test_no_dependency_of_the_generated_project_is_accepted_as_its_name(tmp_path, framework, given):
    extra = [argument for key, value in given.items() for argument in ("-d", f"{key}={value}")]
    project = render_project(tmp_path, framework, *extra)
    requirements = _requirements(project)
    assert len(requirements) >= 8
    for name in requirements:
        problem = _refusal(framework, name, given)
        assert problem is not None, f"{name} is accepted as the NAME of a {framework} project"
        suggestion = re.search(r"try '([^']+)'$", problem)
        assert suggestion, problem
        assert _refusal(framework, suggestion[1], given) is None, (name, suggestion[1])


@pytest.mark.parametrize(
    ("name", "framework", "extra"),
    [
        ("django-axes", "django", []),
        ("Django_Axes", "django", []),
        ("python-dotenv", "django", []),
        ("python-dotenv", "flask", []),
        ("dj-database-url", "django", []),
        ("pyjwt", "fastapi", ["-d", "auth=yes"]),
        ("PyJWT", "fastapi", ["-d", "auth=yes"]),
        ("pydantic-settings", "fastapi", []),
        ("uvicorn-worker", "fastapi", []),
        ("flask-migrate", "flask", []),
        ("hatchling", "flask", []),
        # Dependencies of dependencies: uv refuses to lock a project named after one too.
        ("PyYAML", "fastapi", []),
        ("typing-inspection", "fastapi", []),
        ("packaging", "flask", []),
        ("asgiref", "django", []),
        ("itsdangerous", "flask", []),
        ("argon2-cffi", "fastapi", ["-d", "auth=yes"]),
    ],
)
def test_a_name_the_project_installs_is_refused_and_the_suggestion_renders(
    tmp_path, name, framework, extra
):
    result = run_scaffold(
        ["new", name, "-y", "--framework", framework, "--no-git", *extra], tmp_path
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("scaffold: error: ") and "Traceback" not in result.stderr
    suggestion = re.search(r"try '([^']+)'$", line)
    assert suggestion, line
    assert list(tmp_path.iterdir()) == []
    project = render_project(tmp_path, Framework(framework), *extra, name=suggestion[1])
    assert distribution_of_project(project) not in {
        canonicalize_name(requirement) for requirement in _requirements(project)
    }


@pytest.mark.e2e
def test_uv_locks_the_suggestion_for_a_dependency_of_a_dependency(tmp_path):
    """PyYAML comes with uvicorn[standard]: uv cannot lock a FastAPI project of that name,
    and locks the one scaffold suggests instead."""
    uv = find_uv()
    assert uv, "uv is a test dependency"
    refused = run_scaffold(["new", "PyYAML", "-y", "--framework", "fastapi", "--no-git"], tmp_path)
    suggestion = re.search(r"try '([^']+)'$", refused.stderr.strip())
    assert refused.returncode == 2 and suggestion, refused.stderr
    suggested = render_project(tmp_path, Framework.FASTAPI, name=suggestion[1])
    # The same project under the refused distribution name, as scaffold would have made it.
    forced = tmp_path / "forced"
    shutil.copytree(suggested, forced)
    pyproject = forced / "pyproject.toml"
    own_name = f'name = "{distribution_of_project(suggested)}"'
    assert own_name in pyproject.read_text()
    pyproject.write_text(pyproject.read_text().replace(own_name, 'name = "pyyaml"', 1))

    def lock(project: Path) -> subprocess.CompletedProcess[str]:
        command = [str(uv), "lock", "--quiet", "--python", sys.executable]
        return subprocess.run(
            command, cwd=project, capture_output=True, text=True, check=False, timeout=600
        )

    assert lock(suggested).returncode == 0
    failed = lock(forced)
    assert failed.returncode != 0 and "pyyaml" in failed.stderr.lower(), failed.stderr


def test_a_package_name_given_directly_gets_a_package_suggestion():
    problem = _refusal(Framework.DJANGO, "shop", {"package_name": "django_axes"})
    assert problem is not None and "'django-axes', which the django project installs" in problem
    assert problem.endswith("try 'django_axes_app'")
    assert _refusal(Framework.DJANGO, "shop", {"package_name": "django_axes_app"}) is None


def distribution_of_project(project: Path) -> str:
    return canonicalize_name(
        tomllib.loads((project / "pyproject.toml").read_text())["project"]["name"]
    )
