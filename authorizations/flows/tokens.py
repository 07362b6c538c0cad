"""What a token endpoint's mapped reply must hold before the console keeps it.

The response template's contract (``rendering.contracts``) has already
checked the fields' shapes; here the flow checks what only a real exchange
can: the token type it can send, a token's size, and the scope granted
against the one asked for.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from authorizations.flows.calls import Reply
from authorizations.flows.steps import FlowError, Step

# Real access tokens, JWTs included, stay within a few KiB; a larger one is
# a page or a dump mapped by mistake.  The size the console documents.
MAX_TOKEN_LENGTH = 16 * 1024
# RFC 6750: the console sends tokens as Bearer; a MAC or other token type
# would need a signature the flows do not make.
BEARER_ONLY = ("bearer",)


@dataclass
class Tokens:
    access_token: str
    refresh_token: str = ""
    token_secret: str = ""  # OAuth 1.0a: oauth_token_secret
    expires_at: dt.datetime | None = None
    scope: str = ""
    extras: dict = field(default_factory=dict)

    def credentials(self) -> dict:
        """Return what the account keeps of the tokens (encrypted)."""
        kept = {"access_token": self.access_token}
        if self.refresh_token:
            kept["refresh_token"] = self.refresh_token
        return kept

    def as_query(self) -> dict:
        """Return the tokens as templates read them afterwards (``query``)."""
        query = self.credentials()
        if self.extras:
            query["extras"] = self.extras
        if self.expires_at:
            query["expires_at"] = self.expires_at.isoformat()
        return query


def _scope_words(scope: str) -> set[str]:
    # Whatever the separator (space, comma, plus), scopes are single words.
    return set(re.split(r"[\s,+]+", scope)) - {""}


def token_checker(*, requested_scope: str = "", token_types=None):
    """Return the ``check`` of a token step (``calls.call_endpoint``)."""

    def check(step: Step, reply: Reply) -> None:
        values = reply.values
        for name in ("access_token", "refresh_token", "access_token_secret"):
            value = values.get(name) or ""
            if len(value) > MAX_TOKEN_LENGTH:
                raise FlowError(
                    f"The {name.replace('_', ' ')} is {len(value):,} characters "
                    f"long; the console keeps tokens of at most "
                    f"{MAX_TOKEN_LENGTH // 1024} KiB.",
                    "Check that the response template maps the token, not the "
                    "whole response.",
                )
        token_type = (values.get("token_type") or "").strip()
        if token_types and token_type and token_type.lower() not in token_types:
            raise FlowError(
                f'The token type is "{token_type}"; the console sends tokens as '
                "Bearer (RFC 6750) and supports no other type.",
                "A provider that issues other tokens cannot be connected yet.",
            )
        granted = values.get("scope")
        if (
            granted is not None
            and requested_scope
            and _scope_words(granted) != _scope_words(requested_scope)
        ):
            step.warnings.append(
                f'The provider granted "{granted}" where "{requested_scope}" '
                "was asked; the account keeps what was granted."
            )

    return check


def tokens_from(reply: Reply, *, requested_scope: str = "") -> Tokens:
    """Return the tokens of a token step's reply (already checked)."""
    values = reply.values
    expires_at = values.get("expires_at")
    return Tokens(
        access_token=values["access_token"],
        refresh_token=values.get("refresh_token") or "",
        token_secret=values.get("access_token_secret") or "",
        expires_at=dt.datetime.fromisoformat(expires_at) if expires_at else None,
        # RFC 6749 §5.1: no scope in the reply means the one asked for.
        scope=values["scope"] if values.get("scope") is not None else requested_scope,
        extras=values.get("extras") or {},
    )


__all__ = ["BEARER_ONLY", "MAX_TOKEN_LENGTH", "Tokens", "token_checker", "tokens_from"]
