"""One step of a flow: an endpoint rendered, sent, answered and mapped.

``call_endpoint`` renders the endpoint's templates into a request, adds what
the flow itself sends (``FlowAuth``: client credentials, HTTP Basic, an
OAuth 1.0a signature), sends it through the one guarded client, reads the
reply (JSON, a form, or text) and maps it through the response template to
its contract.  Every failure ends the step with what went wrong in words and,
where one helps, a hint.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from authorizations import http, types
from authorizations.flows.steps import FlowError, Step, StepLog, body_text
from authorizations.plain_data import DataLimitError
from authorizations.rendering import (
    EndpointRenderError,
    endpoint_context,
    render_endpoint_request,
    render_response,
)
from authorizations.rendering.checks import FIELD_LABELS
from authorizations.samples import read_json
from authorizations.wording import excerpt

FORM = "application/x-www-form-urlencoded"

# RFC 6749 §5.2: what a token endpoint's error code usually means for the
# developer looking at the run.
TOKEN_ERROR_HINTS = {
    "invalid_client": "check the client secret and whether the provider expects "
    "client_secret_basic or client_secret_post (the authorization's Client "
    "authentication setting).",
    "invalid_grant": "the code or token was refused: it may have been used "
    "already or expired, or the redirect URI differs from the one the provider "
    "has registered.",
    "unauthorized_client": "the provider does not allow this client this grant; "
    "check the app's settings at the provider.",
    "unsupported_grant_type": "check grant_type in the request template.",
    "invalid_scope": "check the authorization's scopes against the provider's "
    "documentation.",
    "invalid_token": "the access token was not accepted; check how the "
    "endpoint's headers send it.",
    "invalid_request": "a parameter is missing, repeated or malformed; compare "
    "the request with the provider's documentation.",
}
STATUS_HINTS = {
    401: "the credentials were not accepted; check the Authorization header "
    "template and the credentials.",
    403: "the credentials were accepted but lack permission; check the scopes.",
    404: "check the endpoint's URL.",
    405: "check the endpoint's method.",
}


def basic_credentials(user: str, password: str, *, form_encoded: bool) -> str:
    """Return an ``Authorization: Basic`` value (RFC 7617).

    A client's credentials are form-urlencoded first (RFC 6749 §2.3.1), so a
    colon in a client id survives; an end user's are sent as typed.
    """
    if form_encoded:
        user, password = quote(user, safe=""), quote(password, safe="")
    pair = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


@dataclass
class FlowAuth:
    """What a flow adds to an endpoint's request, and in whose name."""

    label: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body_params: dict[str, str] = field(default_factory=dict)
    signer: object | None = None  # a requests AuthBase (OAuth 1.0a)
    signed_as: str = ""  # what the step log shows for the signature header
    note: str = ""  # said in the step: how the request was signed
    # PLAINTEXT signatures carry the secret itself (RFC 5849 §3.4.4).
    requires_https: bool = False


@dataclass
class Reply:
    """A provider's reply, read: its parsed data and the contract's values."""

    status: int
    data: object
    values: dict


def endpoint_label(endpoint) -> str:
    return types.ENDPOINT_KINDS[endpoint.kind].label


def call_endpoint(
    log: StepLog,
    name: str,
    endpoint,
    *,
    request_body: dict | None = None,
    query: dict | None = None,
    auth: FlowAuth | None = None,
    check: Callable[[Step, Reply], None] | None = None,
    screen: Callable[[int, object], None] | None = None,
) -> Reply:
    """Run one endpoint as the step ``name``; raise ``FlowError`` when it fails.

    ``check`` judges the reply within the step (a token's type and size), so
    its failure is the step's.  ``screen`` sees the reply as read (its status
    and parsed data) before its status and contract are judged, and may end
    the step with a ``FlowError`` of its own: verify tells an expired token
    from a broken reply there, whether the provider said so by status or in
    a 200 body.
    """
    # What the registry calls secret in the templates' inputs is masked
    # whichever flow passed it (a PKCE verifier kept across the redirect).
    registry = types.registry()
    log.secrets_of(request_body, registry.secret_request_fields)
    log.secrets_of(query, registry.secret_query_fields)
    step = log.start(name)
    try:
        reply = _call(
            log, step, endpoint, request_body or {}, query or {}, auth, screen
        )
        if check is not None:
            check(step, reply)
        return reply
    except FlowError as error:
        step.error, step.hint = error.message, error.hint
        raise
    finally:
        step.finish()


