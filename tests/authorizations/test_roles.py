"""The migrated database gives each group exactly what authorizations/roles.py says."""

import pytest
from django.contrib.auth.models import Group

from authorizations.roles import ROLES

pytestmark = pytest.mark.django_db


def granted(group: Group) -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {}
    for permission in group.permissions.select_related("content_type"):
        content_type = permission.content_type
        label = f"{content_type.app_label}.{content_type.model}"
        action = permission.codename.removesuffix(f"_{content_type.model}")
        grants.setdefault(label, set()).add(action)
    return grants


@pytest.mark.parametrize("group_name", list(ROLES))
def test_group_holds_its_role(group_name):
    expected = {label: set(actions) for label, actions in ROLES[group_name].items()}

    assert granted(Group.objects.get(name=group_name)) == expected
