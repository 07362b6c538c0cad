"""Receivers: what connections do when a flow in authorizations succeeds."""

from django.dispatch import receiver

from authorizations.flows import flow_succeeded
from connections.services import account_store_flow_result


@receiver(flow_succeeded, dispatch_uid="connections_store_flow_result")
def store_connected_account(sender, authorization, result, user, run=None, **kwargs):
    # The run says whether it reconnects an account, and which.
    return account_store_flow_result(
        authorization=authorization, result=result, user=user, run=run
    )
