"""Real provider peers for the console's flows (see tests/peers/fixtures.py)."""
