"""Who calls this request, as the access policy knows callers (``gridmap.access.Caller``):
the signed-in user with the roles they act with (a token: its one role), or anonymous."""

from __future__ import annotations

from flask_login import current_user

from gridmap import access


def caller() -> access.Caller:
    """The caller of this request (anonymous: no role)."""
    if not current_user.is_authenticated:
        return access.ANONYMOUS
    return access.Caller.of(current_user.user, current_user.roles)


def may(permission: str, obj=None) -> bool:
    """Whether the caller may (what pages use to show a link or a form)."""
    return access.may(caller(), permission, obj)


def require(permission: str, obj=None) -> None:
    """Refuse (403, with the reason) unless the caller may ``permission`` on ``obj``."""
    access.require(caller(), permission, obj)
