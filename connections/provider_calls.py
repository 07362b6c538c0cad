"""What every call to a provider on an account's behalf starts from.

Refresh, verify and revoke render the authorization's endpoints with the
account's stored credentials as ``query`` and mask the same secrets in
everything they say.
"""

from __future__ import annotations

from authorizations import types
from authorizations.flows.runs import authorization_secrets
from authorizations.flows.steps import StepLog


def account_query(account, credentials: dict) -> dict:
    """What templates read as ``query`` for a stored account: its tokens and
    form fields, then its record (types.ACCOUNT_RECORD)."""
    query = dict(credentials)
    if account.extras:
        query["extras"] = account.extras
    if account.expires_at:
        query["expires_at"] = account.expires_at.isoformat()
    if account.account_id:
        query["account_id"] = account.account_id
    query["user_identity"] = account.user_identity
    return query


def account_step_log(authorization, credentials: dict) -> StepLog:
    """A step log masking the authorization's secret settings and every
    stored secret.

    A stored value the registry does not know is taken for a secret; a name
    it knows is masked when it calls it secret.
    """
    registry = types.registry()
    known = set(registry.query_keys) - registry.secret_query_fields
    log = StepLog(secrets=authorization_secrets(authorization))
    log.secret(
        *(
            value
            for name, value in credentials.items()
            if name not in known and isinstance(value, str)
        )
    )
    return log


__all__ = ["account_query", "account_step_log"]
