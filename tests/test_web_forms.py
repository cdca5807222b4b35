"""The page's form without JavaScript, answers in POST bodies, and errors in HTTP's words.

Everything here runs a real ``scaffold serve`` over loopback. The form
submissions are built from the real page's HTML exactly as a browser without
JavaScript would send them; the CLI's verdicts come from ``scaffold new`` itself.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest

from scaffold._cli import main
from scaffold.criteria import CRITERIA
from scaffold.options import SET_BY_SCAFFOLD, load_options
from webserver import CRITERIA_FOR, OWN_FILE, PAIRS, criteria_of, query, serving

pytestmark = pytest.mark.xdist_group("web-forms")

#: Words of the command line that no HTTP answer may use.
CLI_WORDS = re.compile(r"--[a-z]|\bNAME\b|(^|\s)-[do]\s|scaffold new|argument")
#: A problem the page shows next to its field: the field's key and the message.
SHOWN_ERROR = re.compile(r'data-error-for="([a-z_]+)" >([^<]+)</p>')


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("forms")) as running:
        yield running


class _Form(HTMLParser):
    """The controls of the page's ``answers`` form, and what a browser submits for them."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.pairs: list[tuple[str, str]] = []
        self.select: str | None = None
        self.first_option: str | None = None
        self.chosen: str | None = None
        self.disabled_buttons: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form" and found.get("id") == "answers":
            self.inside = True
        if not self.inside or ("disabled" in found and tag != "button"):
            return
        if tag == "input" and found.get("type") in ("text", "hidden"):
            self.pairs.append((found["name"], found.get("value", "")))
        elif tag == "input" and found.get("type") == "radio" and "checked" in found:
            self.pairs.append((found["name"], found["value"]))
        elif tag == "select":
            self.select, self.first_option, self.chosen = found["name"], None, None
        elif tag == "option" and self.select:
            self.first_option = self.first_option or found["value"]
            if "selected" in found:
                self.chosen = found["value"]
        elif tag == "button" and "disabled" in found:
            self.disabled_buttons.append(found.get("formaction", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            self.pairs.append((self.select, self.chosen or self.first_option or ""))
            self.select = None


def read_form(html: str) -> _Form:
    form = _Form()
    form.feed(html)
    return form


def submitted(form: _Form, changes: dict[str, str]) -> str:
    """The query a browser sends for ``form`` after the user made ``changes`` to its radios."""
    pairs = [(key, changes.get(key, value)) for key, value in form.pairs]
    return urlencode([(key, value) for key, value in pairs if value != ""])


def zip_names(body: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return archive.namelist()


@pytest.mark.parametrize("how", ["criteria", "override"])
@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_without_javascript_one_update_moves_between_any_two_frameworks(server, old, new, how):
    start = query(**CRITERIA_FOR[old]) if how == "criteria" else query(framework=old.value)
    page = server.get(f"/?{start}")
    assert page.status == 200
    form = read_form(page.text)
    assert ("options_for", old.value) in form.pairs
    changes = criteria_of(new) if how == "criteria" else {"framework": new.value}
    sent = submitted(form, changes)

    # Download pressed right away: the answers the old form sent are the new framework's.
    direct = server.get(f"/starter.zip?{sent}", accept="text/html,*/*;q=0.8")
    assert direct.status == 200, direct.text[:500]
    assert f"demo/{OWN_FILE[new]}" in zip_names(direct.body)

    updated = server.get(f"/?{sent}")  # "Update"
    assert updated.status == 200
    assert "needs fixing" not in updated.text and not SHOWN_ERROR.search(updated.text)
    assert f'data-path="{OWN_FILE[new]}"' in updated.text  # the preview shows the files
    fresh = read_form(updated.text)
    assert ("options_for", new.value) in fresh.pairs and fresh.disabled_buttons == []
    download = server.get(f"/starter.zip?{submitted(fresh, {})}")
    assert download.status == 200, download.text[:500]
    assert f"demo/{OWN_FILE[new]}" in zip_names(download.body)


def test_an_api_client_that_names_an_option_the_framework_does_not_ask_is_refused(server):
    for answers in [
        {"framework": "django", "auth": "no"},
        {"size": "large", "builtins": "yes", "auth": "no"},
        {"framework": "django", "auth": "no", "options_for": "django"},
    ]:
        response = server.get(f"/api/preview?{query(**answers)}")
        assert response.status == 400
        assert response.json()["errors"][0]["field"] == "auth"
    # Only what a form shown for another framework sent is dropped, and only what this one refuses.
    dropped = server.get(
        f"/api/preview?{query(framework='django', auth='no', options_for='flask')}"
    )
    assert dropped.status == 200 and "auth" not in dropped.json()["options"]
    kept = query(framework="fastapi", auth="yes", options_for="flask")
    assert server.get(f"/api/preview?{kept}").json()["options"]["auth"] is True
    # A form names the framework its fields were drawn for; any other value drops nothing.
    for shown_for in ["nonsense", "", "FLASK"]:
        forged = server.get(
            f"/api/preview?{query(framework='django', auth='no', options_for=shown_for)}"
        )
        assert forged.status == 400, shown_for
        (error,) = forged.json()["errors"]
        assert error["field"] == "options_for", error
        expected = r"options_for=\S* is not one of: django, flask, fastapi"
        assert re.fullmatch(expected, error["message"]), error
        page = server.get(f"/?{query(framework='django', auth='no', options_for=shown_for)}")
        assert page.status == 200 and "is not one of: django, flask, fastapi" in page.text


def test_the_page_shows_each_problem_next_to_its_field_and_offers_no_download(server):
    answers = {"package_name": "1abc", "author_email": "nope", "size": "huge", "colour": "red"}
    page = server.get(f"/?{query(**answers)}")
    slots = dict(SHOWN_ERROR.findall(page.text))
    assert set(slots) == {"package_name", "author_email", "size"}, slots
    assert "author_email" in slots["author_email"] and "huge" in slots["size"]
    assert "unknown question &#39;colour&#39;" in page.text  # no field of its own: above them
    assert sorted(read_form(page.text).disabled_buttons) == ["/starter.tar.gz", "/starter.zip"]
    # A bad name is reported alone, as the CLI reports it, next to the name.
    named = dict(SHOWN_ERROR.findall(server.get(f"/?{query(name='class', size='huge')}").text))
    assert list(named) == ["name"] and "keyword" in named["name"]
    assert read_form(server.get("/").text).disabled_buttons == []


CJK_990 = "説" * 990


@pytest.mark.parametrize("endpoint", ["/starter.zip", "/starter.tgz", "/api/preview"])
def test_answers_may_be_posted_as_a_form_or_json(server, endpoint):
    answers = {"name": "shop", "framework": "fastapi", "auth": "yes", "description": CJK_990}
    by_get = server.get(f"{endpoint}?{query(**answers)}")
    assert by_get.status == 200
    as_form = server.request(
        endpoint, method="POST", body=urlencode(answers).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    as_json = server.request(
        endpoint, method="POST", body=json.dumps({**answers, "auth": True}).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )  # fmt: skip
    for posted in (as_form, as_json):
        assert posted.status == 200, posted.text[:300]
        if endpoint == "/api/preview":
            assert posted.json() == by_get.json()
        else:
            assert posted.headers["content-disposition"] == by_get.headers["content-disposition"]


def test_recommend_takes_a_posted_body_too(server):
    answers = {"size": "large", "builtins": "yes"}
    expected = server.get(f"/api/recommend?{query(**answers)}").json()
    posted = server.request(
        "/api/recommend", method="POST", body=json.dumps(answers).encode(),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert posted.json() == expected


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"x" * (64 * 1024 + 1), {"content-type": "application/json"}, 413),
        (b"[1, 2]", {"content-type": "application/json"}, 400),
        (b"{not json", {"content-type": "application/json"}, 400),
        (b'{"size": ["large"]}', {"content-type": "application/json"}, 400),
        (b"size=large", {"content-type": "text/plain"}, 415),
        (b"\xff\xfe", {"content-type": "application/x-www-form-urlencoded"}, 400),
    ],
)
def test_bodies_that_are_not_answers_get_one_line(server, body, headers, status):
    response = server.request("/api/preview", method="POST", body=body, headers=headers)
    assert response.status == status
    assert list(response.json()) == ["error"] and "\n" not in response.json()["error"]


def test_a_chunked_body_is_bounded_as_it_arrives(server):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    chunks = (b"description=" + b"x" * 8192 for _ in range(10))
    connection.request(
        "POST", "/api/preview", body=chunks, encode_chunked=True,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    response = connection.getresponse()
    assert response.status == 413
    connection.close()


#: Odd spellings of good values and plainly bad ones, for every key.
def _odd_values() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for question in CRITERIA:
        default = str(question.default)
        rows += [(question.key, default.upper()), (question.key, f" {default} ")]
    rows += [("size", "huge"), ("builtins", "   "), ("app_type", "Both")]
    for option in load_options():
        if option.key in SET_BY_SCAFFOLD:
            continue
        values = [str(value) for _label, value, _rule in option.choices]
        if option.type == "bool":
            values = ["YES", "True", "maybe"]
        rows += [(option.key, value.title()) for value in values[:2]]
        rows += [(option.key, "nonsense")]
    rows += [
        ("description", "two\nlines"), ("description", " padded "), ("description", CJK_990),
        ("author_email", "A@Example.COM"), ("author_email", " a@example.com"),
        ("author_name", "   "), ("package_name", "Shop"), ("package_name", "class"),
        ("size", ""), ("auth", ""), ("database", ""), ("description", ""), ("author_email", ""),
        ("framework", "flask"), ("framework", "FLASK"), ("framework", " fastapi"),
        ("framework", "Django"), ("framework", "rails"),
        ("name", "shop"), ("name", "Shop Co"), ("name", "../up"), ("name", "class"),
    ]  # fmt: skip
    return rows


def _cli_accepts(key: str, value: str, out: Path, monkeypatch, capsys) -> bool:
    """Whether ``scaffold new --no-git`` accepts the answer (run in this process)."""
    name = value if key == "name" else "demo"
    extra = {"name": [], "framework": ["--framework", value]}.get(key, ["-d", f"{key}={value}"])
    try:
        code = main(["new", name, "--no-git", "--defaults", "--output-dir", str(out), *extra])
    except SystemExit as stop:  # argparse refusing --framework
        code = stop.code if isinstance(stop.code, int) else 2
    capsys.readouterr()
    return code == 0


def test_http_accepts_exactly_what_the_cli_accepts(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    differ, verdicts = [], set()
    for number, (key, value) in enumerate(_odd_values()):
        out = tmp_path / f"out-{number}"
        out.mkdir()
        cli = _cli_accepts(key, value, out, monkeypatch, capsys)
        verdicts.add(cli)
        http = server.request(f"/starter.zip?{urlencode({key: value})}", method="HEAD").status
        if (http == 200) != cli:
            differ.append(f"{key}={value!r}: CLI {'accepts' if cli else 'refuses'}, HTTP {http}")
    assert differ == []
    assert verdicts == {True, False}, "the table holds answers of both kinds"


BAD_QUERIES = [
    {"name": "../escape"}, {"name": "class"}, {"name": "a/b"}, {"name": "   "},
    {"name": "x" * 300}, {"name": "-x"}, {"project_name": "x"}, {"framework": "FLASK"},
    {"package_name": "a" * 80}, {"package_name": "1abc"}, {"sise": "large"},
    {"framework": "django", "database": "none"}, {"framework": "django", "auth": "no"},
    {"postgres_version": "16"}, {"author_email": "nope"}, {"description": "two\nlines"},
    {"name": "flask"},
]  # fmt: skip


@pytest.mark.parametrize("answers", BAD_QUERIES, ids=lambda answers: urlencode(answers)[:40])
def test_errors_speak_http_and_name_their_fields(server, answers):
    for endpoint in ("/starter.zip", "/api/preview"):
        for response in (
            server.get(f"{endpoint}?{query(**answers)}"),
            server.request(
                endpoint,
                method="POST",
                body=json.dumps(answers).encode(),
                headers={"content-type": "application/json"},
            ),
        ):
            assert response.status == 400, response.text[:300]
            body = response.json()
            assert not CLI_WORDS.search(response.text), body["error"]
            assert [error["message"] for error in body["errors"]] == body["problems"]
            fields = {error["field"] for error in body["errors"]}
            assert fields <= {*answers, None}, fields
            assert fields - {None}, body  # at least one problem is placed at a field
    page = server.get(f"/?{query(**answers)}")
    assert not CLI_WORDS.search(page.text.split("<footer>")[0]), page.text


def test_every_other_error_speaks_http_too(server):
    answers = [
        server.get("/api/recommend?framework=flask"),
        server.get("/api/recommend?size=HUGE"),
        server.get("/starter.rar"),
        server.get("/api/preview/nothing.txt"),
        server.request("/", method="DELETE"),
        server.request("/api/preview", method="GET", body=b"size=large"),
        server.get("/api/metadata?name=../up"),
        server.get("/ui/state?name=../up&framework=Flask"),
    ]
    assert [answer.status for answer in answers] == [400, 400, 404, 404, 405, 413, 400, 200]
    for answer in answers:
        assert not CLI_WORDS.search(answer.text), answer.text
