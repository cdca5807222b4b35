"""/health answers probes by IP address; every other path still checks the host."""

import logging

import pytest
from django.test import Client, override_settings
from pytest_django import DjangoAssertNumQueries

PRODUCTION_HOSTS = ["example.com"]


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "10.0.0.7:8000"])
def test_health_answers_probes_whatever_the_host(client: Client, host: str) -> None:
    with override_settings(ALLOWED_HOSTS=PRODUCTION_HOSTS, SECURE_SSL_REDIRECT=True):
        response = client.get("/health", HTTP_HOST=host)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


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


def test_health_accepts_only_safe_methods(client: Client) -> None:
    assert client.head("/health").status_code == 200
    assert client.post("/health").status_code == 405
