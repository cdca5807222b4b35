"""The Starlette application: the page, its fragments, the JSON API, the archives, /health.

Every render goes through the :class:`~scaffold.web.pool.RenderPool`, and an
archive already made comes from the :class:`~scaffold.web.cache.ArchiveCache`.
Every answer goes through :func:`~scaffold.web.selection.select`, the CLI's plan
builder, in a thread: they run git to find the default author, which must not
hold up the event loop.
The answers come in the query string or, posted, in a form or JSON body.
Problems answer 400 with a JSON body naming each one and its field (or the
page, for a browser's form submit), a full queue or a render past its limit
503 with ``Retry-After``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scaffold import __version__
from scaffold.criteria import CRITERIA, Answers
from scaffold.errors import BusyError, InvalidAnswersError, ScaffoldError, TemplateError, UsageError
from scaffold.frameworks import FRAMEWORKS
from scaffold.plan import ProjectPlan
from scaffold.recommender import recommend
from scaffold.web import view
from scaffold.web.archive import FORMAT_ALIASES, MEDIA_TYPES
from scaffold.web.cache import ArchiveCache, archive_key
from scaffold.web.highlight import highlighted, stylesheet
from scaffold.web.limits import Limits
from scaffold.web.metadata import metadata
from scaffold.web.pool import RenderPool, RenderResult
from scaffold.web.selection import (
    DEFAULT_NAME,
    FORM_KEY,
    NAME_KEY,
    AnswersError,
    answers_of,
    check_criteria,
    http_words,
    in_http_words,
    recommendation_for,
    select,
)
from scaffold.web.usage import text_summary, wants_text

HERE = Path(__file__).resolve().parent
#: Longest query string accepted. Every answer the command line accepts fits, even
#: percent-encoded at 12 bytes a character: the longest free texts (a 1000-character
#: summary, a 200-character name, a 254-character e-mail) take under 18 KiB.
MAX_QUERY_BYTES = 32 * 1024
#: Longest body of a POST: the same answers as a form or JSON body, with room to spare.
MAX_BODY_BYTES = 64 * 1024
#: The bodies a POST may carry: what an HTML form sends, and JSON.
FORM_TYPE, JSON_TYPE = "application/x-www-form-urlencoded", "application/json"
#: Previews (file lists and texts) kept for the page's clicks (archives: see web.cache).
PREVIEWS_KEPT = 16
#: A rendered file shown as text: an HTML template of the project must never run as a page here.
SANDBOXED: Mapping[str, str] = {"content-security-policy": "sandbox"}
#: Applied to every response. The page loads only its own script and styles.
SECURITY_HEADERS: Mapping[str, str] = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
}


def download_url(query: str, path: str) -> str:
    """Where the viewer's "Download file" link fetches one file of the preview."""
    encoded = "/".join(quote(part, safe="") for part in path.split("/"))
    return f"/api/preview/{encoded}?{query}"


def _templates() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(
        criteria=CRITERIA,
        frameworks=FRAMEWORKS,
        form_key=FORM_KEY,
        version=__version__,
        human_size=view.human_size,
        file_url=view.file_url,
        download_url=download_url,
        highlight=highlighted,
        criteria_value=view.criteria_value,
        field_value=view.field_value,
    )
    return environment


class _Guard:
    """Refuse oversized or excess requests before routing; add the security headers to all.

    The admission limit is scaffold's own, below the server's: a burst larger than
    it gets the documented 503 with ``Retry-After`` while the admitted requests are
    served. ``/health`` is always admitted, so a burst cannot hide the server's state.
    """

    def __init__(self, app: ASGIApp, admitted: int) -> None:
        self.app = app
        self.admitted = admitted
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        refusal: tuple[int, str] | None = None
        has_body = headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers
        if len(scope["query_string"]) > MAX_QUERY_BYTES:
            refusal = (414, f"the query string is longer than {MAX_QUERY_BYTES} bytes")
        elif has_body and scope["method"] != "POST":
            refusal = (413, f"a {scope['method']} request carries no body; POST the answers")
        elif _too_long(headers.get(b"content-length", b"0")):
            refusal = (413, f"the body is longer than {MAX_BODY_BYTES} bytes")
        elif self.in_flight >= self.admitted and scope["path"] != "/health":
            refusal = (503, f"the server is handling {self.in_flight} requests; try again shortly")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    response_headers.setdefault(key, value)
            await send(message)

        if refusal:
            status, message = refusal
            retry = {"retry-after": "1"} if status == 503 else None
            await _error(status, message, headers=retry)(scope, receive, send_with_headers)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self.in_flight -= 1


