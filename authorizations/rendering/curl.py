"""Write a rendered request as a ``curl`` command a developer can paste."""

from __future__ import annotations

import shlex
from collections.abc import Mapping


def curl_command(request: Mapping) -> str:
    """Write a request as a shell-quoted ``curl`` command, one option a line."""
    method = request.get("method") or "GET"
    first = "curl"
    if method != "GET" or request.get("body") is not None:
        first += f" -X {shlex.quote(method)}"
    lines = [f"{first} {shlex.quote(request.get('url') or '')}"]
    for name, value in request.get("headers") or ():
        lines.append(f"-H {shlex.quote(f'{name}: {value}')}")
    if request.get("body") is not None:
        lines.append(f"--data-raw {shlex.quote(request['body'])}")
    return " \\\n  ".join(lines)


__all__ = ["curl_command"]
