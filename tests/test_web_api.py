"""The HTTP API of ``scaffold serve``, on a real server over loopback, against the real CLI.

Every answer is checked by the same functions as on the command line, so each
comparison here runs both: the API's JSON must equal ``scaffold recommend
--json``, its archive the project ``scaffold new`` writes, its errors the
CLI's error message.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from helpers import run_scaffold
from scaffold.answers import ci_is_set
from scaffold.criteria import CRITERIA
from scaffold.frameworks import Framework
from scaffold.options import SET_BY_SCAFFOLD, load_options
from scaffold.web.selection import http_words
from webserver import query, serving

pytestmark = pytest.mark.xdist_group("web-api")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("api")) as running:
        yield running
        assert running.render_dirs() == [], "a render left its directory behind"


def cli_error(result) -> str:
    """The message of the CLI's one-line error."""
    assert result.returncode == 2, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("scaffold: error:")]
    return line.removeprefix("scaffold: error: ")


def data_args(answers: dict[str, str]) -> list[str]:
    return [argument for key, value in answers.items() for argument in ("-d", f"{key}={value}")]


def test_health(server):
    response = server.get("/health")
    assert response.status == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["renders"] == {"workers": 2, "rendering": 0, "waiting": 0}


def test_metadata_describes_every_question_choice_and_framework(server):
    body = server.get("/api/metadata").json()
    assert [entry["key"] for entry in body["criteria"]] == [q.key for q in CRITERIA]
    for entry, question in zip(body["criteria"], CRITERIA, strict=True):
        assert entry["question"] == question.message and entry["help"] == question.help
        assert entry["default"] == question.default
        assert [c["value"] for c in entry["choices"]] == list(question.values)
        assert all(c["label"] for c in entry["choices"])
    options = {entry["key"]: entry for entry in body["options"]}
    expected = [option.key for option in load_options() if option.key not in SET_BY_SCAFFOLD]
    assert list(options) == expected
    assert all(entry["help"] for entry in options.values())
    assert [c["value"] for c in body["framework"]["choices"]] == [f.value for f in Framework]
    assert body["archives"] == ["zip", "tar.gz"]
    # Defaults and rules per framework, as the CLI would apply them.
    assert options["package_name"]["default"] == {f.value: "demo" for f in Framework}
    assert options["description"]["default"]["fastapi"] == "A FastAPI web application"
    assert options["postgres_version"]["applies_when"] == "database == 'postgresql'"
    assert options["postgres_version"]["applies_to"] == "PostgreSQL projects"
    (no_database,) = [c for c in options["database"]["choices"] if c["value"] == "none"]
    assert list(no_database["unavailable"]) == ["django"]
    assert server.get("/api/metadata?name=My-Shop").json()["options"][0]["default"] == {
        f.value: "my_shop" for f in Framework
    }


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"size": "large", "builtins": "yes"},
        {"app_type": "api", "performance": "high", "concurrency": "high", "api_docs": "true"},
        {"experience": "beginner", "structure": "freedom", "size": "prototype"},
    ],
)
def test_recommend_answers_what_the_cli_prints(server, workdir, answers):
    response = server.get(f"/api/recommend?{query(**answers)}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    cli = run_scaffold(["recommend", "--json", "-y", *data_args(answers)], workdir)
    assert cli.returncode == 0, cli.stderr
    assert response.json() == json.loads(cli.stdout)


@pytest.mark.parametrize(
    "answers",
    [
        {"sise": "large"},
        {"size": "huge", "builtins": "maybe"},
        {"framework": "django"},
        {"size": "small", "database": "sqlite"},
    ],
)
def test_recommend_refuses_what_the_cli_refuses(server, workdir, answers):
    response = server.get(f"/api/recommend?{query(**answers)}")
    assert response.status == 400
    body = response.json()
    assert body["error"] == http_words(
        cli_error(run_scaffold(["recommend", "--json", "-y", *data_args(answers)], workdir))
    )
    assert len(body["problems"]) >= 1 and all(isinstance(p, str) for p in body["problems"])


def pretend_files(workdir: Path, name: str, framework: str, answers: dict[str, str]) -> list[str]:
    args = ["new", name, "-y", "--framework", framework, "--pretend", *data_args(answers)]
    result = run_scaffold(args, workdir)
    assert result.returncode == 0, result.stderr
    # Lines of the plan: "  STATUS    PATH".
    return [line.split()[-1] for line in result.stdout.splitlines() if line.startswith("  ")]


@pytest.mark.parametrize(
    ("framework", "answers"),
    [
        ("flask", {}),
        ("django", {"database": "postgresql", "ci": "gitlab"}),
        ("fastapi", {"auth": "yes", "docker": "no", "license": "proprietary"}),
    ],
)
def test_preview_lists_the_files_the_cli_would_write_except_env(
    server, workdir, framework, answers
):
    response = server.get(f"/api/preview?{query(name='demo', framework=framework, **answers)}")
    assert response.status == 200, response.text
    body = response.json()
    assert body["name"] == "demo" and body["framework"] == framework
    paths = [entry["path"] for entry in body["files"]]
    assert paths == [p for p in pretend_files(workdir, "demo", framework, answers) if p != ".env"]
    assert all(
        entry["size"] > 0 or entry["path"].endswith("__init__.py") for entry in body["files"]
    )


def cli_project(parent: Path, name: str, framework: str, answers: dict[str, str]) -> Path:
    args = ["new", name, "-y", "--framework", framework, "--no-git", *data_args(answers)]
    result = run_scaffold(args, parent)
    assert result.returncode == 0, result.stderr
    return parent / name


def unpack_zip(data: bytes) -> dict[str, tuple[bytes, int]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {
            info.filename: (archive.read(info), info.external_attr >> 16)
            for info in archive.infolist()
            if not info.is_dir()
        }


def unpack_tar(data: bytes) -> dict[str, tuple[bytes, int]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        found = {}
        for member in archive.getmembers():
            assert member.uid == 0 and member.uname == "", "the server user leaks into the tar"
            if member.isfile():
                extracted = archive.extractfile(member)
                assert extracted is not None
                found[member.name] = (extracted.read(), member.mode)
        return found


@pytest.mark.parametrize(("suffix", "unpack"), [("zip", unpack_zip), ("tar.gz", unpack_tar)])
@pytest.mark.parametrize(
    ("framework", "answers"),
    [("flask", {"description": "Shop front"}), ("django", {"database": "postgresql"})],
)
def test_archive_holds_the_cli_project_under_name_without_its_env(
    server, tmp_path, framework, answers, suffix, unpack
):
    response = server.get(
        f"/starter.{suffix}?{query(name='my-shop', framework=framework, **answers)}"
    )
    assert response.status == 200, response.text
    expected_type = "application/zip" if suffix == "zip" else "application/gzip"
    assert response.headers["content-type"] == expected_type
    assert response.headers["content-disposition"] == f'attachment; filename="my-shop.{suffix}"'
    members = unpack(response.body)
    project = cli_project(tmp_path, "my-shop", framework, answers)
    written = {
        f"my-shop/{path.relative_to(project).as_posix()}": path
        for path in project.rglob("*")
        if path.is_file()
    }
    assert "my-shop/.env" in written and "my-shop/.env" not in members
    del written["my-shop/.env"]
    assert sorted(members) == sorted(written)
    for name, path in written.items():
        content, mode = members[name]
        assert content == path.read_bytes(), name
        assert mode & 0o111 == path.stat().st_mode & 0o111, f"{name}: executable bit differs"


def test_without_a_framework_the_recommended_one_is_rendered(server):
    body = server.get(f"/api/preview?{query(size='large', builtins='yes')}").json()
    assert body["framework"] == body["recommended"] == "django"
    assert "manage.py" in [entry["path"] for entry in body["files"]]
    assert body["name"] == "demo"


def test_empty_values_mean_not_given(server):
    body = server.get("/api/preview?name=&framework=&description=").json()
    assert body["framework"] == "flask" and body["name"] == "demo"
    assert body["options"]["description"] == "A Flask web application"


def test_an_empty_choice_is_refused_as_the_cli_refuses_it(server):
    body = server.get("/api/preview?size=").json()
    assert body["errors"] == [
        {"field": "size", "message": "size='' is not one of: prototype, small, medium, large"}
    ]


@pytest.mark.parametrize(
    ("name", "framework", "answers"),
    [
        ("demo", None, {"sise": "large"}),
        ("demo", None, {"size": "huge", "database": "mongo", "auth": "maybe"}),
        ("demo", "django", {"database": "none"}),
        ("demo", None, {"size": "large", "builtins": "yes", "database": "none"}),
        ("demo", "flask", {"postgres_version": "16"}),
        ("demo", "flask", {"author_email": "nope", "description": "two\nlines"}),
        ("demo", None, {"project_name": "x"}),
        ("../escape", "flask", {}),
        ("class", "flask", {}),
        ("demo", "flask", {"package_name": "1abc"}),
    ],
)
@pytest.mark.parametrize("endpoint", ["/starter.zip", "/starter.tar.gz", "/api/preview"])
def test_bad_answers_get_400_with_the_cli_message(
    server, workdir, endpoint, name, framework, answers
):
    given = {"name": name, **({"framework": framework} if framework else {}), **answers}
    response = server.get(f"{endpoint}?{query(**given)}")
    assert response.status == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    framework_args = ["--framework", framework] if framework else []
    cli = run_scaffold(
        ["new", name, "-y", "--no-git", *framework_args, *data_args(answers)], workdir
    )
    assert body["error"] == http_words(cli_error(cli))  # the CLI's message, in HTTP's words
    assert body["problems"], body
    assert list(workdir.iterdir()) == [], "the CLI wrote something for bad answers"


def test_an_unknown_framework_is_named_with_the_valid_ones(server):
    body = server.get("/starter.zip?framework=rails&size=huge").json()
    assert body["problems"] == [
        "framework=rails is not one of: django, flask, fastapi",
        "size=huge is not one of: prototype, small, medium, large",
    ]


def test_a_repeated_key_keeps_its_last_value_like_repeated_data(server):
    body = server.get("/api/preview?framework=django&framework=fastapi").json()
    assert body["framework"] == "fastapi"


def test_a_browser_form_submit_with_bad_answers_gets_the_page_back(server):
    response = server.get("/starter.zip?name=demo&size=huge", accept="text/html,*/*;q=0.8")
    assert response.status == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "size=huge is not one of: prototype, small, medium, large" in response.text
    assert '<form id="answers"' in response.text


def test_one_file_of_the_preview(server):
    response = server.get(f"/api/preview/README.md?{query(name='demo', framework='fastapi')}")
    assert response.status == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.text.startswith("# demo")
    nested = server.get("/api/preview/demo/main.py?name=demo&framework=fastapi")
    assert nested.status == 200 and "FastAPI" in nested.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/preview/nope.txt",
        "/api/preview/..%2F..%2Fetc%2Fpasswd",
        "/api/preview/%2Fetc%2Fpasswd",
    ],
)
def test_files_outside_the_project_are_not_found(server, path):
    response = server.get(f"{path}?framework=flask")
    assert response.status == 404
    assert "no file" in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "status"),
    [("/starter.rar", 404), ("/nope", 404), ("/api/nope", 404)],
)
def test_unknown_addresses_answer_json(server, path, status):
    response = server.get(path)
    assert response.status == status
    assert "error" in response.json()


