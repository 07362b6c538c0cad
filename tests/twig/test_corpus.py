"""Every corpus case renders byte for byte as real Twig rendered it.

The expected files are written only by ``regenerate_golden.py``.  When Twig
raised, the engine must raise a ``TemplateError``; for a case marked
``"message": true`` it must also say what Twig says, at the line Twig names
(``twig_report`` words a runtime failure as Twig wraps it).
"""

from __future__ import annotations

import pytest

from twig import TemplateError, compile_template, twig_report

from .corpus_cases import areas, load_cases, load_expected


def _params():
    for area in areas():
        expected = load_expected(area)
        for case in load_cases(area):
            yield pytest.param(area, case, expected.get(case["id"]), id=case["id"])


@pytest.mark.parametrize(("area", "case", "expected"), list(_params()))
def test_case_agrees_with_twig(area, case, expected):
    assert expected is not None, f"no golden result: run regenerate_golden.py ({area})"
    if "error" in expected:
        with pytest.raises(TemplateError) as caught:
            compile_template(case["template"]).render(case["data"])
        if case.get("message"):
            assert twig_report(caught.value)[0] == expected["error"]
        return
    output = compile_template(case["template"]).render(case["data"])
    assert output == expected["output"]
