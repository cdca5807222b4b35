"""Values that every template needs."""

from django.conf import settings
from django.http import HttpRequest


def project(request: HttpRequest) -> dict[str, str]:
    """Expose the project's display name, which lives in settings, not in HTML."""
    return {"project_name": settings.PROJECT_NAME}
