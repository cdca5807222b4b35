"""Fixtures shared by the test modules."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def forget_failed_logins() -> Iterator[None]:
    """Start every test with an empty cache, where django-axes counts failed logins.

    Otherwise the failures of one test would lock the next out.
    """
    yield
    cache.clear()
