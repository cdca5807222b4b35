"""git's environment: variables that point git elsewhere never reach scaffold's git calls,
and a broken git configuration is reported as that."""

from __future__ import annotations

import subprocess

import pytest

from helpers import clean_env, git_available, run_scaffold

pytestmark = pytest.mark.skipif(not git_available(), reason="needs git")


def git(project, *args):
    return subprocess.run(
        ["git", *args], cwd=project, env=clean_env(), capture_output=True, text=True, check=True
    ).stdout


def test_a_hooks_index_file_does_not_leak_into_the_first_commit(workdir, tmp_path):
    # Inside a git hook, GIT_INDEX_FILE names the index of the repository running the hook.
    hook_index = tmp_path / "outer-index"
    result = run_scaffold(
        ["new", "shop", "-y"], workdir, env=clean_env(GIT_INDEX_FILE=str(hook_index))
    )
    assert result.returncode == 0, result.stderr
    assert git(workdir / "shop", "status", "--porcelain") == ""
    assert "pyproject.toml" in git(workdir / "shop", "ls-files")
    assert not hook_index.exists()


def test_a_git_dir_pointing_at_a_missing_path_creates_nothing_there(workdir, tmp_path):
    elsewhere = tmp_path / "missing" / "repo.git"
    result = run_scaffold(["new", "shop", "-y"], workdir, env=clean_env(GIT_DIR=str(elsewhere)))
    assert result.returncode == 0, result.stderr
    assert not elsewhere.exists() and not elsewhere.parent.exists()
    assert (workdir / "shop" / ".git").is_dir()
    assert git(workdir / "shop", "log", "--format=%s") == "Initial commit from scaffold\n"


BROKEN = {"GIT_CONFIG_COUNT": "x"}


def test_a_bad_git_config_count_is_named_by_new_before_anything_is_written(workdir):
    result = run_scaffold(["new", "shop", "-y"], workdir, env=clean_env(**BROKEN))
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("scaffold: error: git cannot read its configuration (bogus count")
    assert "GIT_CONFIG_COUNT" in line and "Traceback" not in result.stderr
    assert not (workdir / "shop").exists()


def test_a_bad_git_config_count_is_not_reported_as_no_repository(workdir):
    assert run_scaffold(["new", "shop", "-y"], workdir).returncode == 0
    for command in (["update"], ["update", "-d", "license=Apache-2.0"]):
        result = run_scaffold(command, workdir / "shop", env=clean_env(GIT_CONFIG_COUNT="1"))
        assert result.returncode == 1
        assert "git cannot read its configuration (missing config key GIT_CONFIG_KEY_0" in (
            result.stderr
        )
        assert "not in a git repository" not in result.stderr


@pytest.mark.parametrize("variable", ["GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"])
def test_update_ignores_variables_that_point_git_elsewhere(workdir, tmp_path, variable):
    """As inside a git hook: every git that update runs (copier's own included) stays home."""
    assert run_scaffold(["new", "shop", "-y", "--framework", "flask"], workdir).returncode == 0
    project = workdir / "shop"
    elsewhere = tmp_path / "elsewhere" / "target"
    result = run_scaffold(
        ["update", "-d", "license=Apache-2.0"], project, env=clean_env(**{variable: str(elsewhere)})
    )
    assert result.returncode == 0, result.stderr
    assert "Apache License" in (project / "LICENSE").read_text()
    assert "license: MIT -> Apache-2.0" in result.stdout + result.stderr
    assert not elsewhere.parent.exists()
    assert " M LICENSE\n" in git(project, "status", "--porcelain")  # left for the user to commit
