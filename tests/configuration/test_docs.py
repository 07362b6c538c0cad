"""The examples in docs/config-format.md are real files."""

import re

import pytest
from django.conf import settings

from apps.models import App
from configuration.exporter import export_apps_text
from tests.configuration.helpers import run_command, write

pytestmark = pytest.mark.django_db

DOC = (settings.BASE_DIR / "docs" / "config-format.md").read_text(encoding="utf-8")


def example(language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.DOTALL)
    return next(block for block in blocks if "acme" in block)


def test_the_yaml_and_json_examples_import_to_the_same_app(tmp_path):
    write(tmp_path / "acme.yaml", example("yaml"))
    write(tmp_path / "acme.json", example("json"))

    run_command("import_apps", str(tmp_path / "acme.yaml"))
    from_yaml = export_apps_text(App.objects.all())
    result = run_command("import_apps", str(tmp_path / "acme.json"))

    assert "acme: unchanged" in result.stdout
    assert result.stderr == ""
    assert export_apps_text(App.objects.all()) == from_yaml
    assert from_yaml == example("yaml")
