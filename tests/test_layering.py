"""Imports run one way (DESIGN.md §6), read from the source, not from a run.

Each module's imports are found in its syntax tree, those inside functions
included, so a lazy import cannot slip past.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("apps", "authorizations", "configuration", "connections", "console")
# The project's own top-level packages: imports of anything else (django,
# yaml, the standard library) are not about the layering.
OURS = (*PACKAGES, "integry", "twig")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    """Return the modules `path` imports, each as a full dotted name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).rsplit(".", 1)[0]
    if path.name == "__init__.py":
        package = module_name(path)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            # `from pkg import mod` imports pkg.mod when it is a module.
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".")[0] in OURS}


def modules_of(package: str) -> dict[str, set[str]]:
    return {
        module_name(path): imported_names(path)
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def is_admin_module(name: str) -> bool:
    """Tell whether `name` is a module that registers ModelAdmins."""
    parts = name.split(".")
    return len(parts) == 2 and parts[0] in PACKAGES and parts[1] == "admin"


def offending(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for module, names in modules_of(package).items():
        bad = sorted(n for n in names if n.split(".")[0] in forbidden)
        if bad:
            found[module] = bad
    return found


def test_every_package_is_scanned():
    for package in PACKAGES:
        assert modules_of(package), f"{package}/ holds no module"


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("console", ("apps", "authorizations", "connections", "configuration")),
        ("apps", ("connections", "configuration")),
        ("authorizations", ("connections", "configuration")),
        ("connections", ("configuration",)),
    ],
)
def test_imports_point_down(package, forbidden):
    assert offending(package, forbidden) == {}


def test_the_app_imports_nothing_of_the_console_but_in_its_admin():
    # The App is the root entity: authorizations point at it, not it at them.
    # Its admin may import the models it shows (the Authorizations section).
    console_apps = ("authorizations", "connections", "configuration")
    found = offending("apps", console_apps)
    admin_imports = found.pop("apps.admin", [])
    assert found == {}
    assert all(name.split(".")[1:2] == ["models"] for name in admin_imports)


def test_no_module_imports_an_admin_module():
    importers = {
        module: sorted(name for name in names if is_admin_module(name))
        for package in (*PACKAGES, "integry")
        for module, names in modules_of(package).items()
    }
    assert {module: names for module, names in importers.items() if names} == {}


def test_the_scan_sees_lazy_and_relative_imports(tmp_path, monkeypatch):
    # The checks above are only as good as this reading of a module.
    package = tmp_path / "authorizations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    module = package / "sample.py"
    module.write_text(
        "from . import admin\n"
        "def later():\n"
        "    from connections.models import ConnectedAccount\n"
        "    import configuration.exporter\n"
    )
    monkeypatch.setitem(globals(), "ROOT", tmp_path)

    assert imported_names(module) == {
        "authorizations",
        "authorizations.admin",
        "connections.models",
        "connections.models.ConnectedAccount",
        "configuration.exporter",
    }
