"""What a successful flow obtained; the ``connections`` app stores it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class FlowResult:
    """Who connected and the credentials that let the platform act for them.

    ``credentials`` holds what templates later read as ``query``: the tokens
    and the end user's form fields.  It is secret and stored encrypted.
    """

    user_identity: str
    account_id: str = ""
    credentials: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)
    expires_at: dt.datetime | None = None
    granted_scopes: str = ""


__all__ = ["FlowResult"]
