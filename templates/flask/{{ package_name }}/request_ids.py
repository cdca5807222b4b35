"""The request id: set for the log lines of each request and sent back to the client."""

from flask import Flask, g, request
from werkzeug.wrappers import Response

from .logs import REQUEST_ID_HEADER, current_request_id, request_id_from


def start_request() -> None:
    """Give the request its id, from the client's X-Request-ID when that is plain."""
    request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_id_token = current_request_id.set(request_id)


def send_request_id(response: Response) -> Response:
    """Tell the client the id its request is logged under."""
    response.headers[REQUEST_ID_HEADER] = current_request_id.get()
    return response


def end_request(_error: BaseException | None) -> None:
    """Lines logged after the request (by the server) show no id of a request."""
    current_request_id.reset(g.pop("request_id_token"))


def init_app(app: Flask) -> None:
    """Run before every other hook, so that every line of the request has the id."""
    app.before_request(start_request)
    app.after_request(send_request_id)
    app.teardown_request(end_request)
