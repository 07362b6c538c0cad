"""The step log of a test run: what was sent, what came back, what went wrong.

Steps are recorded as they happen, with the real values, and masked once,
when the log is written out (``StepLog.entries``): a token first seen in a
step's own response is masked in that step too.  Nothing unmasked leaves
this module.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from time import perf_counter

from authorizations.masking import SecretMasker
from authorizations.rendering.curl import curl_command

# What a step shows of a response body; the whole body is read (up to the
# client's cap) but a page showing megabytes helps nobody.
BODY_EXCERPT_BYTES = 8 * 1024


class FlowError(Exception):
    """A step failed; ``message`` says what went wrong, ``hint`` how to fix it."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class Step:
    """One step of a flow, with its real values (masked only on the way out)."""

    name: str
    request: dict | None = None  # method, url, headers [(name, value)], body
    # status, reason, headers, the whole body as text (cut when written out)
    response: dict | None = None
    output: str | None = None  # the response template's output
    contract: dict | None = None  # ok, errors, warnings
    notes: list[str] = field(default_factory=list)  # what went right, worth knowing
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    hint: str = ""
    started: float = field(default_factory=perf_counter)
    duration_ms: int | None = None

    @property
    def ok(self) -> bool:
        return not self.error

    def finish(self) -> None:
        if self.duration_ms is None:
            self.duration_ms = round((perf_counter() - self.started) * 1000)


class StepLog:
    """The steps of one run and the secrets in play while they ran."""

    def __init__(self, secrets=()):
        self.steps: list[Step] = []
        self._secrets: list[str] = [s for s in secrets if isinstance(s, str)]
        self._masker: SecretMasker | None = None

    def secret(self, *values) -> None:
        """Add values to mask wherever they appear in the log."""
        for value in values:
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if isinstance(value, str) and value.strip() and value not in self._secrets:
                self._secrets.append(value)
                self._masker = None  # built again, with it, when next needed

    def secrets_of(self, data, names) -> None:
        """Add the values of ``data``'s fields ``names`` as secrets."""
        if isinstance(data, dict):
            self.secret(*(data.get(name) for name in names))

    def start(self, name: str) -> Step:
        step = Step(name)
        self.steps.append(step)
        return step

    @property
    def failed(self) -> Step | None:
        return next((step for step in self.steps if not step.ok), None)

    def masker(self) -> SecretMasker:
        if self._masker is None:
            self._masker = SecretMasker(self._secrets)
        return self._masker

    def entries(self) -> list[dict]:
        """Return the steps as plain data with every secret masked."""
        masker = self.masker()
        return [_storable(_entry(step, masker)) for step in self.steps]

    def mask(self, text: str) -> str:
        """Mask a message (the run's outcome) with the log's secrets."""
        return _storable(self.masker().message(text))


def _storable(value):
    """Return ``value`` with each NUL character shown as U+FFFD.

    PostgreSQL stores no NUL in text or jsonb; a provider's binary body, UTF-16
    JSON or "\u0000" in a field would otherwise fail the run's save itself.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {key: _storable(item) for key, item in value.items()}
    return value


def _masked_headers(headers, masker: SecretMasker) -> list[list[str]]:
    return [[name, masker.header(name, value)] for name, value in headers or ()]


def _entry(step: Step, masker: SecretMasker) -> dict:
    entry = {
        "name": step.name,
        "ok": step.ok,
        "duration_ms": step.duration_ms,
        "error": masker.message(step.error),
        "hint": masker.message(step.hint),
        "notes": [masker.message(note) for note in step.notes],
        "warnings": [masker.message(warning) for warning in step.warnings],
        "request": None,
        "response": None,
        "output": masker.value(step.output) if step.output is not None else None,
        "contract": None,
    }
    if step.request is not None:
        request = {
            "method": step.request.get("method", ""),
            "url": masker.value(step.request.get("url", "")),
            "headers": _masked_headers(step.request.get("headers"), masker),
            "body": masker.value(step.request["body"])
            if step.request.get("body") is not None
            else None,
        }
        request["curl"] = curl_command(request)
        entry["request"] = request
    if step.response is not None:
        # Masked whole, then cut: a cut first could split a secret, and the
        # half left would not be recognised.
        body, truncated = cut(masker.value(step.response.get("body", "")))
        entry["response"] = {
            "status": step.response.get("status"),
            "reason": step.response.get("reason", ""),
            "headers": _masked_headers(step.response.get("headers"), masker),
            "body": body,
            "truncated": truncated,
            "content_type": step.response.get("content_type", ""),
        }
    if step.contract is not None:
        entry["contract"] = {
            "ok": step.contract.get("ok", False),
            "errors": [masker.message(e) for e in step.contract.get("errors", ())],
            "warnings": [masker.message(w) for w in step.contract.get("warnings", ())],
        }
    return entry


def body_text(body: bytes | str, content_type: str) -> str:
    """Return a body as a step shows it, whole: ``cut`` makes the excerpt.

    JSON is pretty-printed; bytes that are not UTF-8 are shown with
    replacement characters rather than refused.
    """
    text = body if isinstance(body, str) else body.decode("utf-8", errors="replace")
    if content_type == "application/json" or content_type.endswith("+json"):
        # Shown as it came when it is not JSON: the step's error says why.
        with contextlib.suppress(ValueError, RecursionError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return text


def cut(text: str) -> tuple[str, bool]:
    """Return the first ``BODY_EXCERPT_BYTES`` of ``text``, and whether it was cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= BODY_EXCERPT_BYTES:
        return text, False
    return encoded[:BODY_EXCERPT_BYTES].decode("utf-8", errors="ignore"), True


def body_excerpt(body: bytes, content_type: str) -> tuple[str, bool]:
    """Return what a step shows of a body, and whether it was cut."""
    return cut(body_text(body, content_type))


__all__ = [
    "BODY_EXCERPT_BYTES",
    "FlowError",
    "Step",
    "StepLog",
    "body_excerpt",
    "body_text",
    "cut",
]
