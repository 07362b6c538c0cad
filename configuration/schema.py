"""The config file format: YAML/JSON syntax, the document's shape, and where errors are.

This module reads text into plain specs and says, with a path inside the file,
what is wrong with its shape (unknown keys, wrong value types, unknown types and
endpoint kinds). The rules about values themselves stay with the models: the
importer in configuration/importer.py runs `full_clean` and reports its messages at
the same paths. The format is documented in docs/config-format.md.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from apps.models import App
from authorizations import types
from authorizations.models import Authorization, Endpoint, GrantType, Header
from authorizations.plain_data import (
    MAX_DEPTH,
    MAX_INTEGER_DIGITS,
    DataLimitError,
    check_data,
    check_integer_text,
    load_json,
)
from authorizations.wording import closest_match, with_article

FORMAT_VERSION = 1
FORMATS = ("yaml", "json")

# Bounds on one config file (docs/config-format.md, "Limits").  The largest
# real file, the demo catalog, is a few KB; 5 MiB holds thousands of apps and
# parses in a few seconds.  A file is refused before it is parsed.
MAX_FILE_SIZE = 5 * 1024 * 1024
# Values (texts, numbers, lists, mappings) in one file once YAML aliases are
# expanded: an alias repeats what its anchor holds, so a small file could
# otherwise stand for billions of values.
MAX_VALUES = 1_000_000

APP_FIELDS = ("slug", "name", "description", "logo_url", "api_base_url", "docs_url")
AUTHORIZATION_FIELDS = ("name", "type", *types.ALL_SETTING_NAMES)
ENDPOINT_FIELDS = (
    "method",
    "url",
    "body_format",
    "request_template",
    "response_template",
)
HEADER_FIELDS = ("name", "value")

# Credentials belong to one installation: a shared file (the demo catalog, a
# secret-less export) leaves them out, and that must not wipe what is stored.
KEPT_WHEN_ABSENT = frozenset({"client_id", "client_secret"})
# Settings whose empty value means their default, as on the admin form: a
# scope separator left empty is a space.
DEFAULT_WHEN_EMPTY = frozenset({"scope_separator"})
# Settings holding HTTP status codes as text ("401, 403"): a file may also
# write one number (401) or a list of them ([401, 403]), as YAML reads them.
STATUS_CODE_LISTS = frozenset({"expired_statuses"})


def status_codes_text(value: Any) -> Any:
    """Write a number or a list of numbers as the text the model keeps;
    anything else is returned as it is, for the usual checks to judge."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and all(
        isinstance(code, int) and not isinstance(code, bool) for code in value
    ):
        return ", ".join(str(code) for code in value)
    return value


# -- where things are -------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """A place inside one config file, rendered like `apps[0].endpoints.user_info`."""

    source: str
    source_index: int = 0
    segments: tuple[str | int, ...] = ()
    # A parser position ("line 3, column 5") for text that has no path yet.
    position: str = ""

    def key(self, name: Any) -> "Location":
        return Location(self.source, self.source_index, (*self.segments, str(name)))

    def index(self, number: int) -> "Location":
        return Location(self.source, self.source_index, (*self.segments, number))

    def __str__(self) -> str:
        if self.position:
            return self.position
        text = ""
        for segment in self.segments:
            if isinstance(segment, int):
                text += f"[{segment}]"
            elif segment.isidentifier():
                text += f".{segment}" if text else segment
            else:
                text += f"[{json.dumps(segment)}]"
        return text


@dataclass(frozen=True)
class Problem:
    """An error or warning at a place in a file, as one line a developer can act on."""

    location: Location
    message: str

    def __str__(self) -> str:
        where = str(self.location)
        if where:
            return f"{self.location.source}: {where}: {self.message}"
        return f"{self.location.source}: {self.message}"


# Keys in the order an export writes them, so problems are listed top to bottom.
_KEY_ORDER = {
    key: number
    for number, key in enumerate(
        dict.fromkeys(
            (
                "version",
                "apps",
                *APP_FIELDS,
                *AUTHORIZATION_FIELDS,
                "authorizations",
                "endpoints",
                *types.ENDPOINT_KINDS,
                *ENDPOINT_FIELDS,
                "headers",
                *HEADER_FIELDS,
            )
        )
    )
}


