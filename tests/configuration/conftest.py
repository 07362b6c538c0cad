from pathlib import Path

import pytest


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    """Work in tmp_path, so messages name files as short relative paths."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
