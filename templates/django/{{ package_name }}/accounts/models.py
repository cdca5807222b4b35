from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The project's user model, in place from the first migration.

    It behaves like Django's built-in user for now. Fields added here later
    become ordinary migrations; switching AUTH_USER_MODEL once tables exist
    does not, which is why Django's documentation recommends a custom user
    model for every new project.
    """
