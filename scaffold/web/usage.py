"""The plain-text page that ``curl`` and HTTPie get at ``/``: every parameter, with examples.

Built from the same metadata as ``/api/metadata``, so it can never list a
parameter or a choice the API does not take.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

#: User agents that get the text page at ``/`` instead of the HTML one (as Spring Initializr does).
TEXT_CLIENTS = ("curl/", "httpie/", "wget/")
WIDTH = 78


def wants_text(user_agent: str, accept: str) -> bool:
    """True for command-line HTTP clients that did not ask for HTML."""
    return user_agent.lower().startswith(TEXT_CLIENTS) and "text/html" not in accept


def _choices(entry: Mapping[str, Any]) -> str:
    return ", ".join(str(choice["value"]) for choice in entry.get("choices", []))


def _block(key: str, text: str) -> list[str]:
    """``key`` in a column of its own, ``text`` wrapped beside it."""
    lines = textwrap.wrap(text, WIDTH - 24) or [""]
    return [f"  {key:<20}  {lines[0]}", *(f"  {'':<20}  {line}" for line in lines[1:])]


def text_summary(meta: Mapping[str, Any], base_url: str) -> str:
    """What the service does, every parameter with its choices and default, and examples."""
    lines = [
        f"scaffold {meta['version']}: answer a few questions, get Django, Flask or FastAPI",
        "recommended with reasons, and a starter project that runs.",
        "",
        "Every answer is a query parameter; leave one out for its default.",
        "",
        "Project:",
        *_block(meta["name"]["key"], f"project name (default: {meta['name']['default']})"),
        *_block(
            meta["framework"]["key"],
            f"{_choices(meta['framework'])} (default: the recommended one)",
        ),
        "",
        "Criteria (they decide the recommendation):",
    ]
    for criterion in meta["criteria"]:
        lines += _block(
            criterion["key"],
            f"{criterion['question']} {_choices(criterion)} (default: {criterion['default']})",
        )
    lines += ["", "Options (defaults are per framework):"]
    for option in meta["options"]:
        defaults = set(map(str, option["default"].values()))
        default = defaults.pop() if len(defaults) == 1 else "depends on the framework"
        choices = _choices(option)
        detail = f"{option['help']}." + (f" {choices}." if choices else "")
        lines += _block(option["key"], f"{detail} (default: {default or 'empty'})")
    archives = ", ".join(f"/starter.{name}" for name in (*meta["archives"], "tgz"))
    lines += [
        "",
        f"Archives: {archives}. Also: /api/metadata, /api/recommend, /api/preview, /health.",
        "",
        "Examples:",
        f"  curl -fOJ '{base_url}starter.zip?name=shop&size=large&builtins=yes'",
        f"  curl -fOJ '{base_url}starter.tgz?name=api&framework=fastapi&auth=yes'",
        f"  curl -fsS '{base_url}api/recommend?size=large&performance=high'",
        f"  http --download '{base_url}starter.zip' name==shop app_type==api",
        "",
        "-f makes curl fail on an error instead of saving the JSON error as the archive.",
        "",
    ]
    return "\n".join(lines)
