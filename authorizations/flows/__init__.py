"""Run an authorization's real flow: one family a module, chosen by the registry.

* ``calls`` — one endpoint as one step: rendered, sent through the guarded
  client (``authorizations.http``), answered, mapped to its contract;
* ``oauth2``, ``oauth1``, ``credentials`` — the three families;
* ``tokens`` — what a token reply must hold before it is kept;
* ``steps`` — the step log, masked on the way out;
* ``runs`` — test runs from the admin: start, callback, outcome.

A flow returns a ``FlowResult`` and stores nothing; ``runs`` announces a
success with ``flow_succeeded`` and the ``connections`` app stores the account.
"""

from authorizations.flows.result import FlowResult
from authorizations.flows.runs import (
    CallbackRefused,
    Started,
    finish_callback,
    flow_succeeded,
    start_run,
)
from authorizations.flows.steps import FlowError, StepLog

__all__ = [
    "CallbackRefused",
    "FlowError",
    "FlowResult",
    "Started",
    "StepLog",
    "finish_callback",
    "flow_succeeded",
    "start_run",
]
