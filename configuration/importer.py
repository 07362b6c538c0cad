"""Import apps from configuration files.

An import makes the database match the files, all or nothing, and is
idempotent. The format is documented in docs/config-format.md; its syntax and
shape are checked in configuration/schema.py, the values by the models' own
validation.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch

from apps.models import App
from authorizations.models import Authorization, Endpoint, Header
from authorizations.rendering.checks import check_endpoint_templates
from authorizations.services import authorization_clear_unused_settings
from configuration.schema import (
    APP_FIELDS,
    AUTHORIZATION_FIELDS,
    ENDPOINT_FIELDS,
    HEADER_FIELDS,
    MAX_FILE_SIZE,
    AppSpec,
    AuthorizationSpec,
    ConfigSyntaxError,
    EndpointSpec,
    HeaderSpec,
    Location,
    Problem,
    format_for_filename,
    parse_text,
    read_document,
    sort_problems,
    too_large_message,
)
from console.validators import validate_endpoint_headers

__all__ = [
    "AppResult",
    "ConfigImportError",
    "ConfigSource",
    "ImportReport",
    "Problem",
    "import_apps_config",
    "read_config_source",
]

# -- import: reading --------------------------------------------------------


@dataclass(frozen=True)
class ConfigSource:
    """The text of one config file, or why it could not be read."""

    name: str
    text: str | None
    fmt: str = "yaml"
    read_error: str = ""


def read_config_source(path: str | Path) -> ConfigSource:
    """Read a config file; the extension chooses JSON (`.json`) or YAML.

    A file over ``MAX_FILE_SIZE`` is refused after reading one byte more than
    the limit, so a huge file costs neither the time nor the memory to load it.
    """
    name = str(path)
    fmt = format_for_filename(name)
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_SIZE + 1)
    except OSError as error:
        return ConfigSource(
            name, None, fmt, f"the file cannot be read: {error.strerror}."
        )
    if len(data) > MAX_FILE_SIZE:
        return ConfigSource(name, None, fmt, too_large_message())
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return ConfigSource(
            name, None, fmt, f"the file is not UTF-8 text (byte {error.start})."
        )
    # Universal newlines, as Path.read_text reads them.
    return ConfigSource(name, text.replace("\r\n", "\n").replace("\r", "\n"), fmt)


# -- import: planning -------------------------------------------------------


@dataclass(frozen=True)
class AppResult:
    slug: str
    source: str
    status: str  # "created", "updated" or "unchanged"


@dataclass
class ImportReport:
    results: list[AppResult]
    warnings: list[Problem]


class ConfigImportError(Exception):
    """The files cannot be imported; nothing was written."""

    def __init__(self, problems: list[Problem], *, warnings: Sequence[Problem] = ()):
        self.problems = problems
        self.warnings = list(warnings)
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class _HeaderPlan:
    instance: Header
    changed: bool


@dataclass
class _EndpointPlan:
    instance: Endpoint
    changed: bool
    headers: list[_HeaderPlan]
    stale_headers: list[Header]


@dataclass
class _AuthorizationPlan:
    instance: Authorization
    changed: bool
    endpoints: list[_EndpointPlan]
    stale_endpoints: list[Endpoint]


@dataclass
class _AppPlan:
    spec: AppSpec
    instance: App
    created: bool
    changed: bool
    authorizations: list[_AuthorizationPlan] = field(default_factory=list)
    stale_authorizations: list[Authorization] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.created:
            return "created"
        nested_change = self.stale_authorizations or any(
            plan.changed
            or plan.stale_endpoints
            or any(
                endpoint.changed
                or endpoint.stale_headers
                or any(header.changed for header in endpoint.headers)
                for endpoint in plan.endpoints
            )
            for plan in self.authorizations
        )
        return "updated" if self.changed or nested_change else "unchanged"


def _snapshot(instance, *, names) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in names}


def _assign(instance, *, values: dict[str, Any], names) -> bool:
    """Set the values and say whether anything differs from before."""
    before = _snapshot(instance, names=names)
    for name, value in values.items():
        setattr(instance, name, value)
    return instance._state.adding or _snapshot(instance, names=names) != before


def _validate(
    instance, location: Location, *, exclude: Iterable[str], errors: list[Problem]
) -> None:
    """Run the model's own validation and report each message at its path.

    Uniqueness is not queried: the plan guarantees it (apps are matched by
    slug and each slug is imported once, authorizations by name, unique per
    app in the file, endpoints by kind), and a query per object would make the
    import cost grow with every row.
    """
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            where = location if name == NON_FIELD_ERRORS else location.key(name)
            for message in dict.fromkeys(messages):
                errors.append(Problem(where, message))


def _check_headers_together(
    specs: Sequence[HeaderSpec], *, endpoint: EndpointSpec, errors: list[Problem]
) -> None:
    """Apply the rules over all of an endpoint's headers, as the admin does."""
    try:
        validate_endpoint_headers([spec.values.get("name") or "" for spec in specs])
    except ValidationError as error:
        for problem in error.error_list:
            index = problem.params.get("index")
            where = (
                endpoint.location.key("headers")
                if index is None
                else specs[index].location.key("name")
            )
            errors.append(Problem(where, " ".join(problem.messages)))


