"""Regenerate every ``corpus/<area>.expected.json`` with real Twig.

Pipes all cases of every area through ``shared/tools/twig-render --jsonl`` and
writes what Twig printed (or the error it raised).  Run from the repository:

    .venv/bin/python tests/twig/regenerate_golden.py [AREA ...]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_cases import CORPUS_DIR, areas, load_cases  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TWIG_RENDER = Path(
    os.environ.get("TWIG_RENDER", REPO.parent / "shared" / "tools" / "twig-render")
)


def twig_results(cases: list[dict]) -> dict:
    lines = "".join(
        json.dumps(
            {"id": case["id"], "template": case["template"], "data": case["data"]}
        )
        + "\n"
        for case in cases
    )
    completed = subprocess.run(
        [str(TWIG_RENDER), "--jsonl"],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
    )
    results = {}
    for line in completed.stdout.splitlines():
        result = json.loads(line)
        case_id = result.pop("id")
        if "output" in result:
            results[case_id] = {"output": result["output"]}
        else:
            results[case_id] = {"error": result["error"], "type": result["type"]}
    return results


def regenerate(area: str) -> int:
    cases = load_cases(area)
    ids = [case["id"] for case in cases]
    duplicates = {case_id for case_id in ids if ids.count(case_id) > 1}
    if duplicates:
        raise SystemExit(f"{area}: duplicate ids {sorted(duplicates)}")
    results = twig_results(cases)
    missing = set(ids) - set(results)
    if missing:
        raise SystemExit(f"{area}: twig-render gave no result for {sorted(missing)}")
    path = CORPUS_DIR / f"{area}.expected.json"
    text = json.dumps(results, sort_keys=True, indent=1, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return len(cases)


def main(argv: list[str]) -> None:
    if not TWIG_RENDER.exists():
        raise SystemExit(f"twig-render not found at {TWIG_RENDER}")
    for area in argv or areas():
        print(f"{area}: {regenerate(area)} cases")


if __name__ == "__main__":
    main(sys.argv[1:])
