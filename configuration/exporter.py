"""Export apps as configuration files.

An export is deterministic, so files can live in version control and be diffed,
and importing it back (configuration/importer.py) changes nothing. The format is
documented in docs/config-format.md.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import prefetch_related_objects

from apps.models import App
from authorizations import types
from authorizations.models import Authorization, Endpoint
from configuration.schema import (
    APP_FIELDS,
    ENDPOINT_FIELDS,
    FORMAT_VERSION,
    FORMATS,
    KEPT_WHEN_ABSENT,
    dump_document,
)

__all__ = ["FORMATS", "export_apps_text"]


def _text(value: str) -> str:
    # Browsers submit textareas with CRLF line ends; JSON templates do not care,
    # and LF lets YAML show them as readable `|` blocks.
    return value.replace("\r\n", "\n")


def _setting_value(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        # PostgreSQL's jsonb keeps no key order: sorted, the export is stable.
        return dict(sorted(value.items()))
    return value


def _endpoint_document(endpoint: Endpoint) -> dict[str, Any]:
    document = {name: _text(getattr(endpoint, name)) for name in ENDPOINT_FIELDS}
    document["headers"] = endpoint.header_dicts()
    return document


def _authorization_document(
    authorization: Authorization, *, include_secrets: bool
) -> dict[str, Any]:
    spec = types.registry().types.get(authorization.type)
    document: dict[str, Any] = {"name": authorization.name, "type": authorization.type}
    settings = spec.used_settings(grant=authorization.grant_type) if spec else ()
    for setting in settings:
        value = getattr(authorization, setting.name)
        if setting.secret and not include_secrets:
            continue
        # A key left out means its default, so a setting at its default is
        # not written; a credential left out keeps what the importing
        # installation stores, so only a set one is; other required settings
        # always show.
        default = Authorization._meta.get_field(setting.name).get_default()
        if value != default or (
            setting.required and setting.name not in KEPT_WHEN_ABSENT
        ):
            document[setting.name] = _setting_value(value)
    kinds = list(types.ENDPOINT_KINDS)
    endpoints = sorted(
        authorization.endpoints.all(),
        key=lambda e: kinds.index(e.kind) if e.kind in kinds else len(kinds),
    )
    document["endpoints"] = {
        endpoint.kind: _endpoint_document(endpoint) for endpoint in endpoints
    }
    return document


def _app_document(app: App, *, include_secrets: bool) -> dict[str, Any]:
    document: dict[str, Any] = {"slug": app.slug, "name": app.name}
    for name in APP_FIELDS:
        value = getattr(app, name)
        if name not in document and value:
            document[name] = _text(value)
    # Sorted here rather than by the database, whose collation varies.
    authorizations = sorted(app.authorizations.all(), key=lambda a: a.name)
    document["authorizations"] = [
        _authorization_document(authorization, include_secrets=include_secrets)
        for authorization in authorizations
    ]
    return document


def export_apps_text(
    apps: Iterable[App], *, fmt: str = "yaml", include_secrets: bool = False
) -> str:
    """Return the apps, with authorizations, endpoints and headers, as config text.

    Secrets are left out unless `include_secrets`; equal data gives equal bytes.
    """
    if fmt not in FORMATS:
        raise ValueError(f'"{fmt}" is not a config format; choose one of: yaml, json.')
    app_list = sorted(apps, key=lambda app: app.slug)
    prefetch_related_objects(app_list, "authorizations__endpoints__headers")
    document = {
        "version": FORMAT_VERSION,
        "apps": [
            _app_document(app, include_secrets=include_secrets) for app in app_list
        ],
    }
    return dump_document(document, fmt=fmt)
