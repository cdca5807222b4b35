"""Syntax highlighting for the file viewer, done on the server so it works without JavaScript.

Pygments (a dependency of rich, already installed with scaffold) picks a lexer
by file name and marks up every line in a span of its own; the stylesheet
numbers the lines with a CSS counter, so copying the code never copies the
numbers. Light and dark colours follow the reader's system setting.
"""

from __future__ import annotations

from functools import cache
from pathlib import PurePosixPath

from markupsafe import Markup, escape

#: The viewer's code block; every Pygments rule is scoped under it.
CSS_CLASS = "code"
LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
#: Files whose names say nothing to Pygments, and what they hold.
LEXER_BY_NAME = {".env.example": "bash", ".gitignore": "text", ".dockerignore": "text"}
#: Past this size a file is shown plain: highlighting it would cost more than reading it.
MAX_HIGHLIGHTED = 256 * 1024


def highlighted(path: str, text: str) -> Markup:
    """``text`` as the viewer's HTML block, highlighted by the language its name says."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
    from pygments.util import ClassNotFound

    formatter = HtmlFormatter(cssclass=CSS_CLASS, linespans="L", wrapcode=True)
    if len(text) > MAX_HIGHLIGHTED:
        return Markup('<div class="{}"><pre><code>{}</code></pre></div>').format(
            CSS_CLASS, escape(text)
        )
    name = PurePosixPath(path).name
    try:
        if name in LEXER_BY_NAME:
            lexer = get_lexer_by_name(LEXER_BY_NAME[name], stripnl=False, ensurenl=False)
        else:
            lexer = get_lexer_for_filename(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        lexer = get_lexer_by_name("text", stripnl=False, ensurenl=False)
    # Pygments escapes the text it marks up; nothing of the file is reflected raw.
    return Markup(highlight(text, lexer, formatter))  # noqa: S704


@cache
def stylesheet() -> str:
    """The colours of both themes, the dark one for readers whose system asks for it."""
    from pygments.formatters import HtmlFormatter

    def rules(style: str) -> str:
        formatter = HtmlFormatter(style=style, cssclass=CSS_CLASS)
        return str(formatter.get_style_defs(f".{CSS_CLASS}"))  # type: ignore[no-untyped-call]

    dark = "\n".join(f"  {line}" for line in rules(DARK_STYLE).splitlines())
    return (
        "/* Syntax colours of the file viewer, made by Pygments. */\n"
        f"{rules(LIGHT_STYLE)}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
    )