DOC = Path(__file__).resolve().parent.parent / "docs" / "web.md"
DOC_PORT = "http://127.0.0.1:8000"


def doc_examples() -> list[tuple[str, object]]:
    """Each ``curl`` line of docs/web.md, with the JSON block shown after it (or None)."""
    text = DOC.read_text(encoding="utf-8")
    found: list[tuple[str, object]] = []
    for block in re.finditer(r"```(bash|json)\n(.*?)```", text, re.DOTALL):
        kind, body = block.groups()
        if kind == "bash":
            found += [(line, None) for line in body.splitlines() if line.startswith("curl ")]
        elif found and found[-1][1] is None:
            found[-1] = (found[-1][0], json.loads(body))
    return found


def matches(shown: object, live: object) -> bool:
    """Whether the docs' sample agrees with the live answer; "..." stands for what is left out."""
    if shown == "...":
        return True
    if isinstance(shown, dict) and isinstance(live, dict):
        return all(k == "..." or (k in live and matches(v, live[k])) for k, v in shown.items())
    if isinstance(shown, list) and isinstance(live, list):
        if shown and shown[-1] == "...":
            shown, live = shown[:-1], live[: len(shown) - 1]
        return len(shown) == len(live) and all(map(matches, shown, live))
    if isinstance(shown, str) and isinstance(live, str) and "..." in shown:
        position = 0
        for part in shown.split("..."):
            position = live.find(part, position)
            if position < 0:
                return False
            position += len(part)
        return True
    return shown == live


