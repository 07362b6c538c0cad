"""Print how many corpus cases of each area agree with real Twig.

    .venv/bin/python tests/twig/agreement.py [-v]

``-v`` also lists the cases that disagree.  A case marked ``"message"``
agrees only when the error says what Twig says, at Twig's line.  Used for
bench/README.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integry.settings")

from corpus_cases import areas, load_cases, load_expected  # noqa: E402

from twig import TemplateError, compile_template, twig_report  # noqa: E402


def agrees(case: dict, expected: dict | None) -> tuple[bool, str]:
    if expected is None:
        return False, "no golden result"
    try:
        output = compile_template(case["template"]).render(case["data"])
    except TemplateError as error:
        if "error" in expected:
            said = twig_report(error)[0]
            if case.get("message") and said != expected["error"]:
                return False, f"said {said!r}, Twig {expected['error']!r}"
            return True, ""
        return False, f"raised {error}"
    if "error" in expected:
        return False, f"rendered {output!r}, Twig raised {expected['error']}"
    if output != expected["output"]:
        return False, f"{output!r} != {expected['output']!r}"
    return True, ""


def main(verbose: bool) -> None:
    total_ok = total = 0
    for area in areas():
        expected = load_expected(area)
        cases = load_cases(area)
        results = [(case, *agrees(case, expected.get(case["id"]))) for case in cases]
        ok = sum(1 for _, good, _ in results if good)
        total_ok += ok
        total += len(cases)
        print(f"{area}: {ok}/{len(cases)} agree")
        if verbose:
            for case, good, why in results:
                if not good:
                    print(f"    {case['id']}: {why}")
    print(f"total: {total_ok}/{total} agree")


if __name__ == "__main__":
    main("-v" in sys.argv[1:])
