import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape


def test_index_renders_the_home_page(app: Flask, client: FlaskClient) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert str(escape(app.config["PROJECT_NAME"])) in response.text
    assert "/static/style.css" in response.text


def test_static_stylesheet_is_served(client: FlaskClient) -> None:
    response = client.get("/static/style.css")

    assert response.status_code == 200
    assert response.mimetype == "text/css"
    response.close()


def test_health_answers_ok(client: FlaskClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "10.0.0.7:8000"])
def test_health_answers_probes_whatever_the_host(app: Flask, host: str) -> None:
    app.config["TRUSTED_HOSTS"] = ["example.com"]

    response = app.test_client().get("/health", headers={"Host": host})

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_other_paths_still_refuse_untrusted_hosts(app: Flask) -> None:
    app.config["TRUSTED_HOSTS"] = ["example.com"]
    client = app.test_client()

    assert client.get("/", headers={"Host": "127.0.0.1"}).status_code == 400
    assert client.post("/health", headers={"Host": "127.0.0.1"}).status_code == 400
    assert client.get("/", headers={"Host": "example.com"}).status_code == 200
