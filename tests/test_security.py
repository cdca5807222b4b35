"""Generated projects have no holes: secrets stay secret, production defaults are safe."""

from __future__ import annotations

import re
import secrets
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from generated import production_env, project_env, run_in, start
from helpers import FRAMEWORK_PARAMS, free_port, http_get, run_scaffold, stop, wait_for_http
from scaffold.frameworks import FRAMEWORKS, Framework
from scaffold.options import load_options, templates_root

ROOT = Path(__file__).resolve().parent.parent


def env_example(project: Path) -> dict[str, str]:
    lines = (project / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


@pytest.mark.parametrize("framework", list(Framework), ids=lambda f: f.value)
def test_the_secret_is_written_once_and_shown_nowhere(workdir, framework):
    result = run_scaffold(["new", "svc", "-y", "--framework", framework.value], workdir)
    assert result.returncode == 0, result.stderr
    project = workdir / "svc"
    variable = FRAMEWORKS[framework].secret_variable
    env_lines = (project / ".env").read_text().splitlines()
    (secret,) = [line.split("=", 1)[1] for line in env_lines if line.startswith(f"{variable}=")]
    assert len(secret) >= 50
    assert secret not in result.stdout + result.stderr
    assert secret not in (project / ".copier-answers.yml").read_text()
    for path in project.rglob("*"):
        if path.is_file() and path.name != ".env":
            assert secret.encode() not in path.read_bytes(), path  # includes .git objects
    assert env_example(project)[variable] == "change-me"


@pytest.mark.parametrize("framework", list(Framework), ids=lambda f: f.value)
def test_env_example_describes_production(workdir, framework):
    run_scaffold(["new", "svc", "-y", "--framework", framework.value, "--no-git"], workdir)
    example = env_example(workdir / "svc")
    debug = next(key for key in FRAMEWORKS[framework].development_env if key.endswith("DEBUG"))
    assert example[debug] == "false"
    assert all(value != "true" for key, value in example.items() if key.endswith("DEBUG"))


def test_no_template_holds_a_secret_or_trusts_every_origin():
    for path in templates_root().rglob("*"):
        if not path.is_file() or path.suffix in {".txt", ".css", ".pyc"}:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"allow_origins\s*=\s*\[\s*[\"']\*", text), path
        assert not re.search(r"SECRET_KEY\s*=\s*[\"'][A-Za-z0-9_-]{20,}[\"']", text), path


def test_no_question_asks_for_a_secret_unmarked():
    import yaml as pyyaml

    config = pyyaml.safe_load((templates_root() / "copier.yml").read_text())
    for option in load_options():
        if re.search(r"secret|password|token|key", option.key):
            assert config[option.key].get("secret") is True, option.key


def test_copier_and_jinja2_are_pinned_past_their_security_fixes():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {Requirement(line).name.lower(): Requirement(line).specifier for line in dependencies}
    assert "9.17.1" not in pins["copier"] and "9.17.2" in pins["copier"]
    assert "3.1.5" not in pins["jinja2"] and "3.1.6" in pins["jinja2"]


@pytest.mark.e2e
@pytest.mark.parametrize("framework", FRAMEWORK_PARAMS)
def test_production_refuses_to_start_without_a_real_secret(installed_projects, tmp_path, framework):
    _framework, project, bin_dir = installed_projects(framework)
    info = FRAMEWORKS[framework]
    for secret in ("", "change-me"):
        port = free_port()
        env = production_env(framework, port, tmp_path)
        env[info.secret_variable] = secret
        env["WEB_CONCURRENCY"] = "1"
        server = start(
            project, info.production_command.format(package="svc"), project_env(bin_dir, **env)
        )
        try:
            output, _ = server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            status, _body = http_get(f"http://127.0.0.1:{port}/health")
            stop(server)
            pytest.fail(f"{framework} started without a secret (health: {status})")
        assert server.returncode != 0
        assert info.secret_variable.encode() in output


@pytest.mark.e2e
def test_django_deploy_check_passes_with_the_documented_production_settings(installed_projects):
    _framework, project, bin_dir = installed_projects(Framework.DJANGO)
    settings = env_example(project)
    settings["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    output = run_in(
        project,
        "python manage.py check --deploy --fail-level WARNING",
        project_env(bin_dir, **settings),
    )
    assert "no issues" in output


@pytest.mark.e2e
def test_flask_production_session_cookie_is_secure_httponly_lax(installed_projects, tmp_path):
    _framework, project, bin_dir = installed_projects(Framework.FLASK)
    env = project_env(bin_dir, **production_env(Framework.FLASK, free_port(), tmp_path))
    keys = ", ".join(f"c['SESSION_COOKIE_{name}']" for name in ("SECURE", "HTTPONLY", "SAMESITE"))
    code = f"from svc import create_app; c = create_app().config; print({keys})"
    assert run_in(project, f'python -c "{code}"', env).split() == ["True", "True", "Lax"]


@pytest.mark.e2e
def test_fastapi_cors_allows_only_the_configured_origins(installed_projects, tmp_path):
    _framework, project, bin_dir = installed_projects(Framework.FASTAPI)
    port = free_port()
    env = production_env(Framework.FASTAPI, port, tmp_path)
    env["CORS_ORIGINS"] = "https://app.example.com"
    server = start(project, FRAMEWORKS[Framework.FASTAPI].production_command.format(package="svc"),
                   project_env(bin_dir, **env))  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", server)
        url = f"http://127.0.0.1:{port}/health"
        allowed = _headers(url, "https://app.example.com")
        refused = _headers(url, "https://evil.example.net")
        assert allowed.get("access-control-allow-origin") == "https://app.example.com"
        assert "access-control-allow-origin" not in refused
        assert allowed.get("access-control-allow-credentials") != "true" or (
            allowed.get("access-control-allow-origin") != "*"
        )
    finally:
        stop(server)


def _headers(url: str, origin: str) -> dict[str, str]:
    import urllib.request

    request = urllib.request.Request(url, headers={"Origin": origin})
    with urllib.request.urlopen(request, timeout=10) as response:
        return {key.lower(): value for key, value in response.headers.items()}


def test_answers_file_records_answers_but_no_secret(workdir):
    run_scaffold(["new", "svc", "-y", "--no-git"], workdir)
    answers = yaml.safe_load((workdir / "svc" / ".copier-answers.yml").read_text())
    assert not any("secret" in key.lower() for key in answers)
