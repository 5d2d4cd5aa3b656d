"""Sign-in for root users (email), IAM users (account id + user name) and engineers (email)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.models import User


class SupportCenterBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        # Every page needs the account and its plan: load them with the user in one query.
        user = User.objects.select_related("account", "account__plan").filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        # A deactivated account signs out everyone in it, root user included.
        if user.account is not None and not user.account.is_active:
            return None
        return user

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        account_id: str | None = None,
        user_name: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if password is None:
            return None
        if account_id is not None and user_name is not None:
            login = f"{account_id}/{user_name}".lower()
            kinds: tuple[str, ...] = ("iam",)
        elif username is not None:
            login = username.strip().lower()
            kinds = ("root", "engineer")
        else:
            return None
        user = User.objects.select_related("account").filter(login=login, kind__in=kinds).first()
        if user is None:
            # Spend the same time as a real check, so timing does not reveal which logins exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.account is not None and not user.account.is_active:
                return None
            return user
        return None


def axes_username(request: HttpRequest, credentials: dict[str, Any]) -> str:
    """The sign-in name django-axes counts failures against (IAM names are per account)."""
    if credentials.get("account_id") and credentials.get("user_name"):
        return f"{credentials['account_id']}/{credentials['user_name']}".lower()
    # django-axes passes the sign-in name as "username" in some paths and under the user model's
    # USERNAME_FIELD ("login") in others.
    return str(credentials.get("username") or credentials.get("login") or "").strip().lower()
