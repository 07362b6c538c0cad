"""Production settings: `check --deploy` passes when configured, explains when not."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

PROJECT = Path(__file__).resolve().parents[2]
# Variables the check reads, and one the browser fixtures set for this process.
PROJECT_VARIABLES = {
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "DEBUG",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    # pytest runs with the test settings (the provider peers); the check is
    # of the console's own, as manage.py loads them in production.
    "DJANGO_SETTINGS_MODULE",
}


def run_check(tmp_path, **variables):
    env = {
        key: value for key, value in os.environ.items() if key not in PROJECT_VARIABLES
    }
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **variables}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_variables():
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "console.example.com",
    }


def test_check_deploy_passes_with_production_variables(tmp_path):
    result = run_check(tmp_path, **production_variables())
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_missing_encryption_keys_name_the_variable(tmp_path):
    variables = production_variables()
    del variables["FIELD_ENCRYPTION_KEYS"]
    result = run_check(tmp_path, **variables)
    assert result.returncode != 0
    assert "Set the FIELD_ENCRYPTION_KEYS environment variable" in result.stderr


def test_development_secret_key_is_refused_when_debug_is_off(tmp_path):
    variables = production_variables()
    del variables["SECRET_KEY"]
    result = run_check(tmp_path, **variables)
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_invalid_encryption_key_is_reported(tmp_path):
    variables = production_variables()
    variables["FIELD_ENCRYPTION_KEYS"] += ",not-a-key"
    result = run_check(tmp_path, **variables)
    assert result.returncode != 0
    assert "key number 2 is not a valid Fernet key" in result.stderr


def test_development_key_is_generated_once_and_kept(tmp_path):
    from integry.keys import development_encryption_key

    first = development_encryption_key(tmp_path / ".local")
    second = development_encryption_key(tmp_path / ".local")
    assert first == second
    Fernet(first)  # a valid key
    assert (tmp_path / ".local" / "field-encryption.key").stat().st_mode & 0o077 == 0