def _problem_order(problem: "Problem") -> tuple:
    location = problem.location
    path = tuple(
        (0, segment) if isinstance(segment, int) else (1, _KEY_ORDER.get(segment, 99))
        for segment in location.segments
    )
    return (location.source_index, path)


def sort_problems(problems: list["Problem"]) -> list["Problem"]:
    """Order problems by file, then by where they are in it, top to bottom."""
    return sorted(problems, key=_problem_order)


# -- syntax -----------------------------------------------------------------


class ConfigSyntaxError(ValueError):
    """The text is not valid YAML or JSON; `position` says where."""

    def __init__(self, message: str, *, position: str = ""):
        super().__init__(message)
        self.message = message
        self.position = position


def _position(line: int, column: int) -> str:
    return f"line {line}, column {column}"


def _safe_loader() -> type:
    """Return a safe loader class: libyaml's parser when PyYAML has it.

    libyaml parses about four times faster than PyYAML's own parser.  Nodes
    are still composed by PyYAML's Python composer: the C one recurses on the
    C stack once per level of nesting, so a few hundred KB of "[" crash the
    process, where Python raises a RecursionError that can be reported.
    """
    try:
        from yaml.cyaml import CParser
    except ImportError:  # PyYAML built without libyaml
        return yaml.SafeLoader

    class FastSafeLoader(
        yaml.composer.Composer,
        CParser,
        yaml.constructor.SafeConstructor,
        yaml.resolver.Resolver,
    ):
        def __init__(self, stream):
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    return FastSafeLoader


_SafeLoader = _safe_loader()


def _mark_position(mark) -> str:
    return _position(mark.line + 1, mark.column + 1) if mark else ""


