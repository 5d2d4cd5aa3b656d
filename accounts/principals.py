"""Who is acting, and from where.

Every mutating service takes an `actor: Principal`. It carries the signed-in user (or none for
the system principal of Celery and beat work) plus the request facts the audit trail records.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from core.errors import AccessDeniedException

if TYPE_CHECKING:
    from typing import TypedDict, Unpack

    from accounts.models import Account, User

    class RequestFacts(TypedDict, total=False):
        via: str
        access_key_id: str
        source_ip: str
        user_agent: str
        request_id: str


MSG_SIGNED_IN = "This needs a signed-in customer of an active account."


@dataclass(frozen=True)
class Principal:
    user: User | None
    # "console" (web UI), "api" (AWS API), "system" (jobs), "cli" (management commands).
    via: str = "console"
    access_key_id: str = ""
    source_ip: str = ""
    user_agent: str = ""
    request_id: str = ""

    @property
    def is_system(self) -> bool:
        # Only the explicit system principal; an anonymous request also has no user.
        return self.user is None and self.via == "system"

    @property
    def is_anonymous(self) -> bool:
        return self.user is None and self.via != "system"

    @property
    def account(self) -> Account | None:
        return self.user.account if self.user is not None else None

    @property
    def is_engineer(self) -> bool:
        return self.user is not None and self.user.is_engineer

    @property
    def is_customer(self) -> bool:
        return self.user is not None and not self.user.is_engineer

    def require_user(self) -> User:
        """The signed-in user; `AccessDeniedException` for the system and anonymous callers.
        Views behind `customer_required` / `engineer_required` always have one."""
        if self.user is None:
            raise AccessDeniedException(MSG_SIGNED_IN)
        return self.user

    def require_account(self) -> Account:
        """The account a customer acts in; `AccessDeniedException` for anyone else. Views behind
        `customer_required` always have one."""
        user = self.require_user()
        if user.is_engineer or user.account is None:
            raise AccessDeniedException(MSG_SIGNED_IN)
        return user.account

    @property
    def arn(self) -> str:
        if self.user is not None:
            return self.user.arn
        return "system" if self.is_system else "anonymous"

    def with_request(self, **facts: Unpack[RequestFacts]) -> Principal:
        return replace(self, **facts)


SYSTEM = Principal(user=None, via="system", user_agent="supportcenter-worker")


def principal_for_cli(user: User | None) -> Principal:
    return Principal(user=user, via="cli", user_agent="supportcenter-manage")