def curl_or_skip() -> str:
    """curl's path; CI must have it (``.ci/run`` installs it), elsewhere its tests skip."""
    curl = shutil.which("curl")
    if curl is None:
        if ci_is_set():
            pytest.fail("curl is missing: .ci/run installs it")
        pytest.skip("curl is not installed")
    return curl


def test_every_curl_example_of_the_docs_answers_as_shown(server, tmp_path):
    curl = curl_or_skip()
    examples = doc_examples()
    assert len(examples) >= 8
    for line, shown in examples:
        command, _, comment = line.partition("#")
        expected = int(comment.strip()) if comment.strip().isdigit() else 200
        args = shlex.split(command.replace(DOC_PORT, server.url))
        result = subprocess.run(
            [curl, *args[1:], "-s", "-w", "\n%{http_code}"],
            cwd=tmp_path, capture_output=True, text=True, check=False,
        )  # fmt: skip
        *body, status = result.stdout.splitlines()
        assert int(status) == expected, f"{line}: {result.stdout[-500:]}"
        if shown is not None:
            assert matches(shown, json.loads("\n".join(body))), (
                f"docs/web.md is out of date: {line}"
            )
    for archive in ("shop.zip", "api.tar.gz", "svc.tgz"):  # written by the curl -OJ examples
        assert (tmp_path / archive).stat().st_size > 1000


