"""A forked worker (Celery's prefork pool) sends requests like its parent.

The client keeps a watchdog thread and a pool of lookup threads; a child
process has neither, and must not wait on what its parent held.
"""

import multiprocessing
import os

import pytest

from authorizations.http import send
from tests.http.servers import reply


def child_sends(url: str, results) -> None:
    try:
        response = send("GET", url)
        results.put(response.status)
    except Exception as error:  # reported to the parent, which asserts
        results.put(repr(error))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_sends_with_its_own_threads(raw_server, resolver, loopback):
    resolver.answer("api.example.test", ["127.0.0.1"])  # the child inherits it
    server = raw_server(reply(200, b"ok"))
    url = server.url("/", host="api.example.test")
    # The parent has used both: a lookup by name, and a deadline.
    assert send("GET", url).status == 200

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=child_sends, args=(url, results))
    child.start()
    child.join(timeout=20)
    assert child.exitcode == 0
    assert results.get(timeout=1) == 200
