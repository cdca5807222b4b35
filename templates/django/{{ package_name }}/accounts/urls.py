from django.urls import include, path

from . import views

# No app_name: Django's auth views find each other by these plain names
# ("login", "password_reset_done", ...).
urlpatterns = [
    path("signup/", views.sign_up, name="signup"),
    # Django's own reset view, with a limit; listed first, so it is the one served.
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("", include("django.contrib.auth.urls")),
]
