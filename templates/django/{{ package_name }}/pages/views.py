from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from .models import Announcement

LATEST_ANNOUNCEMENTS = 10


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """List the latest announcements whose publication time has come."""
    announcements = Announcement.objects.filter(published_at__lte=timezone.now())
    return render(
        request,
        "pages/home.html",
        {"announcements": announcements[:LATEST_ANNOUNCEMENTS]},
    )
