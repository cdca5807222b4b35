"""The public comparisons the recommendation model is built from.

Every weight of :mod:`scaffold.recommender` and every reference profile cites
sources by their key here, as ``"key"`` or ``"key: place"`` (the section or
list item), so a reader can look each claim up. What each source claims, and
where they disagree, is written up in ``docs/recommendation.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: The key of the primary source: where other sources are silent, it decides.
PRIMARY = "mind2i"


@dataclass(frozen=True)
class Source:
    """One published comparison or framework document."""

    key: str
    title: str
    publisher: str
    url: str
    #: True for the frameworks' own documentation.
    official: bool = False


def _sources(*sources: Source) -> Mapping[str, Source]:
    return {source.key: source for source in sources}


SOURCES: Mapping[str, Source] = _sources(
    Source(
        "mind2i",
        "Django vs. Flask vs. FastAPI: Choosing the Right Python Web Framework",
        "Mind2i (Balaji Digumarti, 2023)",
        "https://www.mind2i.com/",
    ),
    Source(
        "pycharm",
        "Which Is the Best Python Web Framework: Django, Flask, or FastAPI?",
        "The PyCharm Blog, JetBrains (Evgenia Verbina)",
        "https://django-planet.matagus.dev/posts/1831/"
        "which-is-the-best-python-web-framework-django-flask-or-fastapi",
    ),
    Source(
        "fastapi-alternatives",
        "Alternatives, Inspiration and Comparisons",
        "FastAPI documentation",
        "https://fastapi.tiangolo.com/alternatives/",
        official=True,
    ),
    Source(
        "fastapi-features",
        "FastAPI (home page: key features)",
        "FastAPI documentation",
        "https://fastapi.tiangolo.com/",
        official=True,
    ),
    Source(
        "fastapi-templates",
        "Templates",
        "FastAPI documentation",
        "https://fastapi.tiangolo.com/advanced/templates/",
        official=True,
    ),
    Source(
        "flask-readme",
        "Flask (project description) and Foreword: what does 'micro' mean?",
        "Flask documentation",
        "https://pypi.org/project/Flask/",
        official=True,
    ),
    Source(
        "flask-async",
        "Using async and await",
        "Flask documentation",
        "https://flask.palletsprojects.com/en/stable/async-await/",
        official=True,
    ),
    Source(
        "django-async",
        "Asynchronous support",
        "Django documentation",
        "https://docs.djangoproject.com/en/5.2/topics/async/",
        official=True,
    ),
    Source(
        "django-home",
        "Meet Django",
        "djangoproject.com",
        "https://www.djangoproject.com/",
        official=True,
    ),
    Source(
        "mdn-django",
        "Django introduction",
        "MDN Web Docs (Mozilla)",
        "https://developer.mozilla.org/en-US/docs/Learn/Server-side/Django/Introduction",
    ),
    Source(
        "stxnext",
        "FastAPI vs. Flask: comparison",
        "STX Next blog",
        "https://stxnext.com/blog/fastapi-vs-flask-comparison",
    ),
    Source(
        "hamon",
        "FastAPI vs Flask comparison",
        "Hamon blog",
        "https://hamon.in/blog/fastapi-vs-flask-comparison",
    ),
    Source(
        "onlinestudy24",
        "Django vs Flask - Full Comparison",
        "onlinestudy24.com",
        "https://onlinestudy24.com/python/python_flask_vs_django.html",
    ),
    Source(
        "fatcatcoders",
        "Flask vs. Django: Which Python framework should you choose?",
        "FatCat Coders IT glossary",
        "https://fatcatcoders.com/it-glossary/django/flask-vs-django-python-framework-comparison",
    ),
    Source(
        "medalcode",
        "Django vs Flask: Which Python Framework to Choose for Your Project?",
        "medalcode blog (2025)",
        "https://medalcode.vercel.app/en/blog/posts/django-vs-flask",
    ),
    Source(
        "qcerris",
        "Python MVF: comparing Django, Flask and FastAPI",
        "Qcerris blog",
        "https://qcerris.com/blog/python-frameworks",
    ),
    Source(
        "hamzabilal",
        "Django REST Framework vs FastAPI",
        "Hamza Bilal (blog)",
        "https://hamzabilal.dev/blog/django-rest-vs-fastapi.html",
    ),
    Source(
        "aimadetools",
        "Django vs FastAPI",
        "aimadetools.com blog",
        "https://www.aimadetools.com/blog/django-vs-fastapi",
    ),
    Source(
        "upsonic",
        "Deployment overview: when to use which",
        "Upsonic documentation",
        "https://docs.upsonic.ai/deployment/overview",
    ),
    Source(
        "ijazkhan",
        "Django vs FastAPI: how I choose",
        "Ijaz Khan (blog)",
        "https://ijazkhan.com/blog/django-vs-fastapi-how-i-choose",
    ),
    Source(
        "kirweb",
        "Django vs FastAPI: when to use which",
        "kirweb.site blog",
        "https://kirweb.site/blog/django-vs-fastapi-when-to-use-which",
    ),
)


def source_key(citation: str) -> str:
    """The source key of a citation: ``"mind2i: Flask, advantages 5"`` -> ``"mind2i"``."""
    return citation.partition(":")[0].strip()
