"""How the console's messages name things: an article, a close match, an excerpt.

One rule each, so a sentence reads the same from the admin, the importer, the
checks and rendering.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# How alike a word must be to a choice to be offered as what was meant:
# "clientid" → "client_id", "nmae" → "name", but not "foo" → "scope".
CLOSE_MATCH_CUTOFF = 0.6


def with_article(noun: str, *, capital: bool = False) -> str:
    """Return ``noun`` after its indefinite article: "an API Key", "a Basic".

    By the first letter, which is right for the console's labels; endpoint
    kinds carry their own article.
    """
    article = "an" if noun[:1].lower() in "aeiou" else "a"
    return f"{article.capitalize() if capital else article} {noun}"


def _normalized(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def closest_match(word: str, choices: Iterable[str]) -> str | None:
    """Return the choice ``word`` was most likely meant to be, if any is close.

    clientId, client-id and CLIENT_ID all mean client_id.
    """
    choices = [str(choice) for choice in choices]
    word = str(word)
    for choice in choices:
        if _normalized(choice) == _normalized(word):
            return choice
    close = difflib.get_close_matches(word, choices, n=1, cutoff=CLOSE_MATCH_CUTOFF)
    if close:
        return close[0]
    by_normal = {_normalized(choice): choice for choice in choices}
    close = difflib.get_close_matches(
        _normalized(word), by_normal, n=1, cutoff=CLOSE_MATCH_CUTOFF
    )
    return by_normal[close[0]] if close else None


def excerpt(text: str, *, limit: int = 80) -> str:
    """Return ``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["CLOSE_MATCH_CUTOFF", "closest_match", "excerpt", "with_article"]
