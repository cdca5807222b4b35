"""Hostile free text lands literally where it belongs and never breaks the generated project."""

from __future__ import annotations

import json
import py_compile
import tomllib

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FRAMEWORK_PARAMS, run_scaffold
from generated import install_project, project_env, render_project, run_in
from scaffold import options
from scaffold.frameworks import Framework
from scaffold.project import ProjectRequest, render

FRAGMENTS = [
    "{{ x }}",
    "{% if %}",
    "{#",
    "${HOME}",
    "$(id)",
    "`id`",
    '"',
    "'",
    "\\",
    "\\n",
    "\t",
    "😀",
    "é",
    "ß",
]
HOSTILE = (
    "He said \"hi\" \\ {{ x }} {% if %} ${HOME} $(touch pwned) `id` 'q' \t 😀 Zoë " + "x" * 120
)

# Printable text (tabs allowed) with the fragments templates, shells and parsers care about.
free_text = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(
            st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029")
        ),
    ),
    max_size=12,
).map("".join)


def option_choices(key: str) -> list[object]:
    (option,) = (option for option in options.load_options() if option.key == key)
    return [True, False] if option.type == "bool" else [value for _l, value, _v in option.choices]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    framework=st.sampled_from(list(Framework)),
    description=free_text.filter(lambda text: len(text) <= 1000),
    author=free_text.filter(lambda text: len(text) <= 200),
    choices=st.fixed_dictionaries(
        {
            key: st.sampled_from(option_choices(key))
            for key in ("docker", "ci", "license", "python_version")
        }
    ),
    database=st.sampled_from(option_choices("database")),
    auth=st.booleans(),
)
def test_random_answers_and_hostile_text_render_valid_literal_projects(
    tmp_path_factory, framework, description, author, choices, database, auth
):
    if framework == Framework.DJANGO and database == "none":
        database = "sqlite"
    given_answers = {
        "description": description,
        "author_name": author,
        "database": database,
        **choices,
    }
    if framework != Framework.DJANGO and database != "none":
        given_answers["auth"] = auth
    checked = options.check_given("svc", given_answers)
    resolved = options.resolve(framework.value, "svc", checked)
    project = tmp_path_factory.mktemp("hostile") / "svc"
    render(ProjectRequest(name="svc", framework=framework, options=resolved), project)

    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert metadata["description"] == description
    if author:
        assert metadata["authors"][0]["name"] == author
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["description"] == description and answers["author_name"] == author
    assert description in (project / "README.md").read_text(encoding="utf-8")
    if author and choices["license"] in ("MIT", "BSD-3-Clause"):  # the licences that name a holder
        assert author in (project / "LICENSE").read_text(encoding="utf-8")
    for path in project.rglob("*.py"):
        py_compile.compile(str(path), doraise=True, cfile=str(path) + "c")
        if len(description) > 8:
            assert description not in path.read_text(encoding="utf-8"), path
    for path in [*project.rglob("*.yml"), *project.rglob("*.toml")]:
        text = path.read_text(encoding="utf-8")
        yaml.safe_load(text) if path.suffix == ".yml" else tomllib.loads(text)


@pytest.mark.parametrize("text", ["two\nlines", "bell\x07", "nul\x00", "esc\x1b[31m", "del\x7f"])
def test_control_characters_in_one_line_answers_are_refused(workdir, text):
    # A data file, because a NUL cannot travel in a command-line argument.
    (workdir / "answers.json").write_text(json.dumps({"description": text, "author_name": text}))
    result = run_scaffold(["new", "svc", "-y", "--data-file", "answers.json"], workdir)
    assert result.returncode == 2
    assert "single line without control characters" in result.stderr
    assert result.stderr.startswith("scaffold: error: 2 invalid answers:")
    assert [path.name for path in workdir.iterdir()] == ["answers.json"]


def test_overlong_description_is_refused(workdir):
    result = run_scaffold(["new", "svc", "-y", "-d", "description=" + "x" * 1001], workdir)
    assert result.returncode == 2 and "under 1000 characters" in result.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("framework", FRAMEWORK_PARAMS)
def test_hostile_text_project_passes_its_own_tests(tmp_path, framework):
    project = render_project(
        tmp_path, framework, "-d", f"description={HOSTILE}", "-d", f"author_name={HOSTILE[:150]}"
    )
    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert metadata["description"] == HOSTILE
    bin_dir = install_project(project)
    run_in(project, "pytest -q -p no:cacheprovider", project_env(bin_dir))
    assert not (tmp_path / "pwned").exists() and not (project / "pwned").exists()