def _call(
    log: StepLog, step: Step, endpoint, request_body, query, auth, screen=None
) -> Reply:
    label = endpoint_label(endpoint)
    try:
        rendered = render_endpoint_request(
            endpoint, request_body=request_body, query=query
        )
    except EndpointRenderError as error:
        problems = "; ".join(
            f"{FIELD_LABELS.get(p.field.split('.')[0], p.field)}: {p.message}"
            for p in error.problems
        )
        raise FlowError(
            f"The {label}'s templates could not be rendered: {problems}",
            "Open the endpoint and use its preview to see each template's output.",
        ) from None
    step.warnings.extend(rendered.warnings)
    if auth and auth.requires_https and urlsplit(rendered.url).scheme != "https":
        raise FlowError(
            f"{auth.label} with PLAINTEXT sends the consumer secret as it is, so "
            f"the console sends it over https only; the {label}'s URL is "
            f'"{rendered.url}".',
            "Use an https URL, or an HMAC signature method.",
        )
    headers, signer = _merge_headers(step, auth, rendered.headers)
    body = _add_body_params(step, auth, rendered.body, rendered.content_type)
    if body is not None and not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", FORM))
    shown_headers = list(headers)
    if signer is not None:
        shown_headers.append(("Authorization", auth.signed_as))
        if auth.note:
            step.notes.append(auth.note)
    step.request = {
        "method": rendered.method,
        "url": rendered.url,
        "headers": shown_headers,
        "body": body,
    }
    try:
        response = http.send(
            rendered.method,
            rendered.url,
            headers=headers,
            body=body,
            auth=signer,
        )
    except http.OutboundError as error:
        if error.response is not None:
            _record(step, error.response)
        raise FlowError(outbound_failure(error, label), error.hint) from None
    _record(step, response)

    # Excerpts in messages are cut: masked first, no half secret survives.
    # Built only for a message: the reply's tokens are about to join it.
    def mask(text: str) -> str:
        return log.masker().value(text)

    data = read_reply(response, label, mask=mask, warnings=step.warnings)
    # A token in the reply is a secret even when the step then fails (a MAC
    # token, a bad expires_in): the log shows the response.
    log.secrets_of(data, types.registry().secret_response_fields)
    if screen is not None:
        screen(response.status, data)
    _check_status(response, data, label, endpoint.kind, mask)
    if endpoint.kind in ("access_token", "request_token") and not isinstance(
        data, dict
    ):
        raise FlowError(
            f"The {label} answered with {_shape(data, mask)}, not an object holding "
            "the token.",
            "Check the endpoint's URL: it should be the provider's token endpoint.",
        )
    context = endpoint_context(
        endpoint,
        request_body=request_body,
        query=query,
        response=data,
        with_response=True,
    )
    output, contract = render_response(
        kind=endpoint.kind,
        response_template=endpoint.response_template,
        context=context,
    )
    step.output = output
    step.contract = contract.as_dict()
    if endpoint.kind == "access_token":
        # What the template mapped as tokens, whatever the provider named them.
        values = contract.values
        log.secret(
            values.get("access_token"),
            values.get("refresh_token"),
            values.get("access_token_secret"),
        )
    if not contract.ok:
        raise FlowError(
            f"The {label}'s response template gave output that breaks its "
            "contract: " + " ".join(contract.errors),
            "Compare the template with the response shown above.",
        )
    step.warnings.extend(contract.warnings)
    return Reply(status=response.status, data=data, values=contract.values)


# What went wrong with the exchange, by the guarded client's kind of failure:
# "could not be reached" is wrong for an answer that was too large or slow.
OUTBOUND_FAILURES = {
    "refused": "The console refused to call the {label}: {message}",
    "invalid_url": "The console refused to call the {label}: {message}",
    "invalid_header": "The console refused to call the {label}: {message}",
    "timeout": "The {label} did not answer in time: {message}",
    "too_large": "The {label} sent a response too large to read: {message}",
    "too_many_redirects": "The {label} redirected too many times: {message}",
    "protocol": "The exchange with the {label} failed: {message}",
}


