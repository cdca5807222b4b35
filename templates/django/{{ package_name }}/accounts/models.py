from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class UserManager(DjangoUserManager["User"]):
    """Django's user manager, finding users by name whatever the case.

    The login form, the admin's and `createsuperuser` look users up through
    `get_by_natural_key`, so "Alice" logs in as "alice" and cannot sign up twice.
    """

    def by_name(self, username: str | None) -> models.QuerySet[User]:
        """Users whose name equals `username` ignoring case (one at most).

        Both sides are folded by the database, as in the unique constraint, so
        the comparison is the constraint's and PostgreSQL can use its index.
        """
        return self.alias(folded_name=Lower(self.model.USERNAME_FIELD)).filter(
            folded_name=Lower(models.Value(username))
        )

    def get_by_natural_key(self, username: str | None) -> User:
        return self.by_name(username).get()

    async def aget_by_natural_key(self, username: str | None) -> User:
        return await self.by_name(username).aget()


class User(AbstractUser):
    """The project's user model, in place from the first migration.

    It is Django's built-in user, except that user names and e-mail addresses
    are unique ignoring case: "Alice" and "alice" are one person to the people
    reading them. Fields added here later become ordinary migrations; switching
    AUTH_USER_MODEL once tables exist does not, which is why Django's
    documentation recommends a custom user model for every new project.
    """

    objects: ClassVar[UserManager] = UserManager()

    class Meta(AbstractUser.Meta):
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_unique_ignoring_case",
                violation_error_code="unique",
                violation_error_message=_("A user with that username already exists."),
            ),
            # Many users have no address: only the addresses given must differ.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_unique_ignoring_case",
                violation_error_code="unique",
                violation_error_message=_(
                    "A user with that email address already exists."
                ),
            ),
        ]
