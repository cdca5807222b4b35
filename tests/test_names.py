"""Project and package name rules: every refusal explains itself, good names pass."""

from __future__ import annotations

import pytest

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
        ("None", "Python keyword", "none_app"),
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
