from django.contrib.auth.management import create_permissions
from django.db import migrations

# The roles as they were when this migration was written, when connected
# accounts still belonged to authorizations. A migration keeps its own copy:
# authorizations/roles.py describes today's labels, and connections 0001 moves
# the connected-account permissions (and so these grants) to their new app.
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


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrate; the groups need them now.
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for model_label, actions in grants.items():
            app_label, model = model_label.split(".")
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label,
                    codename__in=[f"{action}_{model}" for action in actions],
                )
            )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("authorizations", "0001_initial"),
        ("apps", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