def _plan_headers(
    endpoint: Endpoint,
    *,
    spec: EndpointSpec,
    existing: list[Header],
    errors: list[Problem],
) -> tuple[list[_HeaderPlan], list[Header]]:
    # Headers are ordered, not named uniquely, so they are matched by position.
    plans = []
    for number, header_spec in enumerate(spec.headers):
        header = existing[number] if number < len(existing) else Header()
        changed = _assign(
            header, values=header_spec.values, names=(*HEADER_FIELDS, "position")
        )
        header.endpoint = endpoint
        _validate(
            header,
            header_spec.location,
            exclude={"endpoint", *header_spec.invalid},
            errors=errors,
        )
        plans.append(_HeaderPlan(header, changed))
    _check_headers_together(spec.headers, endpoint=spec, errors=errors)
    return plans, existing[len(spec.headers) :]


def _plan_endpoints(
    authorization: Authorization,
    *,
    specs: list[EndpointSpec],
    existing: list[Endpoint],
    errors: list[Problem],
) -> tuple[list[_EndpointPlan], list[Endpoint]]:
    by_kind = {endpoint.kind: endpoint for endpoint in existing}
    plans = []
    for spec in specs:
        endpoint = by_kind.pop(spec.kind, None) or Endpoint(kind=spec.kind)
        changed = _assign(endpoint, values=spec.values, names=ENDPOINT_FIELDS)
        endpoint.authorization = authorization
        _validate(
            endpoint,
            spec.location,
            exclude={"authorization", *spec.invalid},
            errors=errors,
        )
        # Prefetched with the app (_existing_apps): no query per endpoint.
        current_headers = [] if endpoint._state.adding else list(endpoint.headers.all())
        headers, stale_headers = _plan_headers(
            endpoint, spec=spec, existing=current_headers, errors=errors
        )
        plans.append(_EndpointPlan(endpoint, changed, headers, stale_headers))
    return plans, list(by_kind.values())


def _plan_authorizations(
    app: App,
    *,
    spec: AppSpec,
    existing: list[Authorization],
    errors: list[Problem],
) -> tuple[list[_AuthorizationPlan], list[Authorization]]:
    by_name = {authorization.name: authorization for authorization in existing}
    plans = []
    for authorization_spec in spec.authorizations:
        authorization = by_name.pop(authorization_spec.name, None) or Authorization()
        plans.append(
            _plan_authorization(
                authorization, app=app, spec=authorization_spec, errors=errors
            )
        )
    stale = list(by_name.values())
    if not spec.lists_every_authorization:
        return plans, stale
    for authorization in stale:
        accounts = authorization.account_count
        if accounts:
            errors.append(
                Problem(
                    spec.location.key("authorizations"),
                    f'"{authorization.name}" of app "{app.slug}" is not in the '
                    f"file, but it cannot be deleted: {accounts} connected "
                    f"account{'s use' if accounts != 1 else ' uses'} it. List it "
                    "again, or remove its connected accounts first.",
                )
            )
    return plans, stale


