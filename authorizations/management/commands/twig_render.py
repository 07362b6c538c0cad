"""Render Twig templates from stdin, as ``shared/tools/twig-render`` does.

Same input and output as that reference tool (one ``{"template", "data"}``
object → the rendered text; ``--jsonl``: one object a line → one
``{"id", "output"}`` or ``{"id", "error", "type"}`` a line), but through the
project's own engine, so the two can be compared case by case.
"""

from __future__ import annotations

import json
import sys
import zoneinfo

from django.core.management.base import BaseCommand

from twig import TemplateError, collecting_notices, compile_template, twig_report

USAGE_EXIT = 2


class Command(BaseCommand):
    help = "Render a Twig template read from stdin with the project's engine."

    def add_arguments(self, parser):
        parser.add_argument("--jsonl", action="store_true", help="one case a line")
        parser.add_argument(
            "--strict", action="store_true", help="undefined variables raise"
        )
        parser.add_argument("--timezone", default="UTC", help="default: UTC")

    def handle(self, *args, jsonl=False, strict=False, timezone="UTC", **options):
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.usage_error(f"unknown timezone '{timezone}'")
        raw = sys.stdin.read()
        if jsonl:
            self.render_lines(raw, strict=strict, timezone=timezone)
            return
        try:
            case = json.loads(raw)
        except json.JSONDecodeError as error:
            case, detail = None, f" ({error.msg})"
        else:
            detail = ""
        if not isinstance(case, dict):
            self.usage_error(
                'stdin must be one JSON object {"template": "...", "data": {...}}'
                + detail
            )
        problem = input_problem(case)
        if problem:
            self.usage_error(problem)
        with collecting_notices() as collected:
            try:
                output = render_case(case, strict=strict, timezone=timezone)
            except TemplateError as error:
                sys.stderr.write(twig_report(error)[0] + "\n")
                sys.exit(1)
        for message in collected:
            sys.stderr.write(f"twig_render: PHP warning: {message}\n")
        sys.stdout.write(output)
        sys.stdout.flush()

    def render_lines(self, raw: str, *, strict: bool, timezone: str) -> None:
        for line in raw.splitlines():
            if not line.strip():
                continue
            try:
                case = json.loads(line)
            except json.JSONDecodeError as error:
                emit({"error": f"invalid input line: {error.msg}", "type": "input"})
                continue
            if not isinstance(case, dict):
                emit({"error": "invalid input line: not an object", "type": "input"})
                continue
            result = {"id": case["id"]} if "id" in case else {}
            problem = input_problem(case)
            if problem:
                result.update(error=problem, type="input")
            else:
                with collecting_notices() as collected:
                    try:
                        result["output"] = render_case(
                            case, strict=strict, timezone=timezone
                        )
                    except TemplateError as error:
                        result["error"], result["type"] = twig_report(error)
                if collected and "output" in result:
                    result["warnings"] = collected
            emit(result)

    def usage_error(self, message: str):
        sys.stderr.write(f"twig_render: {message}\n")
        sys.exit(USAGE_EXIT)


def input_problem(case: dict) -> str | None:
    if not isinstance(case.get("template"), str):
        return 'input needs a "template" string'
    if not isinstance(case.get("data", {}), dict | list):
        return '"data" must be a JSON object'
    return None


def render_case(case: dict, *, strict: bool, timezone: str) -> str:
    data = case.get("data") or {}
    if isinstance(data, list):  # PHP decodes [] (and any list) as an array
        data = {str(index): value for index, value in enumerate(data)}
    template = compile_template(case["template"], strict=strict)
    return template.render(data, timezone=timezone)


def emit(result: dict) -> None:
    """Write one result line as PHP's json_encode does in twig-render."""
    line = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
    # JSON_UNESCAPED_UNICODE still escapes the two JavaScript line terminators.
    line = line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
