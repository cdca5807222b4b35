"""Hostile free text lands literally where it belongs and never breaks the generated project."""

from __future__ import annotations

import contextlib
import io
import json
import py_compile
import subprocess
import sys
import tomllib
import unicodedata

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generated import install_project, project_env, render_project, run_in
from helpers import FRAMEWORK_PARAMS, clean_env, run_scaffold, scaffold_command
from scaffold import options
from scaffold.answers import load_data_file
from scaffold.bounded import MAX_BYTES as MAX_DATA_FILE_BYTES
from scaffold.bounded import MAX_DEPTH as MAX_DATA_DEPTH
from scaffold.errors import DataFileError
from scaffold.frameworks import Framework
from scaffold.plan import ProjectPlan
from scaffold.project import render

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
    "😀",
    "é",
    "ß",
]
HOSTILE = (
    "He said \"hi\" \\ {{ x }} {% if %} ${HOME} $(touch pwned) `id` 'q' \u00a0 😀 Zoë " + "x" * 120
)
#: Every character a one-line field refuses: Unicode's control characters (Cc) and its
#: line (Zl) and paragraph (Zp) separators.
NOT_ONE_LINE = [
    chr(code)
    for code in range(sys.maxunicode + 1)
    if unicodedata.category(chr(code)) in ("Cc", "Zl", "Zp")
]

# One-line text with the fragments templates, shells and parsers care about.
free_text = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))),
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
    render(ProjectPlan(name="svc", framework=framework, options=resolved), project)

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


def test_the_refused_characters_are_exactly_cc_zl_and_zp():
    """The validators' character class is the three categories, no more, no less."""
    assert len(NOT_ONE_LINE) == 67  # 65 controls (C0, DEL, C1), U+2028, U+2029
    assert {"\t", "\n", "\r", "\x00", "\x1b", "\x7f", "\x85", "\x9f", "\u2028", "\u2029"} <= set(
        NOT_ONE_LINE
    )


@pytest.mark.parametrize("key", ["description", "author_name", "author_email"])
def test_every_line_break_and_control_character_is_refused_in_one_line_fields(key):
    questions = {
        option.key: options.question_for(option, {"project_name": "svc", "framework": "flask"})
        for option in options.load_options()
    }
    question = questions[key]
    accepted = "jane@example.com" if key == "author_email" else "Zoë \u00a0 😀 {{ x }}"
    assert question.parse(accepted) == accepted
    for char in NOT_ONE_LINE:
        text = f"jane{char}@example.com" if key == "author_email" else f"one{char}two"
        with pytest.raises(ValueError, match=r"one line|jane@example\.com"):
            question.parse(text)
    # The neighbours of the refused ranges stay allowed.
    for char in ("\x20", "\x7e", "\xa0", "\u2027", "\u202a"):
        if key != "author_email":
            assert question.parse(f"one{char}two") == f"one{char}two"


@pytest.mark.parametrize(
    "text", ["two\nlines", "tab\there", "bell\x07", "nul\x00", "esc\x1b[31m", "del\x7f",
             "nel\x85", "c1\x9b", "line\u2028sep", "para\u2029sep"],
)  # fmt: skip
def test_control_characters_in_one_line_answers_are_refused(workdir, text):
    # A data file, because a NUL cannot travel in a command-line argument.
    (workdir / "answers.json").write_text(json.dumps({"description": text, "author_name": text}))
    result = run_scaffold(["new", "svc", "-y", "--data-file", "answers.json"], workdir)
    assert result.returncode == 2
    assert "must be one line: no line breaks, tabs or other control characters" in result.stderr
    assert result.stderr.startswith("scaffold: error: 2 invalid answers:")
    assert len(result.stderr.splitlines()) == 1
    assert [path.name for path in workdir.iterdir()] == ["answers.json"]