def _plan_authorization(
    authorization: Authorization,
    *,
    app: App,
    spec: AuthorizationSpec,
    errors: list[Problem],
) -> _AuthorizationPlan:
    before = _snapshot(authorization, names=AUTHORIZATION_FIELDS)
    _assign(authorization, values=spec.values, names=AUTHORIZATION_FIELDS)
    if spec.spec is not None:
        # A setting the new type does not use must not linger unseen.
        authorization_clear_unused_settings(authorization=authorization)
    changed = authorization._state.adding or before != _snapshot(
        authorization, names=AUTHORIZATION_FIELDS
    )
    authorization.app = app
    _validate(
        authorization, spec.location, exclude={"app", *spec.invalid}, errors=errors
    )
    current = [] if authorization._state.adding else list(authorization.endpoints.all())
    endpoints, stale_endpoints = _plan_endpoints(
        authorization, specs=spec.endpoints, existing=current, errors=errors
    )
    return _AuthorizationPlan(authorization, changed, endpoints, stale_endpoints)


# Apps looked up per query: well under the database's limit on parameters.
_BATCH = 500


def _batches(items: Sequence, size: int = _BATCH) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_apps(slugs: Sequence[str]) -> dict[str, App]:
    """Load the apps the files name, with everything an import compares.

    A few queries per batch of apps, instead of several per app.
    """
    found: dict[str, App] = {}
    for batch in _batches(list(dict.fromkeys(slugs))):
        apps = App.objects.filter(slug__in=batch).prefetch_related(
            Prefetch(
                "authorizations",
                # Counted here, for authorizations a file leaves out.
                queryset=Authorization.objects.annotate(
                    account_count=Count("connected_accounts")
                ),
            ),
            "authorizations__endpoints__headers",
        )
        found.update((app.slug, app) for app in apps)
    return found


def _plan_app(
    spec: AppSpec, *, existing: App | None, errors: list[Problem]
) -> _AppPlan:
    created = existing is None
    app = existing or App()
    changed = _assign(app, values=spec.values, names=APP_FIELDS)
    _validate(app, spec.location, exclude=spec.invalid, errors=errors)
    authorizations, stale = _plan_authorizations(
        app,
        spec=spec,
        existing=[] if created else list(app.authorizations.all()),
        errors=errors,
    )
    return _AppPlan(spec, app, created, changed, authorizations, stale)


# -- import: writing --------------------------------------------------------


def _delete(model, instances: Sequence) -> None:
    for batch in _batches([instance.pk for instance in instances]):
        model.objects.filter(pk__in=batch).delete()


def _write(model, rows: Sequence[tuple[Any, bool]]) -> None:
    """Insert the new instances in bulk and save the changed ones.

    ``rows`` are ``(instance, changed)``.  A changed instance is saved on its
    own, so that its ``updated_at`` moves; an unchanged one is not written.
    """
    new = [instance for instance, _ in rows if instance._state.adding]
    changed = [
        instance for instance, differs in rows if differs and not instance._state.adding
    ]
    model.objects.bulk_create(new)
    for instance in changed:
        instance.save()


def _save_plans(plans: Sequence[_AppPlan]) -> None:
    """Write every plan, one level of the tree at a time, in a few queries.

    New apps are inserted in bulk, which sends no post_save signal: they get
    exactly the file's authorizations, not the default API Key one
    (authorizations/signals.py) to be deleted again.
    """
    authorizations = [a for plan in plans for a in plan.authorizations]
    endpoints = [e for a in authorizations for e in a.endpoints]
    headers = [h for e in endpoints for h in e.headers]
    # What the files no longer list goes first, so nothing new collides with it.
    _delete(Header, [h for e in endpoints for h in e.stale_headers])
    _delete(Endpoint, [e for a in authorizations for e in a.stale_endpoints])
    _delete(Authorization, [a for plan in plans for a in plan.stale_authorizations])
    _write(App, [(plan.instance, plan.created or plan.changed) for plan in plans])
    for plan in plans:
        for authorization in plan.authorizations:
            authorization.instance.app = plan.instance
    _write(Authorization, [(a.instance, a.changed) for a in authorizations])
    for authorization in authorizations:
        for endpoint in authorization.endpoints:
            endpoint.instance.authorization = authorization.instance
    _write(Endpoint, [(e.instance, e.changed) for e in endpoints])
    for endpoint in endpoints:
        for header in endpoint.headers:
            header.instance.endpoint = endpoint.instance
    _write(Header, [(h.instance, h.changed) for h in headers])