class _StrictLoader(_SafeLoader):
    """A safe loader that refuses duplicate keys instead of keeping the last one,
    and integers too long to convert."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise ConfigSyntaxError(
                    f'invalid YAML: the key "{key}" appears twice in the same '
                    f"mapping (first at line {seen[key].line + 1}).",
                    position=_mark_position(key_node.start_mark),
                )
            if isinstance(key, str | int | float | bool):
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        # Checked on the text, before int() would spend quadratic time on it
        # or refuse it with a ValueError (Python's 4,300-digit limit).
        try:
            check_integer_text(self.construct_scalar(node))
        except DataLimitError as error:
            raise ConfigSyntaxError(
                error.message, position=_mark_position(node.start_mark)
            ) from None
        return super().construct_yaml_int(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)


def _refuse_duplicate_json_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = {}
    for key, value in pairs:
        if key in mapping:
            raise ConfigSyntaxError(
                f'invalid JSON: the key "{key}" appears twice in the same object.'
            )
        mapping[key] = value
    return mapping


def _refuse_alias_expansion(data: Any) -> None:
    """Refuse data whose YAML aliases expand it beyond ``MAX_VALUES`` values.

    Counted before anything walks the data, and the count stops at the limit,
    so an "alias bomb" costs no more than a file of that many values.
    """
    count = 0
    stack = [data]
    while stack:
        item = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise ConfigSyntaxError(
                f"the file holds more than {MAX_VALUES:,} values once its YAML "
                "aliases (*name) are expanded; split it into several files, or "
                "repeat less through aliases."
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def parse_text(text: str, *, fmt: str) -> Any:
    """Parse YAML or JSON text into plain data, or raise ConfigSyntaxError.

    The data is bounded (authorizations/plain_data.py): nesting, integer size
    and text that is not valid Unicode are errors naming where they are.
    """
    if len(text) > MAX_FILE_SIZE:
        raise ConfigSyntaxError(too_large_message())
    try:
        if fmt == "json":
            return _parse_json(text)
        data = _parse_yaml(text)
        _refuse_alias_expansion(data)
        check_data(data)
    except DataLimitError as error:
        # Without a path (the parser stopped before there was data), say
        # where in the text instead.
        position = "" if error.path else _limit_position(text, fmt=fmt)
        raise ConfigSyntaxError(error.message, position=position) from None
    except RecursionError:
        raise ConfigSyntaxError(
            f"The data nests more than {MAX_DEPTH} levels deep.",
            position=_limit_position(text, fmt=fmt),
        ) from None
    return data


# JSON's tokens that matter to the bounds; a string is matched whole, so that
# what it holds is never taken for a bracket or a number.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|(-?[0-9]+)|([\[{])|([\]}])')


def _limit_position(text: str, *, fmt: str) -> str:
    """Find where the text first nests too deep or writes too long an integer.

    Only called once parsing failed on a bound, so it costs nothing on good
    files; it reads tokens (JSON) or parser events (YAML), which recurse at no
    depth.
    """
    if fmt == "json":
        depth = 0
        for match in _JSON_TOKEN.finditer(text):
            number, opening, closing = match.groups()
            depth += 1 if opening else -1 if closing else 0
            too_long = number and len(number.lstrip("-")) > MAX_INTEGER_DIGITS
            if depth > MAX_DEPTH or too_long:
                line = text.count("\n", 0, match.start()) + 1
                column = match.start() - text.rfind("\n", 0, match.start())
                return _position(line, column)
        return ""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return _mark_position(event.start_mark)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return ""


def too_large_message() -> str:
    """Say that a file is over ``MAX_FILE_SIZE``, and what to do."""
    return (
        f"the file is larger than {MAX_FILE_SIZE // (1024 * 1024)} MiB "
        f"({MAX_FILE_SIZE:,} bytes), the most a config file may hold; split its "
        "apps into several files."
    )


def _parse_json(text: str) -> Any:
    try:
        return load_json(text, object_pairs_hook=_refuse_duplicate_json_keys)
    except json.JSONDecodeError as error:
        raise ConfigSyntaxError(
            f"invalid JSON: {error.msg}.",
            position=_position(error.lineno, error.colno),
        ) from None


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = "; ".join(part for part in (error.context, error.problem) if part)
        raise ConfigSyntaxError(
            f"invalid YAML: {reason}.", position=_mark_position(mark)
        ) from None
    except yaml.YAMLError as error:
        raise ConfigSyntaxError(f"invalid YAML: {error}.") from None


def format_for_filename(name: str) -> str:
    """Pick the parser by extension: `.json` is JSON, anything else YAML."""
    return "json" if name.lower().endswith(".json") else "yaml"


class _ConfigDumper(yaml.SafeDumper):
    """Indent lists under their key, and write multi-line text as `|` blocks."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # PyYAML falls back to a double-quoted scalar when a block cannot hold the
    # text exactly (trailing spaces, tabs), so the round trip stays exact.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ConfigDumper.add_representer(str, _represent_text)


