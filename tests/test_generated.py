"""Each framework's default project installs, passes its tests, lints clean and serves HTTP.

Slow: each framework gets a fresh venv. Servers are started with the exact
commands scaffold prints and the README documents, and are hit over loopback.
"""

from __future__ import annotations

import json

import pytest

from generated import install_project, production_env, project_env, render_project, run_in, start
from helpers import FRAMEWORK_PARAMS, free_port, http_get, stop, wait_for_http
from scaffold.frameworks import FRAMEWORKS, Framework

pytestmark = pytest.mark.e2e


def test_its_own_tests_pass_with_the_scaffold_env_file(installed):
    _framework, project, bin_dir = installed
    run_in(project, "pytest -q -p no:cacheprovider", project_env(bin_dir))


def test_its_own_tests_pass_without_any_env_file(installed):
    """As after a plain copier copy or a fresh clone: no .env, nothing exported."""
    _framework, project, bin_dir = installed
    env_file, saved = project / ".env", project / ".env.saved"
    env_file.rename(saved)
    try:
        run_in(project, "pytest -q -p no:cacheprovider", project_env(bin_dir))
    finally:
        saved.rename(env_file)


def test_ruff_is_clean(installed):
    _framework, project, bin_dir = installed
    env = project_env(bin_dir)
    run_in(project, "ruff check . && ruff format --check .", env)


def test_mypy_is_clean(installed):
    """Strict mode, the package and its tests, as the generated CI runs it."""
    _framework, project, bin_dir = installed
    run_in(project, "mypy", project_env(bin_dir))


def coverage_of_its_own_tests(project, env) -> float:
    """Run the project's tests under coverage as its CI does; the total percentage."""
    run_in(project, "coverage run -m pytest -q -p no:cacheprovider", env)
    run_in(project, "coverage report", env)  # fails under the project's own fail_under
    run_in(project, "coverage json -q -o coverage.json", env)
    report = json.loads((project / "coverage.json").read_text())
    return float(report["totals"]["percent_covered"])


def test_its_own_tests_cover_at_least_90_percent_of_it(installed):
    _framework, project, bin_dir = installed
    assert coverage_of_its_own_tests(project, project_env(bin_dir)) >= 90


def set_up_and_serve(framework, project, command, env, port, pages=()):
    """Run the one-time set-up, start ``command``, check /health and ``pages``, stop it."""
    for setup in FRAMEWORKS[framework].setup("svc", "sqlite"):
        run_in(project, setup, env)
    server = start(project, command, env)
    try:
        status, body = wait_for_http(f"http://127.0.0.1:{port}/health", server)
        assert status == 200 and json.loads(body) == {"status": "ok"}
        for page in pages:
            status, body = http_get(f"http://127.0.0.1:{port}{page}")
            assert status == 200, f"{page}: {status} {body[:300]!r}"
    finally:
        stop(server)


def test_development_server_answers(installed):
    framework, project, bin_dir = installed
    info = FRAMEWORKS[framework]
    port = free_port()
    command = info.dev_command.format(port=port, package="svc")
    set_up_and_serve(framework, project, command, project_env(bin_dir), port, info.pages)


def test_production_server_answers(installed, tmp_path):
    framework, project, bin_dir = installed
    port = free_port()
    env = project_env(bin_dir, **production_env(framework, port, tmp_path))
    command = FRAMEWORKS[framework].production_command.format(package="svc")
    set_up_and_serve(framework, project, command, env, port)


@pytest.mark.parametrize(
    "framework",
    [p for p in FRAMEWORK_PARAMS if p.values[0] != Framework.DJANGO],
)
def test_projects_with_accounts_install_pass_their_tests_and_serve(tmp_path, framework):
    project = render_project(tmp_path, framework, "-d", "auth=yes")
    env = project_env(install_project(project))
    run_in(project, "ruff check . && ruff format --check . && mypy", env)
    assert coverage_of_its_own_tests(project, env) >= 90
    port = free_port()
    command = FRAMEWORKS[framework].dev_command.format(port=port, package="svc")
    set_up_and_serve(framework, project, command, env, port)