@pytest.mark.parametrize(
    "args",
    [[b"svc", b"-d", b"description=caf\xe9"], [b"caf\xe9"]],
    ids=["description", "NAME"],
)
def test_bytes_that_are_not_utf8_are_refused_before_anything_runs(workdir, args):
    # A terminal set to Latin-1 sends "café" as b"caf\xe9"; Python keeps it as a surrogate.
    command = [*map(str.encode, scaffold_command()), b"new", *args, b"-y"]
    result = subprocess.run(command, cwd=workdir, env=clean_env(), capture_output=True, check=False)
    assert result.returncode == 2
    assert b"not valid UTF-8 text; set the terminal to UTF-8" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert list(workdir.iterdir()) == []


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


# Any text at all: controls, separators, lone surrogates (bytes that were not UTF-8), emoji.
any_text = st.text(st.characters(), max_size=30)


#: Valid values of the free-text fields, and NAME; each example makes one of them hostile.
VALID_TEXT = {
    "name": "svc",
    "description": "A service",
    "author_name": "Zoë",
    "author_email": "jane@example.com",
    "package_name": "svc_pkg",
}


def _hostile(valid: str) -> st.SearchStrategy[str]:
    """Random text alone, or around the valid value."""
    return st.one_of(any_text, st.tuples(any_text, any_text).map(lambda e: e[0] + valid + e[1]))


def run_main(args: list[str]) -> tuple[int, str]:
    """``scaffold ARGS`` in this process; its exit code and stderr (a traceback would raise)."""
    from scaffold import _cli

    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = _cli.main(args)
    return code, err.getvalue()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.sampled_from(sorted(VALID_TEXT)).flatmap(
        lambda hostile: st.fixed_dictionaries(
            {
                key: _hostile(valid) if key == hostile else st.just(valid)
                for key, valid in VALID_TEXT.items()
            }
        )
    ),
    free=st.fixed_dictionaries({"description": free_text, "author_name": free_text}),
    framework=st.sampled_from(list(Framework)),
)
def test_random_unicode_in_every_free_text_field_is_kept_literally_or_refused_in_one_line(
    tmp_path_factory, texts, free, framework
):
    name = texts.pop("name")
    # One-line text where the field is not the hostile one, to vary the valid values too.
    fields = {key: free[key] if value == VALID_TEXT.get(key) and key in free else value
              for key, value in texts.items()}  # fmt: skip
    work = tmp_path_factory.mktemp("unicode")
    # JSON carries every character, NUL and lone surrogates included (as \\u escapes).
    data_file = work / "answers.json"
    data_file.write_text(json.dumps(fields), encoding="ascii")
    out = work / "out"
    out.mkdir()
    args = ["new", name, "-y", "--no-git", "--framework", framework.value, "-o", str(out)]
    code, err = run_main([*args, "--data-file", str(data_file)])
    event(f"exit code {code}")
    if code == 0:
        (project,) = out.iterdir()
        assert project.name == name
        assert not [path for path in project.iterdir() if path.name.endswith(".partial")]
        answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
        for key, value in fields.items():
            assert answers[key] == value, key
        metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
        assert metadata["project"]["description"] == fields["description"]
    else:
        assert code == 2, err
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("scaffold: error: "), err
        assert list(out.iterdir()) == []


LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
description: [*g,*g,*g,*g,*g,*g,*g,*g,*g]
"""


def _limited_memory() -> None:
    """Run the child with 1 GiB of address space: an unbounded parse dies instead of swapping."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


