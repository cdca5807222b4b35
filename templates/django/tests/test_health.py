"""/health and /ready answer probes by IP address; every other path checks the host."""

import logging

import pytest
from django.test import Client, override_settings
from pytest_django import DjangoAssertNumQueries

PRODUCTION_HOSTS = ["example.com"]
# Nothing listens on port 1: a Redis server that is down.
REDIS_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}


@pytest.mark.parametrize("path", ["/health", "/ready"])
@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "10.0.0.7:8000"])
@pytest.mark.django_db
def test_probes_are_answered_whatever_the_host(
    client: Client, host: str, path: str
) -> None:
    with override_settings(ALLOWED_HOSTS=PRODUCTION_HOSTS, SECURE_SSL_REDIRECT=True):
        response = client.get(path, HTTP_HOST=host)

    assert response.status_code == 200


def test_health_says_ok(client: Client) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_health_logs_nothing(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with override_settings(ALLOWED_HOSTS=PRODUCTION_HOSTS):
        caplog.set_level(logging.INFO)
        client.get("/health", HTTP_HOST="127.0.0.1:8000")

    assert caplog.records == []


@pytest.mark.django_db
def test_other_paths_still_refuse_unknown_hosts(client: Client) -> None:
    with override_settings(ALLOWED_HOSTS=PRODUCTION_HOSTS):
        refused = client.get("/", HTTP_HOST="127.0.0.1:8000")
        served = client.get("/", HTTP_HOST="example.com")

    assert refused.status_code == 400
    assert served.status_code == 200


@pytest.mark.django_db
def test_health_leaves_the_database_alone(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(0):
        client.get("/health")


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_probes_accept_only_safe_methods(client: Client, path: str) -> None:
    assert client.post(path).status_code == 405


@pytest.mark.django_db
def test_ready_checks_the_database_every_time(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        response = client.get("/ready")

    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}
    assert "no-store" in response["Cache-Control"]
    assert client.head("/ready").status_code == 200


def test_ready_is_unavailable_without_its_database(client: Client) -> None:
    """Outside tests marked for the database, pytest-django refuses every query."""
    response = client.get("/ready")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable: RuntimeError"},
    }


@pytest.mark.django_db
def test_ready_checks_redis_when_it_is_configured(client: Client) -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0", CACHES=REDIS_DOWN):
        response = client.get("/ready")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unavailable: ConnectionError"},
    }
    assert "127.0.0.1" not in response.content.decode()