def outbound_failure(error: http.OutboundError, label: str) -> str:
    """Word a failure of the guarded client as the step's error."""
    words = OUTBOUND_FAILURES.get(
        error.kind, "The {label} could not be reached: {message}"
    )
    # The guard's own reasons start "refused: "; the sentence says it already.
    message = error.message.removeprefix("refused: ")
    return words.format(label=label, message=message)


def _merge_headers(step: Step, auth: FlowAuth | None, template_headers):
    """Return the headers to send and the signer to apply.

    The flow's headers come first, then the template's; when both set one,
    the template's is sent (it is the more specific), and the step says so.
    """
    if auth is None:
        return list(template_headers), None
    theirs = {name.lower() for name, _ in template_headers}
    signer = auth.signer
    flow_names = [name for name, _ in auth.headers]
    if signer is not None:
        flow_names.append("Authorization")
    for name in flow_names:
        if name.lower() in theirs:
            step.warnings.append(
                f"Both the flow ({auth.label}) and the endpoint's headers set "
                f"{name}; the endpoint's header is sent and the flow's is not."
            )
    if signer is not None and "authorization" in theirs:
        signer = None  # a signature would overwrite the template's header
    ours = [(name, value) for name, value in auth.headers if name.lower() not in theirs]
    return ours + list(template_headers), signer


def _add_body_params(step, auth, body, content_type):
    """Add the flow's body parameters (client_secret_post) the template left out."""
    if not auth or not auth.body_params:
        return body
    media = (content_type or FORM).split(";")[0].strip().lower()
    if body is not None and media != FORM and not media.endswith("json"):
        return body
    if body is not None and (media == "application/json" or media.endswith("+json")):
        data = json.loads(body)
        for key, value in auth.body_params.items():
            data.setdefault(key, value)
        return json.dumps(data, ensure_ascii=False)
    pairs = parse_qsl(body or "", keep_blank_values=True)
    present = {key for key, _ in pairs}
    pairs += [(k, v) for k, v in auth.body_params.items() if k not in present]
    return urlencode(pairs)


def _record(step: Step, response) -> None:
    step.response = {
        "status": response.status,
        "reason": response.reason,
        "headers": response.headers,
        # Decoded by the charset it names (UTF-8 by default).
        "body": body_text(response.text, response.content_type),
        "content_type": response.content_type,
    }


def read_reply(
    response,
    label: str,
    *,
    mask: Callable[[str], str] = str,
    warnings: list[str] | None = None,
):
    """Parse a reply: JSON, a form (legacy token endpoints), or its text.

    An HTML page where data was expected is an error: it is a login or error
    page, never what a template can map.  ``mask`` hides secrets in what an
    error quotes of the body, before it is cut; ``warnings`` receives what
    was read despite its label (JSON sent as text/html).
    """
    media = response.content_type
    text = response.text  # by the charset it names, UTF-8 by default
    ok = 200 <= response.status < 300
    if media == "text/html" or media == "application/xhtml+xml":
        if not ok:
            return text
        # Older APIs label their JSON text/html; a page never starts so.
        data = _json_or_none(text)
        if data is not None:
            if warnings is not None:
                warnings.append(
                    f"The {label} labels its JSON {media}; it was read as JSON."
                )
            return data
        raise FlowError(_web_page(label, media, text, mask), WEB_PAGE_HINT)
    if media == "application/json" or media.endswith("+json"):
        if not text.strip():
            return None
        try:
            # RFC 8259 §8.1: JSON is UTF-8; a body that is not would be read
            # with replacement characters, and stored so.  Unless it names
            # another charset, which is then believed.
            return read_json(
                response.text if _names_another_charset(response) else response.body
            )
        except UnicodeDecodeError as error:
            if ok:
                raise FlowError(
                    f"The {label} answered with JSON that is not UTF-8 (the byte "
                    f"0x{response.body[error.start]:02x} at position {error.start}); "
                    "JSON must be UTF-8 (RFC 8259 §8.1)."
                ) from None
            return text
        except (ValueError, DataLimitError) as error:
            if ok and text.lstrip().startswith("<"):
                raise FlowError(
                    _web_page(label, media, text, mask), WEB_PAGE_HINT
                ) from None
            if ok:
                reason = getattr(error, "message", None) or str(error)
                raise FlowError(
                    f"The {label} answered with JSON that cannot be read: {reason}"
                ) from None
            return text
    if media == FORM or _looks_like_form(text):
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        return read_json(text) if text.strip()[:1] in ("{", "[") else text
    except (ValueError, DataLimitError):
        return text


