"""Error pages: HTML for browsers, JSON for clients that ask for it."""

import json
import logging

from flask import Blueprint, render_template, request
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.wrappers import Response

bp = Blueprint("errors", __name__)
logger = logging.getLogger(__name__)


@bp.app_errorhandler(HTTPException)
def handle_http_error(error: HTTPException) -> Response:
    """Render every HTTP error, including the 500 raised for unhandled exceptions.

    Flask logs the original exception of a 500 before calling this handler;
    the page itself only shows the generic description.
    """
    # Keeps the status and headers such as Allow on a 405.
    response = error.get_response()
    if isinstance(error, SecurityError):
        # A Host header outside TRUSTED_HOSTS: a misrouted request or a probe,
        # worth one line for the operator. No URLs can be built: a plain page.
        logger.warning("Refused a request for host %r", request.headers.get("Host", ""))
        return response
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if best == "application/json":
        body = {"error": error.name, "description": error.description}
        response.set_data(json.dumps(body))
        response.mimetype = "application/json"
    else:
        response.set_data(render_template("error.html", error=error))
    return response
