"""The permission groups staff are put in, as data.

Read by the migration that creates the groups, so a role is one entry here.
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
        "authorizations.connectedaccount": ("view", "change", "delete"),
    },
}
