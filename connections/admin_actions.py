"""The changelist's actions on selected accounts (filled in by issue 9 §6)."""

ACTIONS: list = []
