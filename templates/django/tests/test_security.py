"""Production safety, checked by starting Django the way a server would."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from dotenv import dotenv_values

PROJECT_DIR = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run manage.py in a new process whose Django configuration is `env`.

    Variables left out of `env` come from `.env`, as for the real server.
    """
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DJANGO_") and name != "DATABASE_URL"
    }
    return subprocess.run(  # noqa: S603 (fixed command, the current interpreter)
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "secret_key",
    ["", "change-me", "x" * 60, "django-insecure-" + secrets.token_urlsafe(50)],
    ids=["empty", "placeholder", "repetitive", "insecure-prefix"],
)
def test_refuses_to_start_with_an_unsafe_key_when_debug_is_off(
    secret_key: str,
) -> None:
    result = manage("check", DJANGO_DEBUG="false", DJANGO_SECRET_KEY=secret_key)

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY" in result.stderr


def test_debug_runs_without_a_key() -> None:
    result = manage("check", DJANGO_DEBUG="true", DJANGO_SECRET_KEY="")

    assert result.returncode == 0, result.stderr


def test_production_example_passes_the_deploy_check() -> None:
    example = dotenv_values(PROJECT_DIR / ".env.example")
    env = {name: value or "" for name, value in example.items()}
    assert "DJANGO_SECRET_KEY" in env
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)  # replaces "change-me"

    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_https_redirect_spares_the_health_check(client: Client) -> None:
    with override_settings(SECURE_SSL_REDIRECT=True):
        redirect = client.get("/")
        health = client.get("/health")

    assert redirect.status_code == 301
    assert redirect.url == "https://testserver/"
    assert health.status_code == 200
