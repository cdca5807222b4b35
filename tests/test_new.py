"""``scaffold new`` without a terminal: what it writes, where, and what it never touches."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from helpers import (
    clean_env,
    failing_git_env,
    git_available,
    run_scaffold,
    snapshot,
    staging_left,
    tmpfs,
)
from scaffold.frameworks import FRAMEWORKS, Framework


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
    assert staging_left(workdir) == []


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
        (lambda w: None, ["-o", "missing"], "does not exist; create it first, or pass --parents"),
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
    result = run_scaffold(["new", "shop", "-y", "--force", "--no-git"], workdir)
    assert result.returncode == 0, result.stderr
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / ".env").read_text() == "MY_SETTING=1\n"
    assert (target / "README.md").is_file()
    assert "Kept your existing .env" in result.stdout
    assert staging_left(workdir) == []


def git(directory: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args]
    result = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=True)
    return result.stdout


@pytest.fixture
def repository(workdir):
    """``shop/``: a git repository with a committed README.md and pyproject.toml of the user's."""
    target = workdir / "shop"
    target.mkdir()
    git(target, "init", "-q")
    (target / "README.md").write_text("my committed readme\n")
    (target / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "mine")
    return target


@pytest.mark.skipif(not git_available(), reason="git is not installed")
def test_force_replaces_only_files_git_can_bring_back(workdir, repository):
    result = run_scaffold(["new", "shop", "-y", "--force"], workdir)
    assert result.returncode == 0, result.stderr
    assert "Replaced 2 committed files (git checkout brings them back)" in result.stdout
    assert "# shop" in (repository / "README.md").read_text()
    git(repository, "checkout", "--", "README.md")
    assert (repository / "README.md").read_text() == "my committed readme\n"
    assert staging_left(workdir) == []


@pytest.mark.skipif(not git_available(), reason="git is not installed")
@pytest.mark.parametrize(
    "change",
    [
        lambda t: (t / "README.md").write_text("edited, not committed\n"),
        lambda t: ((t / "README.md").write_text("staged only\n"), git(t, "add", "README.md")),
        lambda t: (t / ".gitignore").write_text("untracked\n"),
        lambda t: (git(t, "rm", "-q", "--cached", "README.md"), git(t, "commit", "-qm", "x")),
    ],
    ids=["edited", "staged", "untracked", "no-longer-tracked"],
)
def test_force_never_replaces_work_git_could_not_bring_back(workdir, repository, change):
    change(repository)
    before = snapshot(workdir)
    result = run_scaffold(["new", "shop", "-y", "--force"], workdir)
    assert result.returncode == 1
    message = result.stderr.strip()
    assert message.startswith("scaffold: error: stopped before writing anything in shop")
    assert "differs and is not committed unchanged in git" in message
    assert len(result.stderr.splitlines()) == 1
    assert snapshot(workdir) == before


def test_every_clash_is_listed_before_anything_moves(workdir):
    target = workdir / "shop"
    (target / "pyproject.toml").mkdir(parents=True)
    (target / "tests").write_text("a file where a directory goes")
    (target / "README.md").write_text("mine, not in git")
    (target / "notes.txt").write_text("mine")
    os.mkfifo(target / "LICENSE")
    before = snapshot(workdir)
    result = run_scaffold(["new", "shop", "-y", "--force", "--framework", "flask"], workdir)
    assert result.returncode == 1
    assert "because 4 paths are in the way" in result.stderr
    assert "shop/LICENSE: a special file (device, socket or pipe)" in result.stderr
    assert "shop/pyproject.toml: a directory where the project writes a file" in result.stderr
    assert "shop/tests: a file where the project needs a directory" in result.stderr
    assert "shop/README.md: differs" in result.stderr
    assert snapshot(workdir) == before


@pytest.fixture
def other_file_system(workdir) -> Iterator[Path]:
    """A directory on another file system than ``workdir`` (/dev/shm is a tmpfs)."""
    elsewhere = Path(tempfile.mkdtemp(dir="/dev/shm"))
    try:
        if elsewhere.stat().st_dev == workdir.stat().st_dev:
            pytest.skip("/dev/shm is on the same file system here")
        yield elsewhere
    finally:
        shutil.rmtree(elsewhere)


LINK_TARGETS = {
    "dangling": lambda workdir, other: "/nonexistent/dangling",
    "relative-outside": lambda workdir, other: "../outside",
    "absolute-outside": lambda workdir, other: str(workdir / "outside"),
    "inside": lambda workdir, other: "inside",
    "other-file-system": lambda workdir, other: str(other),
}