HOSTILE_FILES = [
    ("laughs.yml", LAUGHS, "values once aliases are expanded"),
    ("deep.json", "[" * 100_000 + "]" * 100_000, "nested deeper than"),
    ("deep-object.json", '{"a":' * 40_000 + "1" + "}" * 40_000, "nested deeper than"),
    ("deep.yml", "description: " + "[" * 100_000, "nested deeper than"),
    ("deep-block.yml", "".join(f"{'  ' * i}k{i}:\n" for i in range(300)), "nested deeper"),
    ("huge.yml", "description: " + "x" * (MAX_DATA_FILE_BYTES + 1), "larger than 256 KiB"),
    ("long-number.json", '{"size": ' + "9" * 5000 + "}", "Exceeds the limit"),
    ("latin1.yml", "author_name: Zo\xeb\n", "not UTF-8 text"),
]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    # Named by file, not by content: pytest puts the id into every child process's
    # environment (PYTEST_CURRENT_TEST), and execve refuses one this large.
    [pytest.param(*case, id=case[0]) for case in HOSTILE_FILES],
)
def test_hostile_data_files_are_refused_in_one_line_with_bounded_memory(
    workdir, name, content, expected
):
    path = workdir / name
    path.write_bytes(content.encode("latin-1" if name.startswith("latin1") else "utf-8"))
    result = subprocess.run(
        [*scaffold_command(), "new", "svc", "-y", "--data-file", name],
        cwd=workdir, env=clean_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=60, preexec_fn=_limited_memory, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stderr.startswith(f"scaffold: error: --data-file {name}")
    assert expected in result.stderr and len(result.stderr.splitlines()) == 1
    assert sorted(p.name for p in workdir.iterdir()) == [name]


def _nest(value: object, kinds: list[str]) -> object:
    for kind in reversed(kinds):
        value = [value] if kind == "list" else {"k": value}
    return value


nested_answers = st.tuples(
    st.integers(0, 3 * MAX_DATA_DEPTH).flatmap(
        lambda depth: st.lists(st.sampled_from(["list", "dict"]), min_size=depth, max_size=depth)
    ),
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
    st.sampled_from(["size", "description", "colour"]),
).map(lambda parts: {parts[2]: _nest(parts[1], parts[0])})


def _laughs(levels: int, width: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join([*lines, f"description: *l{levels - 1}"]) + "\n"


@settings(max_examples=60, deadline=5000)
@given(
    document=st.one_of(
        nested_answers.map(lambda data: ("answers.json", json.dumps(data))),
        nested_answers.map(lambda data: ("answers.yml", yaml.safe_dump(data))),
        st.tuples(st.integers(1, 12), st.integers(1, 12)).map(
            lambda shape: ("answers.yml", _laughs(*shape))
        ),
        st.integers(-200, 200).map(
            lambda extra: (
                "answers.yml",
                "size: small\n#" + "x" * (MAX_DATA_FILE_BYTES - 13 + extra),
            )
        ),
    )
)
def test_data_files_of_any_shape_load_or_are_refused_in_one_line(tmp_path_factory, document):
    name, text = document
    path = tmp_path_factory.mktemp("data") / name
    path.write_text(text, encoding="utf-8")
    size = len(text.encode())
    try:
        data = load_data_file(path)
    except DataFileError as error:
        message = str(error)
        assert "\n" not in message and message.startswith(f"--data-file {path}")
        assert len(message) < 500
        event(message.split(": ", 1)[1].split(" ")[0])
        if "larger than" in message:
            assert size > MAX_DATA_FILE_BYTES
        elif "deeper than" not in message:
            assert "values once aliases are expanded" in message
    else:
        assert isinstance(data, dict) and size <= MAX_DATA_FILE_BYTES
        event("loaded")
    # The command reports the same file in one line, or takes it, never with a traceback.
    code, err = run_main(["recommend", "-y", "--json", "--data-file", str(path)])
    assert code in (0, 1, 2)
    if code:
        assert len(err.splitlines()) == 1 and err.startswith("scaffold: error: "), err[:2000]


def test_billion_laughs_bound_counts_every_alias_expansion(tmp_path):
    small, large = tmp_path / "small.yml", tmp_path / "large.yml"
    small.write_text(_laughs(3, 9))  # 9 * 9 * 9 = 729 values: fine
    large.write_text(_laughs(5, 9))  # 9 ** 5 = 59,049 values from a 200-byte file
    assert set(load_data_file(small)) == {"l0", "l1", "l2", "description"}
    with pytest.raises(DataFileError, match="values once aliases are expanded"):
        load_data_file(large)
