"""``scaffold new`` without a terminal: what it writes, where, and what it never touches."""

from __future__ import annotations

import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import clean_env, git_available, run_scaffold
from scaffold.frameworks import FRAMEWORKS, Framework


def leftovers(directory: Path) -> list[str]:
    """Staging directories scaffold would have left behind."""
    return [path.name for path in directory.iterdir() if path.name.endswith(".partial")]


def read_env(project: Path) -> dict[str, str]:
    lines = (project / ".env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_defaults_create_a_complete_project(workdir):
    result = run_scaffold(["new", "shop", "--defaults"], workdir)
    assert result.returncode == 0, result.stderr
    project = workdir / "shop"
    assert (project / "pyproject.toml").is_file()
    assert tomllib.loads((project / "pyproject.toml").read_text())["project"]["name"] == "shop"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["framework"] == "flask" and answers["package_name"] == "shop"
    assert "_src_path" in answers
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert answers["python_version"] == min(
        running, "3.14", key=lambda v: tuple(map(int, v.split(".")))
    )
    assert "Recommended: Flask" in result.stdout
    assert "Next steps:" in result.stdout and "cd shop" in result.stdout
    assert "flask --app shop run --port 8000" in result.stdout
    assert result.stderr == ""  # --defaults: nothing to warn about
    assert leftovers(workdir) == []


def test_env_file_holds_a_fresh_private_secret(workdir):
    for name in ("one", "two"):
        assert run_scaffold(["new", name, "-y", "--framework", "django"], workdir).returncode == 0
    first, second = read_env(workdir / "one"), read_env(workdir / "two")
    secret = first["DJANGO_SECRET_KEY"]
    assert len(secret) >= 50 and not secret.startswith("django-insecure-")
    assert secret != second["DJANGO_SECRET_KEY"]
    assert first["DJANGO_DEBUG"] == "true"
    assert stat.S_IMODE((workdir / "one" / ".env").stat().st_mode) == 0o600
    for path in (workdir / "one").rglob("*"):
        if path.is_file() and path.name != ".env" and ".git" not in path.parts:
            assert secret not in path.read_text(errors="replace"), path


@pytest.mark.skipif(not git_available(), reason="git is not installed")
def test_git_repository_with_a_first_commit_that_leaves_env_out(workdir):
    assert run_scaffold(["new", "shop", "-y"], workdir).returncode == 0
    project = workdir / "shop"
    log = subprocess.run(["git", "log", "--oneline"], cwd=project, capture_output=True, text=True)
    assert "Initial commit from scaffold" in log.stdout
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=project, capture_output=True, text=True
    ).stdout
    assert ".env.example" in tracked.splitlines() and ".env" not in tracked.splitlines()
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True
    )
    assert status.stdout == ""


@pytest.mark.skipif(not git_available(), reason="git is not installed")
def test_author_defaults_come_from_git_config(workdir, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Grace Hopper\n\temail = grace@example.com\n")
    env = clean_env(HOME=str(home), XDG_CONFIG_HOME=str(home), GIT_CONFIG_NOSYSTEM="1")
    assert run_scaffold(["new", "shop", "-y", "--no-git"], workdir, env=env).returncode == 0
    answers = yaml.safe_load((workdir / "shop" / ".copier-answers.yml").read_text())
    assert (answers["author_name"], answers["author_email"]) == (
        "Grace Hopper",
        "grace@example.com",
    )


def test_no_git(workdir):
    result = run_scaffold(["new", "shop", "-y", "--no-git"], workdir)
    assert result.returncode == 0
    assert not (workdir / "shop" / ".git").exists()
    assert "Skipped git init" in result.stdout


def test_missing_git_is_a_note_not_a_failure(workdir, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = clean_env(PATH=str(bin_dir))  # no git here; scaffold itself is called by full path
    result = run_scaffold(["new", "shop", "-y"], workdir, env=env)
    assert result.returncode == 0, result.stderr
    assert "git was not found" in result.stdout
    assert (workdir / "shop" / "pyproject.toml").exists()


@pytest.mark.skipif(not git_available(), reason="git is not installed")
def test_hostile_author_reaches_git_as_data_not_shell(workdir, tmp_path):
    home = tmp_path / "home"
    home.mkdir()  # no git identity, so the commit uses the author answer
    author = "$(touch pwned) `touch pwned2` ; rm -rf x"
    env = clean_env(HOME=str(home), XDG_CONFIG_HOME=str(home), GIT_CONFIG_NOSYSTEM="1")
    result = run_scaffold(["new", "shop", "-y", "-d", f"author_name={author}"], workdir, env=env)
    assert result.returncode == 0, result.stderr
    assert not (workdir / "pwned").exists() and not (workdir / "shop" / "pwned").exists()
    log = subprocess.run(
        ["git", "log", "--format=%an"],
        cwd=workdir / "shop",
        capture_output=True,
        text=True,
        env=env,
    )
    assert log.stdout.strip() == author


def test_output_dir(workdir):
    (workdir / "projects").mkdir()
    result = run_scaffold(["new", "shop", "-y", "--output-dir", "projects"], workdir)
    assert result.returncode == 0
    assert (workdir / "projects" / "shop" / "pyproject.toml").exists()
    assert "cd projects/shop" in result.stdout


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (lambda w: None, ["--output-dir", "missing"], "does not exist"),
        (lambda w: (w / "afile").write_text("x"), ["--output-dir", "afile"], "is a file"),
        (lambda w: (w / "shop").write_text("x"), [], "exists and is a file"),
    ],
)
def test_unusable_destinations_fail_with_exit_1(workdir, setup, args, message):
    setup(workdir)
    before = sorted(p.name for p in workdir.iterdir())
    result = run_scaffold(["new", "shop", "-y", *args], workdir)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in workdir.iterdir()) == before


