"""Same answers, same project, whatever the door: a ``scaffold serve`` archive against ``new``.

The answer sets are generated (criteria, options, with and without a framework
override), each rendered by the real server over loopback and by the real CLI;
the archive must hold exactly the files ``scaffold new --no-git`` writes, byte
for byte, decision record and answers files included, ``.env`` left out.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from helpers import run_scaffold
from scaffold.criteria import CRITERIA
from scaffold.errors import InvalidAnswersError
from scaffold.frameworks import Framework
from scaffold.options import load_options
from scaffold.plan import build_plan
from webserver import query, serving

pytestmark = pytest.mark.xdist_group("web-api")

#: Options worth varying (the free-text ones are covered by the API tests).
VARIED = ("database", "auth", "docker", "ci", "license", "python_version")


def _values(key: str) -> list[object]:
    (option,) = (option for option in load_options() if option.key == key)
    if option.type == "bool":
        return ["yes", "no"]
    return [value for _label, value, _rule in option.choices]


def answer_sets(count: int, seed: int = 18) -> list[dict[str, str]]:
    """``count`` valid answer sets, each a different mix of criteria, options and override."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible sample, no secret)
    found: list[dict[str, str]] = [{}]  # no answers at all: the plain /starter.zip
    while len(found) < count:
        # In turn: criteria alone, a framework alone, a framework over criteria.
        shape = len(found) % 3
        answers = {}
        if shape != 1:
            answers = {q.key: str(rng.choice(q.values)) for q in CRITERIA if rng.random() < 0.5}
        answers |= {key: str(rng.choice(_values(key))) for key in VARIED if rng.random() < 0.4}
        if shape != 0:
            answers["framework"] = rng.choice(list(Framework)).value
        try:
            build_plan("shop", answers)
        except InvalidAnswersError:
            continue  # e.g. auth for Django, or no database for a recommended Django
        if answers not in found:
            found.append(answers)
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("doors")) as running:
        yield running


def cli_files(parent: Path, answers: dict[str, str]) -> dict[str, bytes]:
    given = dict(answers)
    framework = given.pop("framework", None)
    args = ["new", "shop", "-y", "--no-git", *(["--framework", framework] if framework else [])]
    args += [argument for key, value in given.items() for argument in ("-d", f"{key}={value}")]
    result = run_scaffold(args, parent)
    assert result.returncode == 0, result.stderr
    project = parent / "shop"
    return {
        f"shop/{path.relative_to(project).as_posix()}": path.read_bytes()
        for path in project.rglob("*")
        if path.is_file()
    }


def test_the_answer_sets_cover_criteria_options_and_overrides():
    sets = answer_sets(8)
    assert any("framework" in answers for answers in sets)
    assert any("framework" not in answers and len(answers) > 2 for answers in sets)
    overridden = [build_plan("shop", answers).how.value for answers in sets]
    assert {"recommended", "direct", "overridden"} <= set(overridden), overridden


@pytest.mark.parametrize("answers", answer_sets(8), ids=lambda answers: query(**answers) or "none")
def test_a_download_holds_exactly_what_new_writes(server, tmp_path, answers):
    response = server.get(f"/starter.zip?{query(name='shop', **answers)}")
    assert response.status == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        downloaded = {
            info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()
        }
    written = cli_files(tmp_path, answers)
    assert written.pop("shop/.env")
    assert sorted(downloaded) == sorted(written)
    for name, content in written.items():
        assert downloaded[name] == content, name
