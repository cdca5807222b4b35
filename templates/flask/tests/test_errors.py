import pytest
from flask import Flask
from flask.testing import FlaskClient


def test_missing_page_renders_html_404(client: FlaskClient) -> None:
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "404 Not Found" in response.text
    assert 'href="/"' in response.text


def test_missing_page_answers_json_when_asked(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "application/json"})

    assert response.status_code == 404
    assert response.get_json()["error"] == "Not Found"


def test_wrong_method_keeps_allow_header(client: FlaskClient) -> None:
    response = client.post("/health")

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [("text/html", "text/html"), ("application/json", "application/json")],
)
def test_unhandled_exception_renders_500_without_details(
    app: Flask, accept: str, mimetype: str
) -> None:
    # Testing mode re-raises exceptions; production behaviour is wanted here.
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("internal detail")

    response = app.test_client().get("/boom", headers={"Accept": accept})

    assert response.status_code == 500
    assert response.mimetype == mimetype
    assert "Internal Server Error" in response.text
    assert "internal detail" not in response.text