def _too_long(content_length: bytes) -> bool:
    return not content_length.isdigit() or int(content_length) > MAX_BODY_BYTES


def _error(
    status: int,
    message: str,
    problems: AnswersError | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The JSON body of every error: the message and, for answers, each problem and its field."""
    body: dict[str, Any] = {"error": message}
    if problems is not None:
        body["problems"] = list(problems.problems)
        body["errors"] = [problem.to_json() for problem in problems.fields]
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


class _BodyError(HTTPException):
    """A POST body that cannot be read as answers."""


async def answers_from(request: Request) -> dict[str, str]:
    """The answers of a request: its query string and, posted, its form or JSON body over it.

    A JSON body is one object of answers; a ``true``/``false`` stands for yes/no,
    a number for its digits, ``null`` for "not given", as in the form.
    """
    pairs = request.query_params.multi_items()
    if request.method != "POST":
        return answers_of(pairs)
    # A body is read once: the page shown for a bad form submit asks for the answers again.
    if (read := getattr(request.state, "answers", None)) is not None:
        return dict(read)
    request.state.answers = answers = await _posted(request, pairs)
    return dict(answers)


async def _posted(request: Request, pairs: list[tuple[str, str]]) -> dict[str, str]:
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:  # a chunked body has no Content-Length to check first
                raise _BodyError(413, f"the body is longer than {MAX_BODY_BYTES} bytes")
    except ClientDisconnect:  # the body came too late: the client has its 408 already
        raise _BodyError(408, "the body did not arrive whole") from None
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    try:
        text = body.decode()
        if media_type == FORM_TYPE:
            return answers_of([*pairs, *parse_qsl(text, keep_blank_values=True)])
        if media_type == JSON_TYPE:
            return answers_of([*pairs, *_json_answers(json.loads(text) if text else {})])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _BodyError(400, f"the body is not valid {media_type}: {error}") from None
    raise _BodyError(415, f"send the answers as {FORM_TYPE} or {JSON_TYPE}")


def _json_answers(data: object) -> list[tuple[str, str]]:
    """The answers of a JSON body as the text a form would send for them."""
    if not isinstance(data, dict):
        raise _BodyError(400, "the JSON body must be one object of answers")
    pairs = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, int | float):
            value = str(value)
        elif not isinstance(value, str):
            raise _BodyError(400, f"{key} must be text, yes/no or a number in the JSON body")
        pairs.append((key, value))
    return pairs


class _Previews:
    """The last few previews, so clicking through the files of one project renders it once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[str, RenderResult] = OrderedDict()

    async def get(self, pool: RenderPool, plan: ProjectPlan) -> RenderResult:
        key = json.dumps(plan.to_json(), sort_keys=True)
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        result = await pool.render(plan, contents=True)
        self._kept[key] = result
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return result


def create_app(
    limits: Limits, allowed_hosts: Sequence[str] = ("127.0.0.1", "localhost")
) -> Starlette:
    """The application; its lifespan starts the render workers and removes their scratch space.

    Archives are kept by :class:`~scaffold.web.cache.ArchiveCache`, up to
    ``limits.cache_bytes``; previews by their own, smaller count.
    """
    templates = _templates()
    previews = _Previews(PREVIEWS_KEPT)
    archives = ArchiveCache(limits.cache_bytes)

    def pool(request: Request) -> RenderPool:
        render_pool: RenderPool = request.app.state.pool
        return render_pool

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        scratch = Path(tempfile.mkdtemp(prefix="scaffold-serve-"))
        render_pool = RenderPool(limits, scratch)
        render_pool.start()
        app.state.pool = render_pool
        try:
            yield
        finally:
            await render_pool.close()
            shutil.rmtree(scratch, ignore_errors=True)

    def html(name: str, context: Mapping[str, object], status: int = 200) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(context), status_code=status)

    async def preview_of(
        request: Request, state: view.PageState
    ) -> tuple[RenderResult | None, str]:
        """The state's project rendered for the preview, or None and the reason it is not."""
        if state.plan is None:
            return None, "Fix the answers above to see the files."
        try:
            return await previews.get(pool(request), state.plan), ""
        except ScaffoldError as error:
            return None, f"The preview could not be rendered: {http_words(str(error))}"

    async def page_context(request: Request) -> dict[str, object]:
        """What the page and its file preview show for the answers of ``request``."""
        given = await answers_from(request)
        state = await run_in_threadpool(view.page_state, given)
        result, unavailable = await preview_of(request, state)
        return {
            "state": state,
            "result": result,
            "unavailable": unavailable,
            "shown": given.get(view.FILE_KEY),
            "tree": view.file_tree(result.files) if result else [],
        }

    async def page(request: Request) -> Response:
        if request.method == "HEAD":  # nothing rendered for a look at the headers
            return HTMLResponse("")
        headers = request.headers
        if wants_text(headers.get("user-agent", ""), headers.get("accept", "")):
            meta = await run_in_threadpool(metadata, DEFAULT_NAME)
            return PlainTextResponse(text_summary(meta, str(request.base_url)))
        return html("page.html", await page_context(request))

    async def ui_state(request: Request) -> Response:
        state = await run_in_threadpool(
            view.page_state, answers_of(request.query_params.multi_items())
        )
        payload = state.to_json()
        payload["recommendation"] = templates.get_template("_recommendation.html").render(
            state=state
        )
        payload["problems"] = templates.get_template("_problems.html").render(state=state)
        return JSONResponse(payload)

    async def ui_files(request: Request) -> Response:
        if request.method == "HEAD":  # nothing rendered for a look at the headers
            return HTMLResponse("")
        return html("_files.html", await page_context(request))

    async def api_metadata(request: Request) -> Response:
        """The metadata with an ``ETag``: a client asking again with it gets ``304``.

        It holds the user's git name and e-mail as defaults, so only the
        client may keep it, and must check it is current before using it.
        """
        name = request.query_params.get(NAME_KEY) or DEFAULT_NAME
        try:
            body = json.dumps(await run_in_threadpool(metadata, name)).encode()
        except InvalidAnswersError as error:  # the name: the only answer it takes
            raise in_http_words(error, field=NAME_KEY) from error
        tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        headers = {"etag": tag, "cache-control": "private, no-cache"}
        if tag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    async def api_recommend(request: Request) -> Response:
        given = await run_in_threadpool(check_criteria, await answers_from(request))
        return JSONResponse(recommend(Answers(given)).to_json())

    async def api_preview(request: Request) -> Response:
        given = await answers_from(request)
        plan = await run_in_threadpool(select, given)
        if request.method == "HEAD":  # the answers are checked; nothing is rendered
            return Response(media_type="application/json")
        result = await previews.get(pool(request), plan)
        return JSONResponse(
            {
                "name": plan.name,
                "framework": plan.framework.value,
                "recommended": recommendation_for(given).framework.value,
                "how": plan.how.value,
                "options": dict(plan.options),
                "files": [{"path": path, "size": size} for path, size in result.files],
            }
        )

    async def api_preview_file(request: Request) -> Response:
        path = request.path_params["path"]
        plan = await run_in_threadpool(select, answers_of(request.query_params.multi_items()))
        if request.method == "HEAD":  # the answers are checked; only a GET renders to find the file
            return Response(media_type="text/plain; charset=utf-8", headers=SANDBOXED)
        result = await previews.get(pool(request), plan)
        if path not in result.contents:
            return _error(404, f"the project has no file {path!r}")
        text = result.contents[path]
        if text is None:
            return _error(415, f"{path} is not a text file; download the archive to see it")
        return PlainTextResponse(text, headers=SANDBOXED)

    async def starter(request: Request) -> Response:
        asked = request.path_params["format"]
        archive_format = FORMAT_ALIASES.get(asked, asked)
        if archive_format not in MEDIA_TYPES:
            known = ", ".join([*MEDIA_TYPES, *FORMAT_ALIASES])
            return _error(404, f"no archive format {asked!r}; use one of {known}")
        try:
            plan = await run_in_threadpool(select, await answers_from(request))
        except InvalidAnswersError:
            if "text/html" in request.headers.get("accept", ""):
                # A browser's form submit: the page again, with the problems.
                return html("page.html", await page_context(request), status=400)
            raise
        media_type = MEDIA_TYPES[archive_format]
        headers = {"content-disposition": f'attachment; filename="{plan.name}.{asked}"'}
        # Until a worker has said which templates it renders there is no key: the
        # request waits for a worker as it would without the cache.
        version = pool(request).template_version
        key = archive_key(plan, version, archive_format, date.today()) if version else None
        if key:
            # The same tag means the same bytes, on every replica and after a restart: a
            # client holding it is answered without a render. It may hold the author's name.
            headers |= {"etag": f'"{key}"', "cache-control": "private, no-cache"}
            unchanged = f'"{key}"' in request.headers.get("if-none-match", "")
            if unchanged and request.method in ("GET", "HEAD"):
                return Response(status_code=304, headers=headers)
        if request.method == "HEAD":  # the answers are checked; nothing is rendered
            return Response(media_type=media_type, headers=headers)

        async def render() -> bytes:
            result = await pool(request).render(plan, archive=archive_format)
            if result.archive is None:  # the worker packs what it is asked for
                raise TemplateError("the render worker sent no archive")
            return result.archive

        archive = await (archives.get(key, render) if key else render())
        return Response(archive, media_type=media_type, headers=headers)

    async def health(request: Request) -> Response:
        """200 while at least one render worker is alive; 503 saying why while none is."""
        render_pool = pool(request)
        renders = render_pool.status()
        body: dict[str, object] = {
            "status": "ok",
            "version": __version__,
            "renders": renders,
            "cache": archives.status(),
        }
        if renders["workers"]:
            return JSONResponse(body)
        failure = render_pool.start_failure
        body["status"] = "unavailable" if failure else "starting"
        body["reason"] = (
            f"no render worker could start: {failure}"
            if failure
            else "the render workers are starting"
        )
        return JSONResponse(body, status_code=503, headers={"retry-after": "1"})

    async def highlight_css(_request: Request) -> Response:
        return Response(
            stylesheet(),
            media_type="text/css",
            headers={"cache-control": "public, max-age=3600"},
        )

    async def on_error(_request: Request, error: Exception) -> Response:
        """Every expected failure as JSON: 400 for answers, 503 when busy, else its HTTP status."""
        if isinstance(error, InvalidAnswersError):
            answers_error = in_http_words(error)
            return _error(400, str(answers_error), answers_error)
        if isinstance(error, UsageError):
            return _error(400, http_words(str(error)))
        if isinstance(error, BusyError):
            return _error(503, str(error), headers={"retry-after": str(error.retry_after)})
        if isinstance(error, HTTPException):
            return _error(error.status_code, str(error.detail), headers=error.headers)
        return _error(500, str(error))

    POSTED = ["GET", "HEAD", "POST"]  # the answers may come in a body, as Initializr takes them
    routes = [
        Route("/", page),
        Route("/ui/state", ui_state),
        Route("/ui/files", ui_files),
        Route("/api/metadata", api_metadata),
        Route("/api/recommend", api_recommend, methods=POSTED),
        Route("/api/preview", api_preview, methods=POSTED),
        Route("/api/preview/{path:path}", api_preview_file),
        Route("/starter.{format:path}", starter, methods=POSTED),
        Route("/health", health),
        Route("/highlight.css", highlight_css),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(_Guard, admitted=limits.requests),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)),
        ],
        exception_handlers={ScaffoldError: on_error, HTTPException: on_error},
        lifespan=lifespan,
    )
