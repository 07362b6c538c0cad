"""The twig package stands alone, and the console uses it through its front door.

``twig`` imports nothing of Django or of the console (DESIGN.md §6: imports
run ``twig`` ← ``authorizations`` ← ``connections``), and code outside it
imports only the package's public names, so its modules can change freely.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import twig

REPO = Path(__file__).resolve().parents[2]
CONSOLE_PACKAGES = ("django", "apps", "authorizations", "integry", "connections")
CONSOLE_PACKAGES += ("console", "configuration")
# Not the console's source: the engine itself, its own tests, third parties.
OUTSIDE_THE_CONSOLE = {".venv", "node_modules", "twig", ".git", "frontend"}


def test_importing_twig_loads_nothing_of_django_or_the_console():
    # A fresh interpreter: this one has long loaded Django for other tests.
    code = (
        "import json, sys, twig; "
        "twig.render('{{ x|date(\"Y\") }}', {'x': 0}); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    found = [name for name in loaded if name.split(".")[0] in CONSOLE_PACKAGES]
    assert found == []


def console_sources():
    for path in sorted(REPO.rglob("*.py")):
        parts = path.relative_to(REPO).parts
        if parts[0] in OUTSIDE_THE_CONSOLE or parts[:2] == ("tests", "twig"):
            continue
        yield path


def twig_imports(path: Path):
    """Yield (line, what) for each import of twig in a Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "twig":
                    yield node.lineno, alias.name
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "twig"
        ):
            for alias in node.names:
                yield node.lineno, f"{node.module}:{alias.name}"


def test_the_console_imports_only_twigs_public_names():
    public = set(twig.__all__)
    wrong = []
    for path in console_sources():
        for line, what in twig_imports(path):
            module, _, name = what.partition(":")
            if module != "twig" or (name and name not in public):
                wrong.append(f"{path.relative_to(REPO)}:{line}: {what}")
    assert wrong == []


def test_the_scan_sees_the_console():
    # Without this, a scan that found no file would pass too.
    scanned = {path.relative_to(REPO).parts[0] for path in console_sources()}
    assert {"authorizations", "apps", "integry", "tests", "bench"} <= scanned
    assert any(True for path in console_sources() for _ in twig_imports(path))


def test_the_generated_code_names_no_console_module():
    template = twig.compile_template("{{ a|upper }}{% for x in b %}{{ x }}{% endfor %}")
    code = template.python_source
    for name in ("authorizations", "templating", "django", "apps."):
        assert name not in code