@pytest.mark.parametrize("kind", LINK_TARGETS)
def test_force_never_follows_a_symlink_out_of_the_target(workdir, other_file_system, kind):
    """The package directory (shop/shop) is a link: refused before any move, outside untouched."""
    target, outside = workdir / "shop", workdir / "outside"
    (target / "inside").mkdir(parents=True)
    outside.mkdir()
    (target / "shop").symlink_to(LINK_TARGETS[kind](workdir, other_file_system))
    before = snapshot(workdir)
    result = run_scaffold(["new", "shop", "-y", "--force", "--framework", "flask"], workdir)
    assert result.returncode == 1
    assert "shop/shop: a symbolic link, which scaffold never follows or replaces" in result.stderr
    assert snapshot(workdir) == before
    assert list(outside.iterdir()) == [] and list(other_file_system.iterdir()) == []
    assert staging_left(workdir) == []


def test_a_symlinked_target_is_refused(workdir):
    (workdir / "real").mkdir()
    (workdir / "shop").symlink_to("real")
    result = run_scaffold(["new", "shop", "-y"], workdir)
    assert result.returncode == 1
    assert "shop is a symbolic link; scaffold writes only into a real directory" in result.stderr
    assert list((workdir / "real").iterdir()) == []


def test_a_mount_point_inside_the_target_is_refused(workdir):
    with tmpfs(workdir / "shop" / "shop", "1m") as mount_point:
        result = run_scaffold(["new", "shop", "-y", "--force", "--framework", "flask"], workdir)
        assert result.returncode == 1
        assert "shop/shop: on another file system" in result.stderr
        assert list(mount_point.iterdir()) == []


@pytest.mark.parametrize("framework_given", [True, False])
def test_force_with_another_framework_is_refused_with_a_pointer_to_update(workdir, framework_given):
    assert run_scaffold(["new", "shop", "-y", "--framework", "flask"], workdir).returncode == 0
    before = snapshot(workdir)
    # Without --framework these answers recommend Django, which is known only after them.
    if framework_given:
        choice = ["--framework", "django"]
    else:
        choice = ["-d", "size=large", "-d", "builtins=yes"]
    result = run_scaffold(["new", "shop", "-y", "--force", *choice], workdir)
    assert result.returncode == 1
    assert "holds a Flask project (its .copier-answers.yml says framework: flask)" in result.stderr
    assert "'scaffold update'" in result.stderr and "fresh directory" in result.stderr
    assert ("Recommended: Django" in result.stdout) is not framework_given
    assert snapshot(workdir) == before


STATUSES = {"create", "overwrite", "identical", "kept", "clash"}


def _listing(stdout: str) -> dict[str, str]:
    """``--pretend`` output as {path: status}."""
    lines = [line.split(None, 1) for line in stdout.splitlines() if line.startswith("  ")]
    return {rest.split(" (")[0]: status for status, rest in lines if status in STATUSES}


@pytest.mark.skipif(not git_available(), reason="git is not installed")
def test_pretend_says_per_file_what_force_would_do(workdir, tmp_path):
    reference = tmp_path / "reference"
    reference.mkdir()
    assert run_scaffold(["new", "shop", "-y", "--no-git"], reference).returncode == 0
    expected_files = {
        path for path in snapshot(reference / "shop") if (reference / "shop" / path).is_file()
    }
    target = workdir / "shop"
    target.mkdir()
    git(target, "init", "-q")
    shutil.copy(reference / "shop" / ".gitignore", target / ".gitignore")
    (target / "README.md").write_text("committed\n")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "mine")
    (target / ".env").symlink_to("/nonexistent/env")  # a dangling link is kept all the same
    (target / "pyproject.toml").write_text("not committed\n")
    before = snapshot(workdir)

    result = run_scaffold(["new", "shop", "-y", "--force", "--pretend"], workdir)
    assert result.returncode == 1
    listed = _listing(result.stdout)
    assert listed[".gitignore"] == "identical"
    assert listed["README.md"] == "overwrite"
    assert listed[".env"] == "kept"
    assert listed["pyproject.toml"] == "clash"
    assert listed["shop/__init__.py"] == "create"
    assert set(listed) == expected_files
    assert "pyproject.toml: differs" in result.stderr and len(result.stderr.splitlines()) == 1
    assert snapshot(workdir) == before

    (target / "pyproject.toml").unlink()
    result = run_scaffold(["new", "shop", "-y", "--force", "--pretend"], workdir)
    assert result.returncode == 0, result.stderr
    assert _listing(result.stdout)["pyproject.toml"] == "create"
    assert "Nothing was written (--pretend)." in result.stdout
    result = run_scaffold(["new", "shop", "-y", "--force"], workdir)
    assert result.returncode == 0, result.stderr
    assert (target / ".env").readlink() == Path("/nonexistent/env")
    reference_pyproject = (reference / "shop" / "pyproject.toml").read_text()
    assert (target / "pyproject.toml").read_text() == reference_pyproject


