"""``manage.py twig_render`` gives exactly what ``shared/tools/twig-render`` gives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TWIG_RENDER = REPO.parent / "shared" / "tools" / "twig-render"

CASES = [
    {
        "id": "plain",
        "template": "Hello {{ user.name }}!\n",
        "data": {"user": {"name": "Ada"}},
    },
    {
        "id": "json",
        "template": '{"a": "{{ a }}", "b": {{ b|json_encode }}}',
        "data": {"a": "é/ü", "b": {"x": [1, 2.0]}},
    },
    {"id": "syntax-error", "template": "{{ a|nope }}", "data": {}},
    {"id": "runtime-error", "template": "{{ 1 % 0 }}", "data": {}},
    {"template": "no id {{ true }}", "data": {}},
    {"id": 7, "template": "{% for i in 1..3 %}{{ i }}{% endfor %}", "data": {}},
    {"id": "line-sep", "template": "{{ s }}", "data": {"s": "a\u2028b"}},
    {"id": "php-error", "template": '{{ "%s-%s"|format("a") }}', "data": {}},
    {"id": "php-exception", "template": "{{ 'abc'|date }}", "data": {}},
    {"id": "array-notice", "template": "{{ [1] }}{{ [[1]]|join }}", "data": {}},
]


def run(command: list[str], stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, cwd=REPO, timeout=120
    )


def ours(*args: str, stdin: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", "twig_render", *args], stdin)


needs_twig = pytest.mark.skipif(
    not TWIG_RENDER.exists(), reason="shared/tools/twig-render is not available"
)


@needs_twig
@pytest.mark.parametrize("case", CASES[:2] + CASES[4:], ids=lambda c: str(c.get("id")))
def test_single_case_output_is_identical(case):
    stdin = json.dumps(case)
    expected = run([str(TWIG_RENDER)], stdin)
    got = ours(stdin=stdin)
    assert (got.returncode, got.stdout) == (expected.returncode, expected.stdout)


@needs_twig
def test_jsonl_lines_are_identical():
    # Errors too: PHP's own errors unwrapped, its exceptions wrapped by Twig,
    # and the "Array to string conversion" notice as a warning.
    stdin = "".join(json.dumps(case) + "\n" for case in CASES) + "\n"
    expected = run([str(TWIG_RENDER), "--jsonl"], stdin).stdout.splitlines()
    got = ours("--jsonl", stdin=stdin).stdout.splitlines()
    assert len(got) == len(expected) == len(CASES)
    assert got == expected


def test_error_goes_to_stderr_with_exit_status_1():
    result = ours(stdin=json.dumps({"template": "x\n{{ a|nope }}"}))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == 'Unknown "nope" filter in "template" at line 2.\n'


def test_strict_and_timezone_options():
    stdin = json.dumps({"template": "{{ missing }}", "data": {}})
    assert ours("--strict", stdin=stdin).returncode == 1
    stdin = json.dumps({"template": "{{ 0|date('H:i e') }}", "data": {}})
    assert ours("--timezone=Asia/Tokyo", stdin=stdin).stdout == "09:00 Asia/Tokyo"


def test_bad_input_is_a_usage_error():
    result = ours(stdin="not json")
    assert result.returncode == 2
    assert "stdin must be one JSON object" in result.stderr
    assert ours("--timezone=Nowhere/Land", stdin="{}").returncode == 2
