"""How a secret is shown: never whole, at most its last four characters.

``mask_secret`` masks one stored value for display.  ``SecretMasker`` hides a
set of secret values (the ones in play for a preview or a flow's step log)
wherever they were written into what is shown: a URL, a header, a body, a
template's output, an error message.  ``masker_for`` builds one from a
template's inputs, taking as secret what the type registry declares secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

from authorizations import types

MASK = "••••"
# Below this length the last four characters would give away too much.
_MIN_LENGTH_TO_SHOW_TAIL = 12


def mask_secret(value: str | None) -> str:
    """Return `value` masked as `••••1234`, or "" when it is not set."""
    if not value:
        return ""
    if len(value) < _MIN_LENGTH_TO_SHOW_TAIL:
        return MASK
    return MASK + value[-4:]


def secrets_in(values: Mapping | None, names: Iterable[str]) -> list[str]:
    """Return the text of the fields ``names`` of ``values`` that hold a secret.

    Text and integers count (a PIN may be a number); empty values, booleans
    and nested data do not.
    """
    if not isinstance(values, Mapping):
        return []
    found = []
    for name in names:
        value = values.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value) if not isinstance(value, str) else value
            if text.strip():
                found.append(text)
    return found


def written_forms(secret: str) -> set[str]:
    """Return the ways ``secret`` can appear once written into a URL, form or JSON."""
    forms = {
        secret,
        # A lone surrogate cannot be encoded as UTF-8; "surrogatepass" gives
        # the bytes an encoder that allows it would write, instead of failing.
        quote(secret, safe="~", errors="surrogatepass"),
        quote(secret, safe="!$'()*,;=:@/?~", errors="surrogatepass"),
        quote_plus(secret, errors="surrogatepass"),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    return {form for form in forms if form}


class SecretMasker:
    """Hide the secret values in play wherever they appear as values.

    Built from the secret values themselves (``SecretMasker(["s3cr3t", …])``),
    it replaces each of their written forms (as is, percent-encoded,
    form-encoded, JSON-escaped) with the value's mask:

    * ``value(text)`` — in data: a URL, a header value, a body, a template's
      output.  A form is masked wherever it occurs; a short one (under
      ``MIN_ANYWHERE`` characters) only where it stands alone, since "ab"
      also occurs inside unrelated words.
    * ``message(text)`` — in prose.  A short secret is also an ordinary word
      ("a", "true", "3600"): masking it in prose garbles the sentence ("must
      be •••• number") and tells a reader which word it was.  So prose masks
      only secrets of ``MIN_IN_PROSE`` characters or more; short ones only
      inside quoted values (``"…"``, ``“…”``, `` `…` ``) and on the lines
      after the first, which quote source or output.
    """

    MIN_ANYWHERE = 8
    MIN_IN_PROSE = 8
    # A quoted value inside a message: "…" with JSON escapes, “…”, `…`.
    _QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"|“[^”\n]*”|`[^`\n]*`')

    def __init__(self, secrets: Iterable[str]):
        self._replacements: dict[str, str] = {}
        self._long: set[str] = set()  # forms of secrets that prose masks too
        for secret in secrets:
            if not isinstance(secret, str) or not secret.strip():
                continue
            for form in written_forms(secret):
                self._replacements.setdefault(form, mask_secret(secret))
                if len(secret) >= self.MIN_IN_PROSE:
                    self._long.add(form)
        self._patterns: dict[tuple[str, ...], re.Pattern] = {}

    def __bool__(self) -> bool:
        return bool(self._replacements)

    def _pattern(self, forms: tuple[str, ...]) -> re.Pattern:
        pattern = self._patterns.get(forms)
        if pattern is None:
            alternatives = []
            # Longest first, so a secret is replaced whole rather than the
            # shorter secret it contains.
            for form in sorted(forms, key=len, reverse=True):
                escaped = re.escape(form)
                if len(form) < self.MIN_ANYWHERE:
                    escaped = rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"
                alternatives.append(escaped)
            pattern = self._patterns[forms] = re.compile("|".join(alternatives))
        return pattern

    def _mask(self, text: str, candidates) -> str:
        # Only the forms the text holds go into the pattern: a substring test
        # is far cheaper than trying every alternative at every position.
        forms = tuple(sorted(form for form in candidates if form in text))
        if not forms:
            return text
        if all(len(form) >= self.MIN_ANYWHERE for form in forms):
            return self._mask_spans(text, forms)
        return self._pattern(forms).sub(
            lambda match: self._replacements[match.group()], text
        )

    def _mask_spans(self, text: str, forms) -> str:
        """Mask every occurrence of long ``forms``, found by plain search.

        Occurrences that overlap (a secret containing another, two secrets
        written back to back and sharing characters) become one masked span,
        so no part of either stays in clear; no pattern is compiled.
        """
        found = []
        for form in forms:
            start = text.find(form)
            while start != -1:
                found.append((start, start + len(form), form))
                start = text.find(form, start + 1)
        found.sort()
        spans: list[list] = []
        for start, end, form in found:
            if spans and start < spans[-1][1]:
                last = spans[-1]
                last[1] = max(last[1], end)
                if len(form) > len(last[2]):
                    last[2] = form
            else:
                spans.append([start, end, form])
        parts, position = [], 0
        for start, end, form in spans:
            parts += [text[position:start], self._replacements[form]]
            position = end
        parts.append(text[position:])
        return "".join(parts)

    def value(self, text: str) -> str:
        """Mask the secrets in data (a URL, header value, body or output)."""
        if not self._replacements or not isinstance(text, str):
            return text
        return self._mask(text, self._replacements)

    def message(self, text: str) -> str:
        """Mask the secrets in a message, leaving short words of prose alone."""
        if not self._replacements or not isinstance(text, str):
            return text
        first, newline, rest = text.partition("\n")
        parts = []
        position = 0
        for match in self._QUOTED.finditer(first):
            parts.append(self._mask(first[position : match.start()], self._long))
            parts.append(self.value(match.group()))
            position = match.end()
        parts.append(self._mask(first[position:], self._long))
        return "".join(parts) + newline + self.value(rest)

    def header(self, name: str, value: str) -> str:
        """Mask a header value: whole for a credential header, else its secrets."""
        # A credential header is masked whole, even when its value came from
        # no known secret (a literal API key typed into the template).
        if not types.registry().is_secret_header(name):
            return self.value(value)
        scheme, _, credentials = value.partition(" ")
        if credentials and scheme.isalpha():  # "Bearer …", "Basic …"
            return f"{scheme} {mask_secret(credentials) or credentials}"
        return mask_secret(value)

    def data(self, value):
        """Mask the secrets in every text of parsed data (lists, mappings)."""
        if isinstance(value, str):
            return self.value(value)
        if isinstance(value, list):
            return [self.data(item) for item in value]
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        return value


def masker_for(*, request_body=None, query=None, response=None) -> SecretMasker:
    """Build the masker of a template's inputs: their secrets, per the registry.

    ``request_body`` and ``query`` are what templates get as ``requestBody``
    and ``query``, ``response`` the provider's parsed reply.
    """
    registry = types.registry()
    return SecretMasker(
        secrets_in(request_body, registry.secret_request_fields)
        + secrets_in(query, registry.secret_query_fields)
        + secrets_in(response, registry.secret_response_fields)
    )


__all__ = [
    "MASK",
    "SecretMasker",
    "mask_secret",
    "masker_for",
    "secrets_in",
    "written_forms",
]