@pytest.mark.skipif(not git_available(), reason="git is not installed")
def test_force_over_an_unchanged_project_finds_every_file_identical(workdir):
    assert run_scaffold(["new", "shop", "-y"], workdir).returncode == 0
    before = snapshot(workdir)
    result = run_scaffold(["new", "shop", "-y", "--force", "--pretend"], workdir)
    assert result.returncode == 0, result.stderr
    assert set(_listing(result.stdout).values()) == {"identical", "kept"}
    assert run_scaffold(["new", "shop", "-y", "--force"], workdir).returncode == 0
    assert snapshot(workdir) == before


def test_pretend_lists_files_and_writes_nothing(workdir):
    result = run_scaffold(["new", "shop", "-y", "--framework", "django", "--dry-run"], workdir)
    assert result.returncode == 0, result.stderr
    assert "Nothing was written" in result.stdout
    listed = _listing(result.stdout)
    assert {"manage.py", "pyproject.toml", ".env", ".copier-answers.yml"} <= set(listed)
    assert set(listed.values()) == {"create"}
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


def test_new_dot_generates_into_the_current_empty_directory(workdir):
    here = workdir / "my-shop"
    here.mkdir()
    inode = here.stat().st_ino
    # A user's shell sitting in the directory while scaffold runs.
    shell = subprocess.Popen(
        ["sh"], cwd=here, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    result = run_scaffold(["new", ".", "-y"], here)
    listing, _ = shell.communicate("ls -A\n", timeout=30)
    assert result.returncode == 0, result.stderr
    assert here.stat().st_ino == inode  # the same directory, not a replacement
    assert "pyproject.toml" in listing.split() and ".env" in listing.split()
    metadata = tomllib.loads((here / "pyproject.toml").read_text())["project"]
    assert metadata["name"] == "my-shop"
    assert (here / "my_shop" / "__init__.py").is_file()
    assert sorted(path.name for path in workdir.iterdir()) == ["my-shop"]
    assert staging_left(workdir) == []
    if git_available():
        log = subprocess.run(["git", "log", "--oneline"], cwd=here, capture_output=True, text=True)
        assert "Initial commit from scaffold" in log.stdout


def test_new_dot_refuses_a_non_empty_directory_unless_forced(workdir):
    (workdir / "notes.txt").write_text("mine")
    result = run_scaffold(["new", ".", "-y"], workdir)
    assert result.returncode == 1
    assert "already exists and is not empty" in result.stderr and "--force" in result.stderr
    assert [path.name for path in workdir.iterdir()] == ["notes.txt"]
    result = run_scaffold(["new", ".", "-y", "--force", "--no-git"], workdir)
    assert result.returncode == 0, result.stderr
    assert (workdir / "notes.txt").read_text() == "mine"
    assert (workdir / "work" / "__init__.py").is_file()  # the directory is called "work"


def test_new_dot_in_a_directory_whose_name_cannot_name_a_project(workdir):
    here = workdir / "café"
    here.mkdir()
    result = run_scaffold(["new", ".", "-y"], here)
    assert result.returncode == 2
    assert "'café' is not a valid package name" in result.stderr
    assert "NAME '.' takes the name of" in result.stderr
    assert list(here.iterdir()) == []


def test_a_missing_output_dir_is_created_only_with_parents(workdir):
    result = run_scaffold(["new", "shop", "-y", "-o", "a/b/c"], workdir)
    assert result.returncode == 1
    assert "--output-dir a/b/c does not exist; create it first, or pass --parents" in result.stderr
    assert list(workdir.iterdir()) == []
    result = run_scaffold(["new", "shop", "-y", "-o", "a/b/c", "--parents"], workdir)
    assert result.returncode == 0, result.stderr
    assert (workdir / "a" / "b" / "c" / "shop" / "pyproject.toml").is_file()
    assert "cd a/b/c/shop" in result.stdout


@pytest.mark.skipif(not git_available(), reason="git is not installed")
def test_parents_made_for_a_run_that_fails_are_removed_again(workdir, tmp_path):
    (workdir / "a").mkdir()
    env = failing_git_env(tmp_path, "exit 1")
    result = run_scaffold(["new", "shop", "-y", "-o", "a/b/c", "--parents"], workdir, env=env)
    assert result.returncode == 1
    assert snapshot(workdir) == {"a": "directory"}  # a/ was there before; b/ and c/ are gone


def test_parents_cannot_go_through_a_file(workdir):
    (workdir / "a").write_text("a file")
    result = run_scaffold(["new", "shop", "-y", "-o", "a/b", "--parents"], workdir)
    assert result.returncode == 1
    assert "--output-dir a is a file, not a directory" in result.stderr


def test_a_target_another_run_holds_is_refused_and_left_alone(workdir):
    """The lock a run holds on its target, taken here by the test process itself."""
    import fcntl

    target = workdir / "shop"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    before = snapshot(workdir)
    descriptor = os.open(target, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        result = run_scaffold(["new", "shop", "-y", "--force"], workdir)
    finally:
        os.close(descriptor)
    assert result.returncode == 1
    assert "another scaffold run is writing into shop; wait for it" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert snapshot(workdir) == before