def _saving_curl_lines(text: str) -> list[str]:
    """The curl command lines of ``text`` that write what they get to a file (``-O``/``-o``)."""
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("curl ")]
    return [
        line
        for line in lines
        if any(re.fullmatch(r"-[a-zA-Z]*[Oo][a-zA-Z]*", arg) for arg in shlex.split(line)[1:])
    ]


def test_every_download_example_fails_loudly_and_saves_nothing_on_an_error(server, tmp_path):
    """README, docs, ``serve --help`` and the text page: ``curl -f``, so no JSON error as a zip."""
    curl = curl_or_skip()
    root = DOC.parent.parent
    texts = [(root / "README.md").read_text(encoding="utf-8")]
    texts += [path.read_text(encoding="utf-8") for path in sorted((root / "docs").glob("*.md"))]
    texts.append(server.get("/", **{"User-Agent": "curl/8.5.0", "Accept": "*/*"}).text)
    examples = [line for text in texts for line in _saving_curl_lines(text)]
    assert len(examples) >= 6
    for line in examples:
        args = shlex.split(line.split(" #")[0].replace(DOC_PORT, server.url))
        assert any(re.fullmatch(r"-[a-zA-Z]*f[a-zA-Z]*", arg) for arg in args), line
        # The same download with an answer the server refuses: an error, and no file.
        broken = [re.sub(r"(starter\.[a-z.]+\?)", r"\1sise=huge&", arg) for arg in args]
        if broken == args:  # the answers are posted
            broken = [*args, "-d", "sise=huge"]
        scratch = tmp_path / str(len(list(tmp_path.iterdir())))
        scratch.mkdir()
        result = subprocess.run(
            [curl, *broken[1:], "-s"], cwd=scratch, capture_output=True, check=False
        )
        assert result.returncode == 22, line  # curl's exit code for an HTTP error with -f
        assert list(scratch.iterdir()) == [], line


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/static/scaffold.js", "text/javascript"),
        ("/static/scaffold.css", "text/css"),
        ("/static/favicon.svg", "image/svg+xml"),
    ],
)
def test_the_page_assets_ship_with_the_package(server, path, media_type):
    """In CI scaffold is installed from its wheel: these come from inside the package."""
    response = server.get(path)
    assert response.status == 200
    assert response.headers["content-type"].startswith(media_type)
    page = server.get("/").text
    assert f'"{path}"' in page


