from typing import Any

from django.contrib.auth.forms import UserCreationForm

from .models import User


class SignUpForm(UserCreationForm[User]):
    """Django's user creation form for the project's users, with an e-mail address.

    The address is required, since password resets are sent there; the model's
    constraints refuse a name or an address taken in another case.
    """

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
