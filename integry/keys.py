"""Development defaults for the secret key and the field encryption key."""

from pathlib import Path

from cryptography.fernet import Fernet

# Refused by integry.checks whenever DEBUG is off.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"


def development_encryption_key(directory: Path) -> str:
    """Return the development Fernet key, generating it once into `directory`.

    Kept in a git-ignored file so data encrypted in one run stays readable in
    the next.
    """
    key_file = directory / "field-encryption.key"
    if key_file.exists():
        return key_file.read_text().strip()
    directory.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key
