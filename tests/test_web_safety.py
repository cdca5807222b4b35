"""``scaffold serve`` under hostile input and pressure: escaping, limits, time-outs, clean-up.

Real servers on loopback; the busy and time-out cases get servers of their own
with tight limits, so that the limits are what is tested, not the machine's speed.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest

from helpers import clean_env, free_port, run_scaffold, scaffold_command
from scaffold.distribution import installation
from scaffold.errors import ArchiveError
from scaffold.web.app import MAX_BODY_BYTES, MAX_QUERY_BYTES
from scaffold.web.archive import member_name, members, pack
from scaffold.web.server import allowed_hosts, exposure_warning
from webserver import query, serving, start_server

pytestmark = pytest.mark.xdist_group("web-safety")

HOSTILE = "<script>alert('x')</script> \"' {{ 7*7 }} {% raw %} $(touch PWNED) `touch PWNED` ${HOME}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("safety")) as running:
        yield running


def test_every_response_carries_the_security_headers(server):
    for path in ["/", "/api/metadata", "/health", "/static/scaffold.js", "/nope"]:
        headers = server.get(path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "server" not in headers


def test_answers_are_escaped_wherever_the_page_shows_them(server):
    given = {"description": HOSTILE, "author_name": HOSTILE, "<img src=x onerror=alert(1)>": "1"}
    page = server.get(f"/?{query(**given)}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page  # echoed in the form
    assert "unknown question &#39;&lt;img src=x onerror=alert(1)&gt;&#39;" in page  # in problems
    state = server.get(f"/ui/state?{query(**given)}").json()
    assert "<img src=x" not in state["problems"] and "&lt;img src=x" in state["problems"]


def test_answer_text_is_written_literally_and_never_run(server, tmp_path):
    description = HOSTILE.replace("<", "").replace(">", "")
    response = server.get(
        f"/starter.zip?{query(name='demo', framework='flask', description=description)}"
    )
    assert response.status == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        readme = archive.read("demo/README.md").decode()
        pyproject = archive.read("demo/pyproject.toml").decode()
    assert "{{ 7*7 }}" in readme and "$(touch PWNED)" in readme and "49" not in readme
    assert "$(touch PWNED)" in pyproject
    assert not list(server.tmp.rglob("PWNED")) and not Path("PWNED").exists()


def test_a_foreign_host_name_is_refused(server):
    """A page elsewhere that rebinds its DNS name to 127.0.0.1 must not reach the API."""
    assert server.get("/api/metadata", host="attacker.example").status == 400
    assert server.get("/api/metadata", host=f"localhost:{server.port}").status == 200
    assert server.get("/api/metadata", host=f"127.0.0.1:{server.port}").status == 200


def test_no_cross_origin_reads_are_allowed(server):
    headers = server.get("/api/metadata", origin="http://attacker.example").headers
    assert "access-control-allow-origin" not in headers


def test_request_size_is_bounded(server):
    long = server.get(f"/api/preview?description={'a' * (MAX_QUERY_BYTES + 1)}")
    assert long.status == 414 and "longer than" in long.json()["error"]
    with_body = server.request("/api/preview", method="GET", body=b"x" * 10)
    assert with_body.status == 413
    posted = server.request("/api/preview", method="POST", body=b"x" * (MAX_BODY_BYTES + 1))
    assert posted.status == 413 and "longer than" in posted.json()["error"]
    assert server.request("/", method="POST", body=b"").status == 405


def test_archive_names_cannot_leave_the_top_folder(tmp_path):
    for relative in ["../x", "/etc/passwd", "a/../../b", "a\\..\\b", "nul\0x", ""]:
        with pytest.raises(ArchiveError):
            member_name("demo", relative)
    for top in ["", ".", "..", "a/b"]:
        with pytest.raises(ArchiveError):
            member_name(top, "README.md")
    assert member_name("my shop", "src/app.py") == "my shop/src/app.py"
    root = tmp_path / "project"
    root.mkdir()
    (root / "ok.txt").write_text("ok")
    (root / "link").symlink_to("/etc/passwd")
    with pytest.raises(ArchiveError, match="symbolic link"):
        members(root, "demo")
    with pytest.raises(ArchiveError, match="symbolic link"):
        pack(root, "demo", "zip", date.today())


def test_every_served_archive_stays_under_its_name(server):
    for name in ["demo", "My Shop.2", "x"]:
        response = server.get(f"/starter.zip?{query(name=name)}")
        with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
            for info in archive.infolist():
                path = Path(info.filename)
                assert path.parts[0] == name and ".." not in path.parts and not path.is_absolute()
                assert not stat.S_ISLNK(info.external_attr >> 16)


def test_no_render_directory_outlives_its_request(server):
    threads = [
        threading.Thread(target=server.get, args=(f"/starter.zip?{query(name=f'p{i}')}",))
        for i in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    server.get("/starter.zip?size=huge")  # refused before any render
    server.get("/api/preview?framework=django&database=none")
    assert server.render_dirs() == []
    (scratch,) = server.scratch_dirs()
    assert stat.S_IMODE(scratch.stat().st_mode) == 0o700


def test_excess_requests_get_503_with_retry_after(tmp_path):
    with serving(tmp_path, "--queue", "0", workers=1) as server:
        count = 6
        connections = [http.client.HTTPConnection("127.0.0.1", server.port) for _ in range(count)]
        ready = threading.Barrier(count)
        results: list[tuple[int, str, bytes]] = []

        def fetch(index: int) -> None:
            connection = connections[index]
            connection.connect()
            ready.wait()  # every request is sent at once, while the one worker is busy
            connection.request("GET", f"/starter.zip?{query(name=f'p{index}')}")
            answer = connection.getresponse()
            results.append((answer.status, answer.getheader("retry-after") or "", answer.read()))
            connection.close()

        threads = [threading.Thread(target=fetch, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(status for status, _, _ in results)
        assert set(statuses) == {200, 503}, (statuses, server.output())
        for status, retry_after, body in results:
            if status == 503:
                assert retry_after == "1"
                assert "renders are busy" in json.loads(body)["error"]
            else:
                assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None
        assert server.render_dirs() == []
        assert server.get(f"/starter.zip?{query(name='after')}").status == 200


def test_a_render_past_its_time_limit_is_stopped_and_its_worker_replaced(tmp_path):
    with serving(tmp_path, "--timeout", "0.01", workers=1) as server:
        (worker,) = server.workers()
        response = server.get(f"/starter.zip?{query(name='slow')}")
        assert response.status == 503
        assert response.headers["retry-after"] == "1"
        assert "took longer than 0.01 s and was stopped" in response.json()["error"]
        assert server.render_dirs() == []
        server.wait_ready(1)
        (replacement,) = server.workers()
        assert replacement != worker and not Path(f"/proc/{worker}").exists()
        time.sleep(0.5)  # a worker that outlived its kill would write here now
        assert server.render_dirs() == []


def test_without_the_web_extra_it_says_how_to_install_it(workdir):
    probe = (
        "import sys; sys.modules['uvicorn'] = None\n"
        "from scaffold._cli import main\n"
        "sys.exit(main(['serve']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=workdir, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    message = result.stderr.strip()
    assert message.startswith(
        "scaffold: error: scaffold serve needs the web extra (uvicorn is not installed); "
        "install it with: "
    )
    # The hint adds the extra to this checkout's own install, editable (by hand) or not (CI).
    checkout = Path(__file__).resolve().parent.parent
    editable = "-e " if installation().editable else ""
    assert message.endswith(f" install {editable}'{checkout}[web]'"), message


def test_a_port_in_use_is_a_one_line_error(server, workdir):
    result = run_scaffold(["serve", "--port", str(server.port)], workdir, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"scaffold: error: cannot listen on 127.0.0.1:{server.port}: Address already in use; "
        "choose another --port or --host"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "argument --port: 70000 is out of range (0 to 65535)"),
        (["--port", "http"], "argument --port: 'http' is not a number"),
        (["--workers", "0"], "argument --workers: 0 is out of range (1 to 64)"),
        (["--timeout", "0"], "argument --timeout: 0 is out of range (0.01 or more)"),
        (["--host", "no such host.invalid"], "cannot listen on 'no such host.invalid'"),
    ],
)
def test_bad_options_are_one_line_errors(workdir, args, message):
    result = run_scaffold(["serve", *args], workdir, timeout=60)
    assert result.returncode in (1, 2)
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "parsed", "given", "given_parsed"),
    [
        ("--workers", "3", 3, "1", 1),
        ("--queue", "0", 0, "5", 5),
        ("--timeout", "2.5", 2.5, "1", 1.0),
        ("--request-timeout", "4", 4.0, "2", 2.0),
        ("--connections-per-client", "7", 7, "9", 9),
        ("--cache-size", "2M", 2 * 1024 * 1024, "1K", 1024),
    ],
)
def test_every_limit_comes_from_its_environment_variable_and_the_option_wins(
    monkeypatch, option, value, parsed, given, given_parsed
):
    from scaffold._cli import build_parser

    attribute = option.removeprefix("--").replace("-", "_")
    monkeypatch.setenv(f"SCAFFOLD_SERVE_{attribute.upper()}", value)
    assert getattr(build_parser().parse_args(["serve"]), attribute) == parsed
    assert getattr(build_parser().parse_args(["serve", option, given]), attribute) == given_parsed


def test_the_environment_sets_the_workers_and_the_time_limit_of_a_real_server(tmp_path):
    env = clean_env(TMPDIR=str(tmp_path), SCAFFOLD_SERVE_WORKERS="2", SCAFFOLD_SERVE_TIMEOUT="0.01")
    server = start_server(tmp_path, env=env)
    try:
        server.wait_ready(2)
        assert server.health()["renders"]["workers"] == 2
        busy = server.get(f"/starter.zip?{query(name='late')}")
        assert busy.status == 503 and busy.headers["retry-after"]
    finally:
        server.stop()


@pytest.mark.parametrize(
    "variable", ["SCAFFOLD_SERVE_WORKERS", "SCAFFOLD_SERVE_QUEUE", "SCAFFOLD_SERVE_TIMEOUT"]
)
def test_a_bad_value_in_the_environment_is_refused_as_the_option_would_be(tmp_path, variable):
    result = run_scaffold(["serve", "--port", "0"], tmp_path, env=clean_env(**{variable: "-5"}))
    assert result.returncode == 2
    option = variable.removeprefix("SCAFFOLD_SERVE_").lower()
    assert f"argument --{option}: -5 is out of range" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3 and "Traceback" not in result.stderr


@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::"])  # noqa: S104
def test_every_address_warns_checks_hosts_and_prints_an_address_that_answers(tmp_path, wildcard):
    server = start_server(
        tmp_path, "--host", wildcard, "--workers", "1", "--allowed-host", "Proxy.Example"
    )
    try:
        server.wait_ready(1)
        output = server.output()
        assert "scaffold: warning: listening on every network interface" in output
        (printed,) = re.findall(r"serving (http://\S+) ", output)
        with urllib.request.urlopen(f"{printed}health", timeout=10) as answer:
            assert answer.status == 200
        for host in ["127.0.0.1", "localhost", socket.gethostname(), "proxy.example"]:
            assert server.get("/api/metadata", Host=f"{host}:{server.port}").status == 200, host
        for host in ["evil.example", "127.0.0.1.evil.example", "rebind.example"]:
            response = server.get("/api/metadata", Host=host)
            assert response.status == 400, host
            assert b"author" not in response.body
    finally:
        server.stop()


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback")
@pytest.mark.parametrize("host", ["::1", "::"])
def test_an_ipv6_address_answers_by_its_bracketed_host_name(tmp_path, host):
    """A Host header writes an IPv6 address in brackets: ``[::1]:PORT`` must pass the check."""
    server = start_server(tmp_path, "--host", host, "--workers", "1")
    try:
        deadline = time.monotonic() + 60
        while not (printed := re.findall(r"serving (http://\S+) ", server.output())):
            assert server.process.poll() is None and time.monotonic() < deadline, server.output()
            time.sleep(0.1)
        for url in {printed[0], f"http://[::1]:{server.port}/"}:
            with urllib.request.urlopen(f"{url}api/metadata", timeout=10) as answer:
                assert answer.status == 200, url
        refused = http.client.HTTPConnection("::1", server.port, timeout=10)
        refused.request("GET", "/api/metadata", headers={"Host": "[2001:db8::1]"})
        assert refused.getresponse().status == 400
        refused.close()
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("host", "warned"),
    [("127.0.0.1", False), ("127.0.0.2", False), ("::1", False), ("localhost", False),
     ("0.0.0.0", True), ("::", True), ("192.0.2.10", True), ("myhost", True)],  # noqa: S104
)  # fmt: skip
def test_which_hosts_warn(host, warned):
    assert (exposure_warning(host) is not None) is warned
    accepted = allowed_hosts(host)
    assert "*" not in accepted and "evil.example" not in accepted
    assert {"127.0.0.1", "localhost", "::1"} <= set(accepted)
    if host in ("0.0.0.0", "::"):  # noqa: S104
        assert socket.gethostname().lower() in accepted


def test_open_starts_the_users_browser_on_the_page(tmp_path):
    record = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {record}\n')
    browser.chmod(0o755)
    port = free_port()
    env = clean_env(TMPDIR=str(tmp_path), BROWSER=str(browser))
    process = subprocess.Popen(
        [*scaffold_command(), "serve", "--port", str(port), "--open", "--workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not record.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert record.read_text().strip() == f"http://127.0.0.1:{port}/"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_the_page_works_with_a_hostile_file_name_in_its_url(server):
    page = server.get(f"/?file={quote('<script>x</script>')}")
    assert page.status == 200 and "<script>x" not in page.text


def test_workers_ignore_ctrl_c_sent_to_the_whole_terminal(server):
    """Ctrl-C in a terminal reaches every process of the group; workers leave it to the server."""
    for pid in server.workers():
        os.kill(pid, signal.SIGINT)
    time.sleep(0.5)
    assert len(server.workers()) == 2
    assert server.get(f"/starter.zip?{query(name='still')}").status == 200
