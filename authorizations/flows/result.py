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

    @classmethod
    def from_user_info(
        cls, values: dict, *, credentials: dict, extras=None, **more
    ) -> FlowResult:
        """Name the account by the user info contract's ``values``.

        Its ``extras`` join those the token reply gave, and win over them.
        """
        return cls(
            user_identity=values["user_identity"],
            account_id=values.get("account_id", ""),
            credentials=credentials,
            extras={**(extras or {}), **values.get("extras", {})},
            **more,
        )


__all__ = ["FlowResult"]
