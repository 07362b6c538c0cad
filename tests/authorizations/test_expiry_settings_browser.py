"""The expiry settings on the authorization form, in a real browser: their
own section, shown for every type, with help in words; a syntax error shown
at the field with nothing saved."""

import pytest
from django.urls import reverse

from authorizations.models import Authorization
from tests.factories import AppFactory

# Serialized rollback: the flush after a live-server test would otherwise take
# the migration's permission groups away from the tests that follow.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_expiry_section_shows_for_every_type(admin_page):
    app = AppFactory(name="Acme")
    page, base = admin_page, admin_page.live_server_url
    page.goto(f"{base}{reverse('admin:authorizations_authorization_add')}?app={app.pk}")
    expiry = page.locator("fieldset.type-settings-expiry")

    # API Key has no app credentials, but its tokens can expire all the same.
    assert page.locator("fieldset.type-settings").is_hidden()
    assert expiry.is_visible()
    assert page.input_value("#id_expired_statuses") == "401"
    assert "For example:" in page.inner_text("#id_expired_when_helptext")

    page.select_option("#id_type", "oauth2")
    assert page.locator("fieldset.type-settings").is_visible()
    assert expiry.is_visible()
    page.select_option("#id_type", "basic")
    assert page.locator("fieldset.type-settings").is_hidden()
    assert expiry.is_visible()

    page.fill("#id_expired_when", "{{ response.error == }}")
    page.click("input[name=_save]")

    error = page.locator(".form-row.field-expired_when .errorlist")
    assert "Line 1, column 21:" in error.inner_text()
    assert not Authorization.objects.filter(app=app, type="basic").exists()
    assert page.input_value("#id_expired_when") == "{{ response.error == }}"
