"""How a secret is shown: never whole, at most its last four characters."""

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
