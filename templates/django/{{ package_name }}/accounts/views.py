from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .forms import SignUpForm
from .limits import sign_up_allowed, too_many_attempts


@require_http_methods(["GET", "HEAD", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """Create an account and log into it; SIGNUP_LIMIT posts an hour per client."""
    if request.method != "POST":
        form = SignUpForm()
    elif not sign_up_allowed(request):
        return too_many_attempts(request, "Signing up", settings.SIGNUP_LIMIT_PERIOD)
    else:
        form = SignUpForm(request.POST)
        if form.is_valid():
            user = form.save()
            # Named, as two backends are configured (axes' and Django's).
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "registration/signup.html", {"form": form})
