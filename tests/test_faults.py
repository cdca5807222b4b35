"""Failures and Ctrl-C at every stage: no partial project, no staging left, nothing lost."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from scaffold import _cli, answers, install, project
from scaffold.errors import TemplateError


@pytest.fixture
def here(workdir, monkeypatch):
    """Run scaffold in-process in a directory that already holds a file of the user's."""
    monkeypatch.chdir(workdir)
    (workdir / "keep.txt").write_text("precious")
    return workdir


def assert_untouched(directory: Path, *, project_exists: bool = False) -> None:
    names = sorted(path.name for path in directory.iterdir())
    expected = ["keep.txt", "shop"] if project_exists else ["keep.txt"]
    assert names == expected, names
    assert (directory / "keep.txt").read_text() == "precious"


def interrupt(*_args, **_kwargs):
    raise KeyboardInterrupt


def render_then(error: BaseException):
    """A render that writes part of the project, then fails like a real one would."""
    real_render = project.render

    def partial_render(request, destination):
        real_render(request, destination)
        raise error

    return partial_render


@pytest.fixture
def at_a_terminal(monkeypatch):
    """Pretend a person is at the terminal, so the prompt functions are called."""
    monkeypatch.setattr(answers, "can_prompt", lambda: True)
    from scaffold import prompts

    return prompts


@pytest.mark.parametrize(
    "prompt", ["ask_criteria", "choose_framework", "confirm", "choose_answer_to_change"]
)
def test_ctrl_c_at_a_prompt(here, at_a_terminal, monkeypatch, capsys, prompt):
    from scaffold.criteria import CRITERIA

    monkeypatch.setattr(at_a_terminal, "ask_criteria", lambda questions, given: dict(given))
    monkeypatch.setattr(at_a_terminal, "choose_framework", lambda rec, unavailable: rec.framework)
    monkeypatch.setattr(at_a_terminal, "confirm", lambda message, default: default)
    monkeypatch.setattr(at_a_terminal, "choose_answer_to_change", lambda answers: None)
    monkeypatch.setattr(at_a_terminal, prompt, interrupt)
    assert _cli.main(["new", "shop"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert_untouched(here)
    assert CRITERIA  # the questions exist, so the first prompt was really reached


@pytest.mark.parametrize(
    ("target", "replacement"),
    [
        ("render", render_then(KeyboardInterrupt())),
        ("write_env_file", interrupt),
        ("init_repository", interrupt),
        ("move_into_place", interrupt),
    ],
)
def test_ctrl_c_while_generating(here, monkeypatch, capsys, target, replacement):
    monkeypatch.setattr(project, target, replacement)
    assert _cli.main(["new", "shop", "-y"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err
    assert_untouched(here)


def test_ctrl_c_while_generating_into_an_existing_directory_keeps_everything(here, monkeypatch):
    target = here / "shop"
    target.mkdir()
    (target / "README.md").write_text("my readme")
    monkeypatch.setattr(project, "render", render_then(KeyboardInterrupt()))
    assert _cli.main(["new", "shop", "-y", "--force"]) == 130
    assert [p.name for p in target.iterdir()] == ["README.md"]
    assert (target / "README.md").read_text() == "my readme"
    assert_untouched(here, project_exists=True)


def test_ctrl_c_while_installing_removes_only_the_half_made_venv(here, monkeypatch, capsys):
    def interrupted_run(commands, directory, steps):
        (directory / install.VENV_DIR).mkdir()
        raise KeyboardInterrupt

    monkeypatch.setattr(install, "run", interrupted_run)
    assert _cli.main(["new", "shop", "-y", "--install", "--no-git"]) == 130
    assert "complete in" in capsys.readouterr().err
    assert (here / "shop" / "pyproject.toml").exists()
    assert not (here / "shop" / install.VENV_DIR).exists()


def test_render_failure_leaves_nothing(here, monkeypatch, capsys):
    monkeypatch.setattr(project, "render", render_then(TemplateError("template broke")))
    assert _cli.main(["new", "shop", "-y"]) == 1
    assert "scaffold: error: template broke" in capsys.readouterr().err
    assert_untouched(here)


def test_keep_on_failure_keeps_the_partial_output_and_says_where(here, monkeypatch, capsys):
    monkeypatch.setattr(project, "render", render_then(TemplateError("template broke")))
    assert _cli.main(["new", "shop", "-y", "--keep-on-failure"]) == 1
    err = capsys.readouterr().err
    kept = Path(err.split("is kept in ")[1].strip())
    assert (kept / "pyproject.toml").exists()
    assert kept.parent.parent == here and kept.parent.name.endswith(".partial")
    assert not (here / "shop").exists()


def test_disk_full_while_rendering(here, monkeypatch, capsys):
    full = OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(project, "render", render_then(full))
    assert _cli.main(["new", "shop", "-y"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert_untouched(here)


def test_read_only_file_system(here, monkeypatch, capsys):
    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(here))

    monkeypatch.setattr(project.tempfile, "mkdtemp", read_only)
    assert _cli.main(["new", "shop", "-y"]) == 1
    assert "Read-only file system" in capsys.readouterr().err
    assert_untouched(here)


def test_bundled_templates_render_with_unsafe_features_off(tmp_path):
    """The templates need no --trust: copier's own unsafe check passes with unsafe=False."""
    from copier import run_copy

    from scaffold.options import templates_root

    for framework in ("django", "flask", "fastapi"):
        destination = tmp_path / framework
        data = {"framework": framework, "project_name": "demo"}
        run_copy(
            str(templates_root()), destination, data=data, defaults=True, unsafe=False, quiet=True
        )
        assert (destination / "pyproject.toml").exists()