def test_existing_non_empty_target_is_refused_before_any_question(workdir):
    target = workdir / "shop"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = run_scaffold(["new", "shop"], workdir)  # would otherwise say defaults are used
    assert result.returncode == 1
    assert "already exists and is not empty" in result.stderr and "--force" in result.stderr
    assert "take their defaults" not in result.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert (target / "notes.txt").read_text() == "mine"


def test_existing_empty_target_is_used(workdir):
    (workdir / "shop").mkdir()
    assert run_scaffold(["new", "shop", "-y"], workdir).returncode == 0
    assert (workdir / "shop" / "pyproject.toml").exists()


def test_force_keeps_user_files_and_an_existing_env(workdir):
    target = workdir / "shop"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / ".env").write_text("MY_SETTING=1\n")
    (target / "README.md").write_text("old readme")
    result = run_scaffold(["new", "shop", "-y", "--force", "--no-git"], workdir)
    assert result.returncode == 0, result.stderr
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / ".env").read_text() == "MY_SETTING=1\n"
    assert (target / "README.md").read_text() != "old readme"  # --force replaces template files
    assert "Kept your existing .env" in result.stdout
    assert leftovers(workdir) == []


def test_force_refuses_a_directory_where_a_file_goes_and_changes_nothing(workdir):
    target = workdir / "shop"
    (target / "pyproject.toml").mkdir(parents=True)
    (target / "notes.txt").write_text("mine")
    result = run_scaffold(["new", "shop", "-y", "--force"], workdir)
    assert result.returncode == 1
    assert "is a directory but the project writes a file there" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt", "pyproject.toml"]
    assert leftovers(workdir) == []


def test_pretend_lists_files_and_writes_nothing(workdir):
    result = run_scaffold(["new", "shop", "-y", "--framework", "django", "--dry-run"], workdir)
    assert result.returncode == 0, result.stderr
    assert "nothing was written" in result.stdout
    listed = {line.strip() for line in result.stdout.splitlines() if line.startswith("  ")}
    assert {"manage.py", "pyproject.toml", ".env", ".copier-answers.yml"} <= listed
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize("framework", list(Framework))
def test_every_framework_renders_with_its_next_steps(workdir, framework):
    result = run_scaffold(["new", "svc", "-y", "--framework", framework.value, "--no-git"], workdir)
    assert result.returncode == 0, result.stderr
    info = FRAMEWORKS[framework]
    assert info.dev_command.format(port=8000, package="svc") in result.stdout
    assert "Recommended" not in result.stdout  # --framework skips the recommendation
    env = read_env(workdir / "svc")
    assert set(env) >= {info.secret_variable, *info.development_env}
    example = (workdir / "svc" / ".env.example").read_text()
    for key in env:
        assert f"{key}=" in example, f".env.example does not document {key}"


def test_utf8_answers_under_the_c_locale(workdir):
    env = clean_env(LANG="C", LC_ALL="C", PYTHONUTF8=None, PYTHONIOENCODING=None)
    args = [
        "new",
        "cafe",
        "-y",
        "-d",
        "description=Café ☕ for Zoë 😀",
        "-d",
        "author_name=Zoë Ørsted",
    ]
    result = run_scaffold(args, workdir, env=env)
    assert result.returncode == 0, result.stderr
    metadata = tomllib.loads((workdir / "cafe" / "pyproject.toml").read_text(encoding="utf-8"))
    assert metadata["project"]["description"] == "Café ☕ for Zoë 😀"
    assert metadata["project"]["authors"][0]["name"] == "Zoë Ørsted"


def test_non_ascii_name_suggests_an_ascii_one(workdir):
    result = run_scaffold(["new", "café", "-y"], workdir)
    assert result.returncode == 2
    assert "try 'cafe'" in result.stderr


def test_subprocesses_never_use_a_shell():
    source = Path(__file__).resolve().parent.parent / "scaffold"
    for path in source.glob("*.py"):
        text = path.read_text()
        assert "shell=True" not in text and "os.system" not in text, path


def test_nothing_is_written_to_the_cwd_when_output_dir_is_elsewhere(workdir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_scaffold(["new", "shop", "-y", "-o", str(elsewhere)], workdir)
    assert result.returncode == 0
    assert list(workdir.iterdir()) == []
    assert [path.name for path in elsewhere.iterdir()] == ["shop"]
