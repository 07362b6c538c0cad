"""Read the golden corpus: ``corpus/<area>.json`` cases and their expected files."""

from __future__ import annotations

import json
from pathlib import Path

CORPUS_DIR = Path(__file__).parent / "corpus"


def areas() -> list[str]:
    """Return every area that has a cases file, sorted."""
    return sorted(
        path.name[: -len(".json")]
        for path in CORPUS_DIR.glob("*.json")
        if not path.name.endswith(".expected.json")
    )


def load_cases(area: str) -> list[dict]:
    return json.loads((CORPUS_DIR / f"{area}.json").read_text(encoding="utf-8"))


def load_expected(area: str) -> dict:
    path = CORPUS_DIR / f"{area}.expected.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))
