"""Every file scaffold reads goes through one bounded reader: bytes, values, depth, time, messages.

Each hostile file is refused in one short line, by every command that reads
that kind of file: ``new --data-file``, ``update`` and ``check-update`` (the
project's ``.copier-answers.yml``) and every command that reads the personal
config (``$SCAFFOLD_CONFIG``). Speed is measured against a normal read of a
valid file of the same size in the same process, never against a clock.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import clean_env, scaffold_command
from scaffold import bounded
from scaffold.bounded import MAX_BYTES, MAX_DEPTH, MAX_EXPANDED, excerpt
from scaffold.errors import DataFileError, ScaffoldError
from scaffold.user_config import load_user_config

DEEP = 5_000
#: The issue's case: a 20 KB string, repeated 9,000 times through aliases (a 56 KB file).
ALIASED = 's: &s "' + "x" * 20_000 + '"\nframework: flask\nl: [' + ", ".join(["*s"] * 9_000) + "]\n"
LAUGHS = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefg", "bcdefgh", strict=True)
)
#: (format, content, what the message says), each refused by every reader of its format.
HOSTILE: dict[str, tuple[bounded.Format, str, str]] = {
    "aliases-20kb-x9000.yml": ("yaml", ALIASED, "KiB of text once aliases are expanded"),
    "billion-laughs.yml": ("yaml", LAUGHS, "values once aliases are expanded"),
    "deep-flow.yml": ("yaml", "framework: " + "[" * DEEP + "]" * DEEP, "nested deeper than"),
    "deep-block.yml": ("yaml", "".join(f"{'  ' * i}k{i}:\n" for i in range(400)), "deeper"),
    "deep.json": ("json", "[" * DEEP + "]" * DEEP, "nested deeper than"),
    "quotes.json": ("json", '\\"' * (MAX_BYTES // 2 - 8), "Expecting value"),
    "open-quotes.json": ("json", '["' + '\\"' * (MAX_BYTES // 2 - 8), "Unterminated string"),
    "deep-array.toml": ("toml", "a = " + "[" * DEEP + "]" * DEEP, "nested deeper than"),
    "deep-table.toml": ("toml", "a = " + "{b = " * DEEP + "1" + "}" * DEEP, "nested deeper"),
    "dotted.toml": ("toml", "a" + ".a" * (MAX_BYTES // 2 - 8) + " = 1", "nested deeper than"),
    "header.toml": ("toml", "[a" + ".a" * DEEP + "]\n", "nested deeper than"),
    "big.yml": ("yaml", "framework: " + "x" * MAX_BYTES, "larger than 256 KiB"),
}
#: Valid files the readers take: brackets, quotes and dots inside strings and comments.
VALID: dict[str, tuple[bounded.Format, str]] = {
    "strings.toml": (
        "toml",
        "# [[[[ a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g\n"
        '"a.b".c = "x.y.z"\nf = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 1.1, 1.2, 1.3,'
        " 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8, 2.9, 3.1,"
        " 3.2, 3.3, 3.4, 3.5]\n"
        "[defaults]\n"
        f'd = """a "b" {"[" * 40} \\""""\n'
        f"e = '''{'{' * 40}'''\n"
        f"g = '{'[' * 40}\\'\n",
    ),
    "strings.json": ("json", '{"a": "' + "[{" * 40 + '\\\\", "b": ["\\"]]]"]}'),
}


def _write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def _cpu(action: Callable[[], object]) -> float:
    """The least CPU time of three runs of ``action`` (errors are what it is for)."""
    times = []
    for _ in range(3):
        start = time.process_time()
        with contextlib.suppress(ScaffoldError):
            action()
        times.append(time.process_time() - start)
    return min(times)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_are_refused_in_one_short_line(tmp_path, name):
    kind, content, expected = HOSTILE[name]
    path = _write(tmp_path, name, content)
    with pytest.raises(DataFileError) as refused:
        bounded.read_mapping(path, str(path), kind=kind)
    message = str(refused.value)
    assert expected in message and "\n" not in message
    assert message.startswith(str(path)) and len(message) < len(str(path)) + 250


#: A normal file near the size bound: 4,000 short lines of key and value (8,001 values).
NORMAL_LINE = "x" * 40
NORMAL = {
    "yaml": "".join(f"key_{i:05}: {NORMAL_LINE}\n" for i in range(4_000)),
    "json": "{" + ", ".join(f'"key_{i:05}": "{NORMAL_LINE}"' for i in range(4_000)) + "}",
    "toml": "".join(f'key_{i:05} = "{NORMAL_LINE}"\n' for i in range(4_000)),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_each_refusal_is_fast_next_to_reading_a_normal_file(tmp_path, name):
    kind, content, _expected = HOSTILE[name]
    hostile = _write(tmp_path, name, content)
    normal = _write(tmp_path, f"normal.{kind}", NORMAL[kind])
    assert len(bounded.read_mapping(normal, "normal", kind=kind)) == 4_000
    baseline = _cpu(lambda: bounded.read_mapping(normal, "normal", kind=kind))
    refusal = _cpu(lambda: bounded.read_mapping(hostile, "hostile", kind=kind))
    # A quadratic pass over 256 KiB takes minutes; every bound here stops within one read.
    assert refusal <= 2 * baseline, (refusal, baseline)


@pytest.mark.parametrize("name", VALID)
def test_brackets_quotes_and_dots_inside_strings_and_comments_are_not_nesting(tmp_path, name):
    kind, content = VALID[name]
    path = _write(tmp_path, name, content)
    data = bounded.read_mapping(path, name, kind=kind)
    assert data, data


def test_nesting_up_to_the_bound_is_read_and_one_more_level_refused(tmp_path):
    for kind, nest in (
        ("json", lambda depth: '{"k": ' + "[" * depth + "]" * depth + "}"),
        ("yaml", lambda depth: "k: " + "[" * depth + "]" * depth),
        ("toml", lambda depth: "k = " + "[" * depth + "]" * depth),
    ):
        # The mapping holding ``k`` is a level of its own in JSON and YAML, not in TOML.
        levels = MAX_DEPTH if kind == "toml" else MAX_DEPTH - 1
        fits = _write(tmp_path, f"fits.{kind}", nest(levels))
        assert "k" in bounded.read_mapping(fits, kind, kind=kind)  # type: ignore[arg-type]
        over = _write(tmp_path, f"over.{kind}", nest(levels + 1))
        with pytest.raises(DataFileError, match="nested deeper than"):
            bounded.read_mapping(over, kind, kind=kind)  # type: ignore[arg-type]


def test_aliases_may_repeat_text_up_to_the_bound(tmp_path):
    repeated = MAX_EXPANDED // 1000
    fits = 's: &s "' + "x" * 990 + '"\nl: [' + ", ".join(["*s"] * (repeated - 2)) + "]\n"
    assert len(bounded.read_mapping(_write(tmp_path, "fits.yml", fits), "fits")["l"]) > 200
    over = fits.replace("]\n", ", *s, *s, *s, *s]\n")
    with pytest.raises(DataFileError, match="KiB of text once aliases are expanded"):
        bounded.read_mapping(_write(tmp_path, "over.yml", over), "over")


def test_an_excerpt_is_short_and_says_how_long_the_text_was():
    assert excerpt("short") == "short"
    assert excerpt("x" * 200_000) == "x" * 60 + "... (200,000 characters)"


# ------------------------------------------------------------------- every command


def _scaffold(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*scaffold_command(), *args],
        cwd=cwd, env=clean_env(**env), stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("scaffold: error: ") and len(line) < 600, line[:2000]
    return line


@pytest.mark.parametrize(
    "name", [name for name, (kind, _c, _e) in HOSTILE.items() if kind == "yaml"]
)
def test_update_and_check_update_read_the_answers_file_within_the_bounds(tmp_path, name):
    _kind, content, expected = HOSTILE[name]
    project = tmp_path / "shop"
    project.mkdir()
    _write(project, ".copier-answers.yml", content)
    for command in (["update"], ["check-update"], ["update", "--from-version", "0.1.0"]):
        line = _one_line(_scaffold(command, project))
        assert ".copier-answers.yml" in line and expected in line
    assert sorted(path.name for path in project.iterdir()) == [".copier-answers.yml"]


@pytest.mark.parametrize(
    "name", ["/dev/zero", *(name for name, (kind, _c, _e) in HOSTILE.items() if kind == "toml")]
)
def test_the_personal_config_is_read_within_the_bounds(tmp_path, monkeypatch, name):
    if name.startswith("/"):
        path, expected = Path(name), "larger than 256 KiB"
    else:
        _kind, content, expected = HOSTILE[name]
        path = _write(tmp_path, name, content)
    monkeypatch.setenv("SCAFFOLD_CONFIG", str(path))
    with pytest.raises(ScaffoldError, match=expected):
        load_user_config()
    work = tmp_path / "work"
    work.mkdir()
    line = _one_line(_scaffold(["new", "shop", "-y"], work, SCAFFOLD_CONFIG=str(path)))
    assert f"{path}: " in line and expected in line and "SCAFFOLD_CONFIG= to ignore it" in line
    assert list(work.iterdir()) == []


def test_a_value_that_aliases_expand_is_refused_before_any_message_quotes_it(tmp_path):
    # The case: the alias expansion used to reach a validator that quoted all 180 MB.
    data = tmp_path / "answers.yml"
    data.write_text(ALIASED.replace("l: [", "description: ["))
    line = _one_line(_scaffold(["new", "shop", "-y", "--data-file", str(data)], tmp_path))
    assert "KiB of text once aliases are expanded" in line


def test_a_long_bad_value_is_quoted_as_a_short_excerpt(tmp_path):
    data = tmp_path / "answers.yml"
    data.write_text("license: " + "x" * 200_000 + "\n")
    result = _scaffold(["new", "shop", "-y", "--data-file", str(data)], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert "license=" + "x" * 60 + "... (200,000 characters) is not one of" in line
    assert len(line) < 300
