from typing import Any

from django.conf import settings
from django.contrib.auth import login, views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .forms import SignUpForm
from .limits import attempt_allowed, too_many_attempts


@require_http_methods(["GET", "HEAD", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """Create an account and log into it; SIGNUP_LIMIT posts an hour per client."""
    if request.method != "POST":
        form = SignUpForm()
    elif not attempt_allowed(
        request, "signups", settings.SIGNUP_LIMIT, settings.SIGNUP_LIMIT_PERIOD
    ):
        return too_many_attempts(request, "Signing up", settings.SIGNUP_LIMIT_PERIOD)
    else:
        form = SignUpForm(request.POST)
        if form.is_valid():
            user = form.save()
            # Named, as two backends are configured (axes' and Django's).
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "registration/signup.html", {"form": form})


class PasswordResetView(views.PasswordResetView):
    """Django's reset form; PASSWORD_RESET_LIMIT requests an hour per client.

    Each request may send an e-mail, so an unlimited form would let anyone
    flood a user's inbox, or the site's mail server, from one address.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        period = settings.PASSWORD_RESET_LIMIT_PERIOD
        if not attempt_allowed(
            request, "password-resets", settings.PASSWORD_RESET_LIMIT, period
        ):
            return too_many_attempts(request, "Asking for password resets", period)
        return super().post(request, *args, **kwargs)
