"""Personal defaults: ~/.config/scaffold/config.toml (or $SCAFFOLD_CONFIG) feeds the defaults."""

from __future__ import annotations

import argparse
import os

import pytest
import yaml

from helpers import clean_env, run_scaffold

CONFIG = """\
[defaults]
author_name = "Jane Doe"
author_email = "jane@example.com"
license = "Apache-2.0"
ci = "gitlab"
database = "postgresql"
installer = "pip"
"""


@pytest.fixture
def config(tmp_path):
    """Write a personal defaults file; return the environment that points at it."""
    path = tmp_path / "scaffold.toml"

    def write(text: str = CONFIG) -> dict[str, str]:
        path.write_text(text)
        return clean_env(SCAFFOLD_CONFIG=str(path))

    write.path = path
    return write


def _answers(project):
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def test_personal_defaults_become_the_defaults(workdir, config):
    result = run_scaffold(["new", "shop", "-y", "--no-git"], workdir, env=config())
    assert result.returncode == 0, result.stderr
    answers = _answers(workdir / "shop")
    assert answers["author_name"] == "Jane Doe"
    assert answers["author_email"] == "jane@example.com"
    assert answers["license"] == "Apache-2.0"
    assert answers["ci"] == "gitlab"
    assert answers["database"] == "postgresql"
    assert (workdir / "shop" / ".gitlab-ci.yml").exists()
    assert "docker run -d --name shop-db" in result.stdout  # how to start the database


def _resolve(monkeypatch, env, framework="flask", given=None):
    """The options scaffold would render with, under ``env``: the real code path, no render."""
    from scaffold import options

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in set(os.environ) - set(env):
        monkeypatch.delenv(key)
    return options.resolve(framework, "shop", options.check_given("shop", given or {}))


def test_data_wins_over_personal_defaults(config, monkeypatch):
    resolved = _resolve(monkeypatch, config(), given={"license": "MIT", "database": "sqlite"})
    assert (resolved["license"], resolved["database"]) == ("MIT", "sqlite")
    assert resolved["author_name"] == "Jane Doe"


def test_personal_defaults_win_over_git_identity(config, monkeypatch, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Grace Hopper\n\temail = g@example.com\n")
    env = {**config('[defaults]\nauthor_name = "Jane Doe"\n'), "HOME": str(home)}
    resolved = _resolve(monkeypatch, {**env, "GIT_CONFIG_NOSYSTEM": "1"})
    assert resolved["author_name"] == "Jane Doe"
    assert resolved["author_email"] == "g@example.com"  # git still fills what the file leaves out


def test_a_default_the_framework_rules_out_gives_way(config, monkeypatch):
    """database = "none" suits Flask APIs; a Django project falls back to the template's default."""
    env = config('[defaults]\ndatabase = "none"\n')
    assert _resolve(monkeypatch, env, framework="django")["database"] == "sqlite"
    assert _resolve(monkeypatch, env, framework="flask")["database"] == "none"


@pytest.mark.parametrize("place", ["xdg", "home"])
def test_the_file_is_found_in_the_usual_place(tmp_path, monkeypatch, place):
    home = tmp_path / "home"
    base = tmp_path / "xdg" if place == "xdg" else home / ".config"
    (base / "scaffold").mkdir(parents=True)
    (base / "scaffold" / "config.toml").write_text('[defaults]\nlicense = "BSD-3-Clause"\n')
    env = clean_env(SCAFFOLD_CONFIG=None, HOME=str(home), XDG_CONFIG_HOME=None)
    if place == "xdg":
        env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    assert _resolve(monkeypatch, env)["license"] == "BSD-3-Clause"


def test_no_file_in_the_usual_place_means_no_personal_defaults(tmp_path, monkeypatch):
    env = clean_env(SCAFFOLD_CONFIG=None, HOME=str(tmp_path), XDG_CONFIG_HOME=None)
    assert _resolve(monkeypatch, env)["license"] == "MIT"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[defaults]\nlicence = "MIT"\n', "unknown question 'licence' (did you mean 'license'?)"),
        ('[defaults]\nlicense = "GPL"\n', "license=GPL is not one of: MIT, Apache-2.0"),
        ('[defaults]\nauthor_email = "nope"\n', "author_email: Enter an address such as"),
        ('[defaults]\ndescription = "x"\n', "description differs for every project"),
        ('[defaults]\ninstaller = "conda"\n', "installer=conda is not one of: auto, uv, pip"),
        ('[defaults]\nlicense = "MIT\n', "not valid TOML"),
        ('license = "MIT"\n', "unknown setting 'license' (personal defaults go in [defaults])"),
    ],
)
def test_a_bad_file_is_one_line_naming_it_and_nothing_is_written(workdir, config, text, message):
    result = run_scaffold(["new", "shop", "-y"], workdir, env=config(text))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"scaffold: error: {config.path}: ")
    assert message in lines[0]
    assert "SCAFFOLD_CONFIG= to ignore it" in lines[0]
    assert list(workdir.iterdir()) == []


def test_a_named_file_must_exist(workdir, tmp_path):
    missing = tmp_path / "nope.toml"
    result = run_scaffold(
        ["new", "shop", "-y"], workdir, env=clean_env(SCAFFOLD_CONFIG=str(missing))
    )
    assert result.returncode == 1
    assert f"SCAFFOLD_CONFIG={missing}: no such file" in result.stderr


def test_an_empty_variable_turns_personal_defaults_off(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".config" / "scaffold").mkdir(parents=True)
    (home / ".config" / "scaffold" / "config.toml").write_text("not toml at all [")
    env = clean_env(SCAFFOLD_CONFIG="", HOME=str(home), XDG_CONFIG_HOME=None)
    assert _resolve(monkeypatch, env)["license"] == "MIT"


def test_recommend_does_not_read_the_file(workdir, config):
    result = run_scaffold(["recommend", "-y"], workdir, env=config("broken ["))
    assert result.returncode == 0, result.stderr


def test_the_installer_comes_from_the_file_unless_given(config, monkeypatch):
    from scaffold._commands import _installer

    for key, value in config().items():
        monkeypatch.setenv(key, value)
    assert _installer(argparse.Namespace(installer=None)) == "pip"
    assert _installer(argparse.Namespace(installer="uv")) == "uv"
    monkeypatch.setenv("SCAFFOLD_CONFIG", "")
    assert _installer(argparse.Namespace(installer=None)) == "auto"
