from django.urls import include, path

from . import views

# No app_name: Django's auth views find each other by these plain names
# ("login", "password_reset_done", ...).
urlpatterns = [
    path("signup/", views.sign_up, name="signup"),
    path("", include("django.contrib.auth.urls")),
]