def _read_sources(
    sources: Sequence[ConfigSource],
) -> tuple[list[AppSpec], list[Problem], list[Problem]]:
    specs: list[AppSpec] = []
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for index, source in enumerate(sources):
        root = Location(source.name, index)
        if source.text is None:
            errors.append(Problem(root, source.read_error))
            continue
        try:
            data = parse_text(source.text, fmt=source.fmt)
        except ConfigSyntaxError as error:
            where = Location(source.name, index, position=error.position)
            errors.append(Problem(where, error.message))
            continue
        result = read_document(data, source=source.name, source_index=index)
        specs.extend(result.apps)
        errors.extend(result.errors)
        warnings.extend(result.warnings)
    return specs, errors, warnings


def _drop_repeated_slugs(
    specs: list[AppSpec], *, errors: list[Problem]
) -> list[AppSpec]:
    first_by_slug: dict[str, Location] = {}
    unique = []
    for spec in specs:
        if not spec.slug:
            unique.append(spec)
            continue
        first = first_by_slug.setdefault(spec.slug, spec.location)
        if first is spec.location:
            unique.append(spec)
            continue
        errors.append(
            Problem(
                spec.location.key("slug"),
                f'"{spec.slug}" is already at {first.source}: {first.key("slug")}; '
                "an app can appear only once per import.",
            )
        )
    return unique


def _check_templates(
    specs: Sequence[AppSpec], *, errors: list[Problem], warnings: list[Problem]
) -> None:
    """Compile every endpoint's templates, as saving it in the admin does.

    A template that does not compile is an error at its path; a variable the
    endpoint never gets is a warning, as on the admin form.
    """
    for app in specs:
        for authorization in app.authorizations:
            for endpoint in authorization.endpoints:
                values = endpoint.values
                headers = [
                    {
                        "name": h.values.get("name", ""),
                        "value": h.values.get("value", ""),
                    }
                    for h in endpoint.headers
                ]
                found_errors, found_warnings = check_endpoint_templates(
                    kind=endpoint.kind,
                    url=_template_text(values.get("url")),
                    request_template=_template_text(values.get("request_template")),
                    response_template=_template_text(values.get("response_template")),
                    headers=headers,
                )
                for problems, into in (
                    (found_errors, errors),
                    (found_warnings, warnings),
                ):
                    for problem in problems:
                        where = _problem_location(endpoint, problem.field)
                        into.append(Problem(where, problem.located_message()))


def _template_text(value: Any) -> str:
    # A value of the wrong shape is already reported by the schema.
    return value if isinstance(value, str) else ""


def _problem_location(endpoint: EndpointSpec, field_path: str) -> Location:
    """Map `url` or `headers.N.value` to its place in the file."""
    name, _, rest = field_path.partition(".")
    if name != "headers" or not rest:
        return endpoint.location.key(name)
    number, _, header_field = rest.partition(".")
    return endpoint.headers[int(number)].location.key(header_field or "value")


def import_apps_config(*, sources: Sequence[ConfigSource]) -> ImportReport:
    """Make the database match the files: create or update each app by slug.

    All files are checked first and written in one transaction, so any error
    leaves the database as it was; ConfigImportError then lists every problem.
    """
    specs, errors, warnings = _read_sources(sources)
    specs = _drop_repeated_slugs(specs, errors=errors)
    _check_templates(specs, errors=errors, warnings=warnings)
    warnings = sort_problems(warnings)
    with transaction.atomic():
        existing = _existing_apps([spec.slug for spec in specs if spec.slug])
        plans = [
            _plan_app(spec, existing=existing.get(spec.slug), errors=errors)
            for spec in specs
        ]
        if errors:
            raise ConfigImportError(sort_problems(errors), warnings=warnings)
        _save_plans(plans)
    results = [
        AppResult(plan.instance.slug, plan.spec.location.source, plan.status)
        for plan in plans
    ]
    return ImportReport(results=results, warnings=warnings)
