"""The compiled-template cache: used by the next render, refreshed by a change, never in the way.

Renders are real (copier through :mod:`scaffold.copier_worker`); compiles are
counted by watching Jinja's parser, which runs once per template compiled.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest

import scaffold
from helpers import clean_env, run_scaffold, snapshot, tmpfs
from scaffold import options
from scaffold.copier_worker import run_copy
from scaffold.frameworks import Framework
from scaffold.plan import ProjectPlan
from scaffold.project import render
from scaffold.template_cache import ENV_VARIABLE

OPTIONS = options.resolve("flask", "svc", {})


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The templates Jinja parses (compiles) from now on, as ``name or source``."""
    seen: list[str] = []
    parse = jinja2.Environment._parse

    def counted(self, source, name, filename):
        seen.append(name or source)
        return parse(self, source, name, filename)

    monkeypatch.setattr(jinja2.Environment, "_parse", counted)
    return seen


def render_flask(destination: Path) -> dict[str, str]:
    render(ProjectPlan(name="svc", framework=Framework.FLASK, options=OPTIONS), destination)
    return snapshot(destination)


def test_the_second_render_compiles_nothing_and_writes_the_same_files(
    tmp_path, monkeypatch, parses
):
    monkeypatch.setenv(ENV_VARIABLE, str(tmp_path / "cache"))
    first = render_flask(tmp_path / "first")
    assert len(parses) > 100  # every file, file name and copier.yml expression
    assert [path.suffix for path in (tmp_path / "cache").iterdir()] == [".marshal"]
    parses.clear()
    second = render_flask(tmp_path / "second")
    assert parses == []
    monkeypatch.setenv(ENV_VARIABLE, "")  # the cache off
    assert render_flask(tmp_path / "uncached") == first == second
    assert len(parses) > 100


def test_a_changed_template_is_compiled_again_and_rendered_as_changed(
    tmp_path, monkeypatch, parses
):
    monkeypatch.setenv(ENV_VARIABLE, str(tmp_path / "cache"))
    template = tmp_path / "template"
    shutil.copytree(options.templates_root(), template)
    data = {"framework": "flask", "project_name": "svc", **OPTIONS}

    def copy(destination: Path) -> None:
        run_copy(
            str(template),
            destination,
            data,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=False,
            cleanup_on_error=False,
        )

    copy(tmp_path / "before")
    (licence,) = (template / "flask").glob("*LICENSE*.jinja")
    licence.write_text(licence.read_text(encoding="utf-8") + "Changed: {{ project_name }}\n")
    parses.clear()
    copy(tmp_path / "after")
    assert parses == [f"flask/{licence.name}"]
    assert (tmp_path / "after" / "LICENSE").read_text().endswith("Changed: svc\n")


def test_a_new_release_uses_a_file_of_its_own(tmp_path, monkeypatch, parses):
    cache = tmp_path / "cache"
    monkeypatch.setenv(ENV_VARIABLE, str(cache))
    render_flask(tmp_path / "old")
    (old_file,) = cache.iterdir()
    monkeypatch.setattr(scaffold, "__version__", "99.0.0")
    parses.clear()
    render_flask(tmp_path / "new")
    assert len(parses) > 100
    assert len(list(cache.iterdir())) == 2 and old_file.exists()


def corrupt(cache: Path) -> None:
    (entry,) = cache.iterdir()
    entry.write_bytes(entry.read_bytes()[:1000])


def occupied(cache: Path) -> None:
    shutil.rmtree(cache)
    cache.write_text("a file where the cache directory goes")


@pytest.mark.parametrize("damage", [corrupt, occupied], ids=["truncated-file", "not-a-directory"])
def test_a_broken_cache_only_costs_the_compiles(tmp_path, monkeypatch, parses, damage):
    cache = tmp_path / "cache"
    monkeypatch.setenv(ENV_VARIABLE, str(cache))
    expected = render_flask(tmp_path / "first")
    damage(cache)
    parses.clear()
    assert render_flask(tmp_path / "second") == expected
    assert len(parses) > 100


def test_a_full_cache_disk_does_not_fail_the_render(tmp_path, monkeypatch):
    expected = render_flask(tmp_path / "reference")
    with tmpfs(tmp_path / "full", "32k") as full:
        monkeypatch.setenv(ENV_VARIABLE, str(full / "cache"))
        assert render_flask(tmp_path / "project") == expected
        assert [path.name for path in (full / "cache").iterdir()] == []  # no half-written file


def test_a_render_runs_no_git_per_file(tmp_path):
    """copier's git index sync cannot apply to staged files: a watched git shows it skipped."""
    watched = tmp_path / "bin"
    watched.mkdir()
    log = tmp_path / "git.log"
    git = shutil.which("git")
    assert git
    (watched / "git").write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {git} "$@"\n')
    (watched / "git").chmod(0o755)
    env = clean_env(PATH=f"{watched}:{clean_env()['PATH']}")
    result = run_scaffold(["new", "svc", "-y", "--framework", "flask"], tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert "init -q" in calls  # the watched git is the one scaffold and copier find
    # copier's per-file sync asks `git config --get core.fileMode`; scaffold's own
    # runner only sets options (`-c core.fileMode=true`) on the calls it makes.
    assert not [call for call in calls if "--get core.fileMode" in call]
