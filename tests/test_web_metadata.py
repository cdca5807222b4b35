"""``/api/metadata?name=...`` refuses what ``scaffold new NAME`` refuses, with the same message.

(The message in HTTP's words: ``name`` for NAME.)
"""

from __future__ import annotations

import pytest

from helpers import run_scaffold
from scaffold import names, options
from scaffold.web.metadata import metadata
from scaffold.web.selection import http_words
from webserver import query, serving

pytestmark = pytest.mark.xdist_group("web-api")

REFUSED = ["../..", "..", "/etc", "a/b", "class", "1abc", "con", "x" * 51, "os"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("metadata"), workers=1) as running:
        yield running


@pytest.mark.parametrize("name", REFUSED)
def test_a_name_the_cli_refuses_gets_400_with_the_cli_message(server, workdir, name):
    response = server.get(f"/api/metadata?{query(name=name)}")
    assert response.status == 400, response.body
    body = response.json()
    cli = run_scaffold(["new", name, "-y", "--no-git", "--pretend"], workdir)
    assert cli.returncode == 2
    # The same message, in HTTP's words (test_web_forms.py checks there are no CLI words).
    assert body["problems"] == [http_words(cli.stderr.strip().removeprefix("scaffold: error: "))]
    assert body["errors"] == [{"field": "name", "message": body["problems"][0]}]


@pytest.mark.parametrize("name", ["My-Shop", "shop", "a.b c", "Z" * 30])
def test_every_default_answered_for_an_accepted_name_is_valid(server, name):
    response = server.get(f"/api/metadata?{query(name=name)}")
    assert response.status == 200
    packages = {
        default
        for option in response.json()["options"]
        if option["key"] == "package_name"
        for default in option["default"].values()
    }
    assert packages and all(names.package_problem(package) is None for package in packages)
    assert response.json() == metadata(name)
    options.check_name(name, derive_package=True)