def dump_document(document: dict[str, Any], *, fmt: str) -> str:
    """Write a document as YAML or JSON text; equal documents give equal bytes."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.dump(
            document,
            Dumper=_ConfigDumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            # Long URL templates stay on one line instead of being folded.
            width=1_000_000,
        )
    raise ValueError(f'"{fmt}" is not a config format; choose one of: yaml, json.')


# -- shape ------------------------------------------------------------------


@dataclass
class Section:
    """One object of the file: the model field values it sets and where it is.

    `values` holds only fields to assign: a key left out means the model's default,
    except KEPT_WHEN_ABSENT keys, which are then not assigned at all. `invalid`
    names fields whose value had the wrong shape; they are already reported, so
    model validation skips them.
    """

    location: Location
    values: dict[str, Any] = field(default_factory=dict)
    invalid: set[str] = field(default_factory=set)


@dataclass
class HeaderSpec(Section):
    pass


@dataclass
class EndpointSpec(Section):
    kind: str = ""
    headers: list[HeaderSpec] = field(default_factory=list)


@dataclass
class AuthorizationSpec(Section):
    spec: types.AuthorizationType | None = None
    endpoints: list[EndpointSpec] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.values.get("name", "")


@dataclass
class AppSpec(Section):
    authorizations: list[AuthorizationSpec] = field(default_factory=list)
    # False when an entry was unreadable: then nobody can tell which stored
    # authorizations the file leaves out.
    lists_every_authorization: bool = True

    @property
    def slug(self) -> str:
        return self.values.get("slug", "")


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, int | float):
        # Not the value itself: a misquoted client secret can be a number.
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _empty_if_null(value: Any, empty: list | dict) -> Any:
    # `headers:` with nothing after it is YAML's null; it plainly means none.
    return empty if value is None else value


def _suggestion(word: Any, choices) -> str:
    close = closest_match(word, choices)
    if close:
        return f'; did you mean "{close}"?'
    return "; expected one of: " + ", ".join(choices) + "."


class _DocumentReader:
    """Walk one parsed document, collecting specs, errors and warnings."""

    def __init__(self, *, source: str, source_index: int):
        self.root = Location(source, source_index)
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, location: Location, message: str) -> None:
        self.errors.append(Problem(location, message))

    def warn(self, location: Location, message: str) -> None:
        self.warnings.append(Problem(location, message))

    def expect(self, value: Any, kind: type, location: Location, what: str) -> bool:
        if isinstance(value, kind):
            return True
        self.error(location, f"expected {what}, found {_describe(value)}.")
        return False

    def check_keys(
        self,
        mapping: dict,
        location: Location,
        *,
        allowed,
        required=(),
        misplaced: dict[str, str] | None = None,
    ) -> None:
        misplaced = misplaced or {}
        suggested = set()
        for key in mapping:
            if key in allowed:
                continue
            if key in misplaced:
                self.error(location.key(key), misplaced[key])
                continue
            suggested.add(closest_match(key, allowed))
            self.error(
                location.key(key), f'unknown key "{key}"' + _suggestion(key, allowed)
            )
        for key in required:
            # A typo'd key already says what it should have been.
            if key not in mapping and key not in suggested:
                self.error(location.key(key), self.missing_messages[key])

    missing_messages = {
        "version": f'missing; start the file with "version: {FORMAT_VERSION}".',
        "apps": 'missing; list the apps under "apps".',
        "authorizations": "missing; list the app's authorizations "
        "(write [] for an app without any).",
        "type": "missing; choose one of: " + ", ".join(types.registry().types) + ".",
    }

    def read_fields(self, mapping: dict, section: Section, model, names) -> None:
        """Copy field values of the right type; null means empty."""
        for name in names:
            model_field = model._meta.get_field(name)
            kind = model_field.get_internal_type()
            if name not in mapping:
                if name not in KEPT_WHEN_ABSENT:
                    section.values[name] = model_field.get_default()
                continue
            value = mapping[name]
            if name in STATUS_CODE_LISTS:
                value = status_codes_text(value)
            if value is None:
                value = {"BooleanField": False, "JSONField": {}}.get(kind, "")
            if value == "" and name in DEFAULT_WHEN_EMPTY:
                value = model_field.get_default()
            if kind == "BooleanField":
                problem = self.check_bool(value)
            elif kind == "JSONField":
                problem = self.check_text_mapping(value)
            else:
                problem = self.check_text(value)
            if not problem and name in types.ALL_SETTING_NAMES:
                problem = self.check_choice(model_field, value)
            if problem:
                section.invalid.add(name)
                self.error(section.location.key(name), problem)
            else:
                section.values[name] = value

    @staticmethod
    def check_bool(value: Any) -> str:
        if isinstance(value, bool):
            return ""
        return f"expected true or false, found {_describe(value)}."

    @staticmethod
    def check_text(value: Any) -> str:
        if isinstance(value, str):
            return ""
        hint = " (put it in quotes)" if isinstance(value, int | float | bool) else ""
        return f"expected text{hint}, found {_describe(value)}."

    @staticmethod
    def check_text_mapping(value: Any) -> str:
        # What the names map to is the model's to judge
        # (validate_authorize_params); a name must be text to be judged at all.
        if not isinstance(value, dict):
            return (
                "expected a mapping of parameter names to texts, such as "
                f"{{prompt: consent}}, found {_describe(value)}."
            )
        for key in value:
            if not isinstance(key, str):
                return (
                    f"expected text as each parameter name, found {_describe(key)}"
                    " (put it in quotes)."
                )
        return ""

    @staticmethod
    def check_choice(model_field, value: Any) -> str:
        """Say what a setting with choices expected, suggesting the closest one."""
        if not model_field.choices:
            return ""
        keys = [str(key) for key, _ in model_field.flatchoices]
        if value in keys:
            return ""
        message = model_field.error_messages["invalid_choice"] % {"value": value}
        return message.rstrip(".") + _suggestion(value, keys)

    # -- the levels of the document --

    def read(self, data: Any) -> list[AppSpec]:
        if data is None:
            self.error(
                self.root,
                f'the file is empty; expected "version: {FORMAT_VERSION}" and '
                'a list of "apps".',
            )
            return []
        if not isinstance(data, dict):
            self.error(
                self.root,
                'expected a mapping with "version" and "apps" at the top of the '
                f"file, found {_describe(data)}.",
            )
            return []
        self.check_keys(
            data, self.root, allowed=("version", "apps"), required=("version", "apps")
        )
        if "version" in data:
            version = data["version"]
            if isinstance(version, bool) or version != FORMAT_VERSION:
                self.error(
                    self.root.key("version"),
                    f"this console reads version {FORMAT_VERSION} files; "
                    f"found {_describe(version)}.",
                )
        apps = data.get("apps")
        if apps is None:
            return []
        location = self.root.key("apps")
        if not self.expect(apps, list, location, "a list of apps"):
            return []
        return [
            spec
            for number, item in enumerate(apps)
            if (spec := self.read_app(item, location.index(number))) is not None
        ]

    def read_app(self, item: Any, location: Location) -> AppSpec | None:
        if not self.expect(
            item, dict, location, "an app (a mapping with slug, name, …)"
        ):
            return None
        allowed = (*APP_FIELDS, "authorizations")
        self.check_keys(item, location, allowed=allowed, required=("authorizations",))
        app = AppSpec(location)
        self.read_fields(item, app, App, APP_FIELDS)
        authorizations = _empty_if_null(item.get("authorizations"), [])
        list_location = location.key("authorizations")
        if not self.expect(
            authorizations, list, list_location, "a list of authorizations"
        ):
            return app
        first_by_name: dict[str, Location] = {}
        for number, entry in enumerate(authorizations):
            authorization = self.read_authorization(entry, list_location.index(number))
            if authorization is None or "name" in authorization.invalid:
                app.lists_every_authorization = False
                continue
            name = authorization.name
            if name and name in first_by_name:
                self.error(
                    authorization.location.key("name"),
                    f'"{name}" is already the name of {first_by_name[name]}; '
                    "authorization names must be unique within an app.",
                )
                continue
            first_by_name[name] = authorization.location
            app.authorizations.append(authorization)
        return app

    def read_authorization(
        self, item: Any, location: Location
    ) -> AuthorizationSpec | None:
        if not self.expect(
            item, dict, location, "an authorization (a mapping with name, type, …)"
        ):
            return None
        authorization = AuthorizationSpec(location)
        authorization.spec = self.read_type(item, location)
        spec = authorization.spec
        settings = spec.setting_names if spec else types.ALL_SETTING_NAMES
        unused = (
            {}
            if spec is None
            else {
                name: f"{with_article(spec.label)} authorization has no {name} "
                "setting; remove this key."
                for name in types.ALL_SETTING_NAMES
                if name not in settings
            }
        )
        if spec is not None:
            unused.update(self.unused_for_grant(item, spec))
            settings = tuple(name for name in settings if name not in unused)
        self.check_keys(
            item,
            location,
            allowed=("name", "type", *settings, "endpoints"),
            required=("type",),
            misplaced=unused,
        )
        self.read_fields(item, authorization, Authorization, ("name", *settings))
        if spec is not None:
            authorization.values["type"] = spec.key
        else:
            authorization.invalid.add("type")
        endpoints = _empty_if_null(item.get("endpoints"), {})
        endpoints_location = location.key("endpoints")
        if not self.expect(
            endpoints, dict, endpoints_location, "a mapping of endpoints by kind"
        ):
            return authorization
        for kind in types.ENDPOINT_KINDS:
            if kind in endpoints:
                endpoint = self.read_endpoint(
                    endpoints[kind], endpoints_location.key(kind), kind=kind, spec=spec
                )
                if endpoint is not None:
                    authorization.endpoints.append(endpoint)
        for kind in endpoints:
            if kind not in types.ENDPOINT_KINDS:
                self.error(
                    endpoints_location.key(kind),
                    f'"{kind}" is not an endpoint kind'
                    + _suggestion(kind, types.ENDPOINT_KINDS),
                )
        if spec is not None:
            for kind in spec.required_endpoints:
                if kind not in endpoints:
                    needed = types.ENDPOINT_KINDS[kind]
                    self.warn(
                        endpoints_location,
                        f"{with_article(spec.label)} authorization needs "
                        f"{needed.article} {needed.label} to work; until it has "
                        "one, the admin shows it as incomplete.",
                    )
        return authorization

    @staticmethod
    def unused_for_grant(item: dict, spec: types.AuthorizationType) -> dict[str, str]:
        """Name the settings the file's grant does not use, with why.

        An unknown grant is reported at its key; then every setting counts.
        """
        grant = item.get(types.GRANT_SETTING)
        if types.GRANT_SETTING not in spec.setting_names or grant is None:
            return {}
        if grant not in GrantType.values:
            return {}
        used = spec.used_settings(grant=grant)
        return {
            setting.name: f"{with_article(spec.label)} authorization with the "
            f"{GrantType(grant).label.lower()} grant has no {setting.name} "
            "setting; remove this key."
            for setting in spec.app_settings
            if setting not in used
        }

    def read_type(
        self, item: dict, location: Location
    ) -> types.AuthorizationType | None:
        if "type" not in item:
            return None
        value = item["type"]
        if not isinstance(value, str):
            self.error(
                location.key("type"), f"expected text, found {_describe(value)}."
            )
            return None
        try:
            return types.get_type(value)
        except types.UnknownType as error:
            by_label = {
                spec.label.lower(): spec.key for spec in types.registry().types.values()
            }
            if value.lower() in by_label:
                message = (
                    f'"{value}" is the label; write the type\'s key '
                    f'"{by_label[value.lower()]}".'
                )
            else:
                message = f"{error}."
            self.error(location.key("type"), message)
            return None

    def read_endpoint(
        self,
        item: Any,
        location: Location,
        *,
        kind: str,
        spec: types.AuthorizationType | None,
    ) -> EndpointSpec | None:
        if spec is not None and kind not in spec.endpoint_kinds:
            unused = types.ENDPOINT_KINDS[kind]
            self.error(
                location,
                f"{with_article(spec.label)} authorization does not use "
                f"{unused.article} {unused.label}; remove it or change the type.",
            )
            return None
        if not self.expect(
            item, dict, location, "an endpoint (a mapping with method, url, …)"
        ):
            return None
        self.check_keys(item, location, allowed=(*ENDPOINT_FIELDS, "headers"))
        endpoint = EndpointSpec(location, kind=kind)
        self.read_fields(item, endpoint, Endpoint, ENDPOINT_FIELDS)
        headers = _empty_if_null(item.get("headers"), [])
        headers_location = location.key("headers")
        if not self.expect(headers, list, headers_location, "a list of headers"):
            return endpoint
        for number, entry in enumerate(headers):
            header_location = headers_location.index(number)
            if not self.expect(
                entry, dict, header_location, "a header (a mapping with name and value)"
            ):
                continue
            self.check_keys(entry, header_location, allowed=HEADER_FIELDS)
            header = HeaderSpec(header_location)
            self.read_fields(entry, header, Header, HEADER_FIELDS)
            header.values["position"] = number
            endpoint.headers.append(header)
        return endpoint


@dataclass
class ReadResult:
    apps: list[AppSpec]
    errors: list[Problem]
    warnings: list[Problem]


def read_document(data: Any, *, source: str, source_index: int = 0) -> ReadResult:
    """Check a parsed document's shape and turn it into app specs."""
    reader = _DocumentReader(source=source, source_index=source_index)
    apps = reader.read(data)
    return ReadResult(apps=apps, errors=reader.errors, warnings=reader.warnings)