@pytest.mark.parametrize("agent", ["curl/8.5.0", "HTTPie/3.2.4", "Wget/1.21"])
def test_command_line_clients_get_a_text_summary_of_every_parameter(server, agent):
    response = server.get("/", **{"User-Agent": agent, "Accept": "*/*"})
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    meta = server.get("/api/metadata").json()
    keys = ["name", "framework", *(c["key"] for c in meta["criteria"])]
    keys += [option["key"] for option in meta["options"]]
    for key in keys:
        assert re.search(rf"^  {re.escape(key)} ", text, re.MULTILINE), key
    for criterion in meta["criteria"]:
        for choice in criterion["choices"]:
            assert choice["value"] in text
    assert "curl -fOJ" in text and f"{server.url}/starter.tgz" in text
    # A browser (or a client asking for HTML) still gets the page.
    page = server.get("/", **{"User-Agent": agent, "Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")


def test_starter_tgz_is_the_tar_gz_archive_under_its_own_name(server):
    answers = query(name="svc", framework="flask")
    tgz = server.get(f"/starter.tgz?{answers}")
    assert tgz.status == 200
    assert tgz.headers["content-type"] == "application/gzip"
    assert tgz.headers["content-disposition"] == 'attachment; filename="svc.tgz"'
    tar_gz = server.get(f"/starter.tar.gz?{answers}")

    def members(body: bytes) -> dict[str, bytes]:
        with tarfile.open(fileobj=io.BytesIO(body)) as archive:
            return {
                member.name: archive.extractfile(member).read()
                for member in archive.getmembers()
                if member.isfile()
            }

    assert members(tgz.body) == members(tar_gz.body)
    assert server.get("/starter.rar").status == 404


def test_head_checks_the_answers_and_renders_nothing(tmp_path):
    # With a render time limit no render can meet, any render would answer 503.
    with serving(tmp_path, "--timeout", "0.01", workers=1) as slow:
        assert slow.get("/starter.zip").status == 503
        head = slow.request("/starter.zip?name=shop", method="HEAD")
        assert head.status == 200 and head.body == b""
        assert head.headers["content-disposition"] == 'attachment; filename="shop.zip"'
        assert slow.request("/starter.zip?sise=large", method="HEAD").status == 400
        assert slow.request("/?size=large", method="HEAD").status == 200
        slow.wait_ready(1)  # the worker the 503 render stopped is replaced
        workers = slow.workers()
        for path in ["/api/preview", "/api/preview/README.md", "/ui/files"]:
            head = slow.request(f"{path}?name=shop&framework=fastapi", method="HEAD")
            assert (head.status, head.body) == (200, b""), path
        assert slow.request("/api/preview/README.md?sise=large", method="HEAD").status == 400
        assert slow.request("/api/preview?framework=FLASK", method="HEAD").status == 400
        assert slow.workers() == workers  # no render ran past its limit
        assert slow.render_dirs() == []


def test_metadata_has_an_etag_and_answers_304_when_it_has_not_changed(server):
    first = server.get("/api/metadata?name=shop")
    tag = first.headers["etag"]
    assert first.status == 200 and tag.startswith('"')
    assert first.headers["cache-control"] == "private, no-cache"
    again = server.get("/api/metadata?name=shop", **{"If-None-Match": tag})
    assert again.status == 304 and again.body == b"" and again.headers["etag"] == tag
    other = server.get("/api/metadata?name=blog", **{"If-None-Match": tag})
    assert other.status == 200 and other.headers["etag"] != tag


def test_the_viewer_highlights_a_file_with_line_numbers_and_a_download_link(server):
    answers = query(name="demo", framework="flask")
    page = server.get(f"/?{answers}&file=demo/config.py").text
    viewer = page[page.index('<section id="viewer"') :]
    viewer = viewer[: viewer.index("</section>")]
    source = server.get(f"/api/preview/demo/config.py?{answers}").text
    # Server-side markup: one span per line, Pygments' classes for Python keywords.
    assert viewer.count('<span id="L-') == len(source.splitlines())
    assert '<span class="k">' in viewer or '<span class="kn">' in viewer
    assert "<script" not in viewer
    (link,) = re.findall(r'<a class="button" href="([^"]+)" download="config.py">', viewer)
    downloaded = server.get(link.replace("&amp;", "&"))
    assert downloaded.status == 200 and downloaded.text == source
    css = server.get("/highlight.css")
    assert css.headers["content-type"].startswith("text/css")
    assert ".code .k" in css.text and "@media (prefers-color-scheme: dark)" in css.text


def test_the_viewer_escapes_what_it_highlights(server):
    hostile = "<img src=x onerror=alert(1)>"
    answers = query(name="demo", framework="flask", description=hostile)
    page = server.get(f"/?{answers}&file=pyproject.toml").text
    viewer = page[page.index('<section id="viewer"') :]
    viewer = viewer[: viewer.index("</section>")]
    assert 'id="L-1"' in viewer
    assert "<img src=x" not in viewer and "&lt;img src=x" in viewer


#: The longest free texts the command line accepts, in characters of 3 and 4 bytes.
NAME = "x" * 50
LONGEST = {
    "package_name": "p" * 30,
    "description": "漢字" * 250 + "🙂" * 500,
    "author_name": "名" * 200,
    "author_email": "a" * 242 + "@example.com",
}


def test_the_longest_answers_the_cli_accepts_are_accepted_over_http(server, workdir):
    cli = run_scaffold(["new", NAME, "--pretend", "--defaults", *data_args(LONGEST)], workdir)
    assert cli.returncode == 0, cli.stderr
    response = server.get(f"/api/preview?{query(name=NAME, **LONGEST)}")
    assert response.status == 200, response.text[:300]
    for key, value in [("author_name", "名" * 201), ("author_email", "a" * 243 + "@example.com")]:
        too_long = {**LONGEST, key: value}
        refused = server.get(f"/api/preview?{query(name=NAME, **too_long)}")
        assert refused.status == 400
        cli = run_scaffold(["new", NAME, "--pretend", "--defaults", *data_args(too_long)], workdir)
        assert refused.json()["error"] == cli_error(cli)
