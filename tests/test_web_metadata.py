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


def _answers_in_zip(server, name: str) -> dict:
    import io
    import zipfile

    import yaml

    response = server.get(f"/starter.zip?{query(name=name)}")
    assert response.status == 200, response.body
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        return yaml.safe_load(archive.read(f"{name}/.copier-answers.yml"))


def test_git_and_the_personal_defaults_are_read_once_as_the_server_starts(tmp_path):
    from helpers import clean_env
    from webserver import start_server

    home = tmp_path / "home"
    home.mkdir()
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n")
    config = tmp_path / "scaffold.toml"
    config.write_text('[defaults]\nlicense = "Apache-2.0"\n')
    env = clean_env(
        HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), SCAFFOLD_CONFIG=str(config),
        TMPDIR=str(tmp_path / "tmp"), GIT_CONFIG_GLOBAL=None, GIT_CONFIG_NOSYSTEM="1",
    )  # fmt: skip
    server = start_server(tmp_path / "tmp", "--workers", "1", env=env)
    try:
        server.wait_ready(1)
        before = _answers_in_zip(server, "first")
        gitconfig.write_text("[user]\n\tname = Grace Hopper\n\temail = grace@example.com\n")
        config.write_text('[defaults]\nlicense = "MIT"\n')
        after = _answers_in_zip(server, "second")  # another name: not an archive kept before
    finally:
        server.stop()
    for answers in (before, after):
        assert (answers["author_name"], answers["author_email"], answers["license"]) == (
            "Ada Lovelace", "ada@example.com", "Apache-2.0",
        )  # fmt: skip
    # A broken personal defaults file stops the server before it listens, in one line.
    config.write_text('[defaults]\nlicence = "MIT"\n')
    broken = start_server(tmp_path / "tmp2", env={**env, "TMPDIR": str(tmp_path / "tmp2")})
    assert broken.process.wait(timeout=60) == 1
    (line,) = broken.output().strip().splitlines()
    assert line.startswith(f"scaffold: error: {config}: ") and "license" in line, line
