"""The liveness check, which answers probes whatever the Host header."""

import pytest
from fastapi.testclient import TestClient


def test_health_says_ok(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "10.0.0.7:8000"])
def test_health_answers_probes_by_address(client: TestClient, host: str) -> None:
    response = client.get("/health", headers={"Host": host})

    assert response.status_code == 200


def test_other_paths_still_refuse_unknown_hosts(client: TestClient) -> None:
    assert client.get("/", headers={"Host": "127.0.0.1"}).status_code == 400
    assert client.get("/healthz", headers={"Host": "127.0.0.1"}).status_code == 400