WEB_PAGE_HINT = "The URL may point at a page for people rather than the API."


def _web_page(label: str, media: str, text: str, mask) -> str:
    return (
        f"The {label} answered with a web page: expected JSON, got "
        f'{media}: "{excerpt(_one_line(mask(text)), limit=200)}"'
    )


def _json_or_none(text: str):
    """Return ``text`` parsed when it is a JSON object or array, else None."""
    if text.strip()[:1] not in ("{", "["):
        return None
    try:
        return read_json(text)
    except (ValueError, DataLimitError):
        return None


def _names_another_charset(response) -> bool:
    message = Message()
    message["Content-Type"] = response.header("Content-Type") or ""
    charset = message.get_param("charset")
    return isinstance(charset, str) and charset.strip().lower() not in (
        "utf-8",
        "utf8",
    )


def _looks_like_form(text: str) -> bool:
    text = text.strip()
    return bool(text) and "=" in text and not any(c.isspace() for c in text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _shape(data, mask: Callable[[str], str] = str) -> str:
    if data is None:
        return "JSON null"  # an empty body was refused before
    if isinstance(data, list):
        return "a JSON array"
    if isinstance(data, str):
        return f'text ("{excerpt(_one_line(mask(data)), limit=80)}")'
    return f"a JSON {type(data).__name__}"


def _check_status(response, data, label: str, kind: str, mask=str) -> None:
    status = response.status
    if 200 <= status < 300:
        if not response.body.strip():
            raise FlowError(
                f"The {label} answered {status} with an empty body; expected JSON.",
                "Check the endpoint's URL and method.",
            )
        if not _error_despite_success(data, kind):
            return
    code = ""
    said = f"{status} {response.reason}".strip()
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        # The provider's words may quote what it was sent: masked as data,
        # where a short password counts too, not as prose.
        # Masked, then cut: a secret across the cut would leave its half.
        code = excerpt(mask(data["error"]), limit=100)
        description = data.get("error_description")
        detail = (
            f" ({excerpt(_one_line(mask(description)), limit=500)})"
            if isinstance(description, str)
            else ""
        )
        said = f"{status} {code}{detail}"
    # RFC 9110 §10.2.3: with 429 and 503, how long to wait.
    wait = _retry_after(response.header("Retry-After"))
    if status == 429:
        raise FlowError(
            f"The provider is limiting requests: the {label} answered {said}{wait}.",
            "Try again later.",
        )
    if code:
        hint = TOKEN_ERROR_HINTS.get(code) or STATUS_HINTS.get(status, "")
        words = f"The {label} answered {said}"
        raise FlowError(f"{words}: {hint}" if hint else f"{words}.", "")
    if status >= 500:
        raise FlowError(
            f"The provider failed: the {label} answered {said}"
            f"{wait if status == 503 else ''}.",
            "This is on the provider's side; try again later.",
        )
    hint = STATUS_HINTS.get(status, "")
    raise FlowError(f"The {label} answered {said}.", hint[:1].upper() + hint[1:])


def _error_despite_success(data, kind: str) -> bool:
    """Whether a 2xx reply is an error all the same: Slack's
    ``{"ok": false, "error": …}``, or a token endpoint's error without a token."""
    if not isinstance(data, dict) or not isinstance(data.get("error"), str):
        return False
    if data.get("ok") is False:
        return True
    return kind in ("access_token", "request_token") and not (
        "access_token" in data or "oauth_token" in data
    )


def _retry_after(value: str | None) -> str:
    """Word a Retry-After header: seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = (value or "").strip()
    if http.retry_after_seconds(value) is None:
        return ""
    if value.isdigit():
        return f"; it asks to wait {int(value)} seconds"
    return f"; it asks to wait until {excerpt(value, limit=40)}"


__all__ = [
    "FlowAuth",
    "Reply",
    "basic_credentials",
    "call_endpoint",
    "endpoint_label",
    "read_reply",
]
