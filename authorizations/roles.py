"""The permission groups staff are put in, as data.

The migrations give the groups these permissions (0002_permission_groups
created them; connections 0001 moved the connected-account ones with their
model). A role changed here needs a migration that grants it; a test checks
that a migrated database holds exactly these.
"""

ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "Integration developers": {
        "apps.app": ("view", "add", "change", "delete"),
        "authorizations.authorization": ("view", "add", "change", "delete"),
        "authorizations.endpoint": ("view", "add", "change", "delete"),
        "authorizations.header": ("view", "add", "change", "delete"),
    },
    "Account managers": {
        "apps.app": ("view",),
        "connections.connectedaccount": ("view", "change", "delete"),
    },
}
