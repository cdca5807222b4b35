"""A password hasher for the tests only (tests/settings.py selects it)."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's default hasher with a twentieth of its rounds.

    The real cost (a fraction of a second per password, on purpose) would make
    every login of the tests slow; this one still costs more than the rest of
    a login, which the timing test of test_login.py relies on.
    """

    iterations = PBKDF2PasswordHasher.iterations // 20
