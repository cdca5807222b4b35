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
