"""Every bad import file gets its message at its path, and nothing is written."""

import pytest
import yaml
from django.conf import settings
from django.core.management.base import CommandError

from tests.configuration.helpers import database_state, run_command, write
from tests.factories import (
    AppFactory,
    ConnectedAccountFactory,
    OAuth2AuthorizationFactory,
)

pytestmark = pytest.mark.django_db

HEAD = "version: 1\napps:\n"
ACME = HEAD + "  - slug: acme\n    name: Acme\n    authorizations:\n"


def endpoint(body: str, *, type_: str = "api_key", kind: str = "user_info") -> str:
    """An Acme file whose one authorization has one endpoint with `body`."""
    return (
        ACME
        + f"      - name: Main\n        type: {type_}\n        endpoints:\n"
        + f"          {kind}:\n"
        + "".join(f"            {line}\n" for line in body.splitlines())
    )


CASES = {
    "a template that does not compile": (
        endpoint(
            "url: https://a.example/me\n"
            'response_template: \'{"user_identity": "{{ response.name }"}\''
        ),
        [
            "bad.yaml: apps[0].authorizations[0].endpoints.user_info"
            '.response_template: Line 1, column 37: Unexpected "}".'
        ],
    ),
    "an unknown filter in a header value": (
        endpoint(
            "url: https://a.example/me\nheaders:\n"
            "  - name: X-Key\n    value: '{{ query.api_key|base64 }}'"
        ),
        [
            "bad.yaml: apps[0].authorizations[0].endpoints.user_info.headers[0]"
            '.value: Line 1, column 18: Unknown "base64" filter.'
        ],
    ),
    "invalid YAML": (
        HEAD + "  - slug: acme\n   name: Acme\n",
        [
            "bad.yaml: line 4, column 4: invalid YAML: while parsing a block "
            "collection; "
            + (
                # libyaml's words, and PyYAML's own when it was built without it.
                "did not find expected '-' indicator."
                if yaml.__with_libyaml__
                else "expected <block end>, but found '<block mapping start>'."
            )
        ],
    ),
    "a key twice in YAML": (
        HEAD + "  - slug: acme\n    slug: acme2\n    authorizations: []\n",
        [
            'bad.yaml: line 4, column 5: invalid YAML: the key "slug" appears twice '
            "in the same mapping (first at line 3)."
        ],
    ),
    "the top level is a list": (
        "- slug: acme\n",
        [
            'bad.yaml: expected a mapping with "version" and "apps" at the top of the '
            "file, found a list."
        ],
    ),
    "an empty file": (
        "",
        ['bad.yaml: the file is empty; expected "version: 1" and a list of "apps".'],
    ),
    "no version": (
        "apps: []\n",
        ['bad.yaml: version: missing; start the file with "version: 1".'],
    ),
    "another version": (
        "version: 2\napps: []\n",
        ["bad.yaml: version: this console reads version 1 files; found a number."],
    ),
    "apps is not a list": (
        "version: 1\napps:\n  slug: acme\n",
        ["bad.yaml: apps: expected a list of apps, found a mapping."],
    ),
    "an app is not a mapping": (
        HEAD + "  - acme\n",
        [
            "bad.yaml: apps[0]: expected an app (a mapping with slug, name, …), "
            "found text."
        ],
    ),
    "a typo'd key": (
        ACME.replace(
            "    authorizations:", "    descripton: x\n    authorizations: []"
        ),
        [
            'bad.yaml: apps[0].descripton: unknown key "descripton"; did you mean '
            '"description"?'
        ],
    ),
    "a typo'd required key": (
        HEAD + "  - slug: acme\n    name: Acme\n    authorisations: []\n",
        [
            'bad.yaml: apps[0].authorisations: unknown key "authorisations"; did you '
            'mean "authorizations"?'
        ],
    ),
    "an unknown key with no close match": (
        endpoint("url: https://a.example\nflavour: x"),
        [
            "bad.yaml: apps[0].authorizations[0].endpoints.user_info.flavour: unknown "
            'key "flavour"; expected one of: method, url, body_format, '
            "request_template, response_template, headers."
        ],
    ),
    "no authorizations key": (
        HEAD + "  - slug: acme\n    name: Acme\n",
        [
            "bad.yaml: apps[0].authorizations: missing; list the app's authorizations "
            "(write [] for an app without any)."
        ],
    ),
    "an unknown type": (
        ACME + "      - name: Main\n        type: oauth3\n",
        [
            'bad.yaml: apps[0].authorizations[0].type: "oauth3" is not an '
            "authorization type; choose one of: oauth1, oauth2, basic, basic_url, "
            "basic_api_key, api_key, api_secret, api_key_secret, api_key_url."
        ],
    ),
    "a type's label instead of its key": (
        ACME + "      - name: Main\n        type: OAuth2.0\n",
        [
            'bad.yaml: apps[0].authorizations[0].type: "OAuth2.0" is the label; '
            'write the type\'s key "oauth2".'
        ],
    ),
    "no type": (
        ACME + "      - name: Main\n",
        [
            "bad.yaml: apps[0].authorizations[0].type: missing; choose one of: oauth1, "
            "oauth2, basic, basic_url, basic_api_key, api_key, api_secret, "
            "api_key_secret, api_key_url."
        ],
    ),
    "a setting the type does not use": (
        ACME + "      - name: Main\n        type: api_key\n        scopes: read\n",
        [
            "bad.yaml: apps[0].authorizations[0].scopes: an API Key authorization has "
            "no scopes setting; remove this key."
        ],
    ),
    "an endpoint kind the type does not use": (
        endpoint("url: https://a.example/token", kind="access_token"),
        [
            "bad.yaml: apps[0].authorizations[0].endpoints.access_token: an API Key "
            "authorization does not use an Access Token Endpoint; remove it or change "
            "the type."
        ],
    ),
    "an unknown endpoint kind": (
        endpoint("url: https://a.example/me", kind="user_inf"),
        [
            'bad.yaml: apps[0].authorizations[0].endpoints.user_inf: "user_inf" is '
            'not an endpoint kind; did you mean "user_info"?'
        ],
    ),
    "a header name with spaces": (
        endpoint("headers:\n  - name: X Api Key\n    value: abc"),
        [
            "bad.yaml: apps[0].authorizations[0].endpoints.user_info.headers[0].name: "
            '"X Api Key" is not a header name: header names cannot contain spaces '
            "(for example X-Api-Key)."
        ],
    ),
    "CR/LF in a header value": (
        endpoint('headers:\n  - name: X-Api-Key\n    value: "abc\\r\\nHost: evil"'),
        [
            "bad.yaml: apps[0].authorizations[0].endpoints.user_info.headers[0].value: "
            "A header value cannot contain a line break (CR or LF): it would split "
            "the request."
        ],
    ),
    "a method that is not an HTTP method": (
        endpoint("method: FETCH"),
        [
            "bad.yaml: apps[0].authorizations[0].endpoints.user_info.method: "
            '"FETCH" is not an HTTP method.'
        ],
    ),
    "a URL that is not http(s)": (
        endpoint("url: ftp://files.example/me"),
        [
            "bad.yaml: apps[0].authorizations[0].endpoints.user_info.url: "
            '"ftp://files.example/me" is not an http(s) URL: the console only calls '
            "http:// and https:// endpoints."
        ],
    ),
    "an unknown body format": (
        endpoint("body_format: xml"),
        [
            "bad.yaml: apps[0].authorizations[0].endpoints.user_info.body_format: "
            '"xml" is not a body format.'
        ],
    ),
    "an app URL that is not http(s)": (
        ACME.replace(
            "    authorizations:",
            "    logo_url: javascript:alert(1)\n    authorizations: []",
        ),
        [
            'bad.yaml: apps[0].logo_url: "javascript:alert(1)" is not an http(s) URL: '
            "it must start with http:// or https://."
        ],
    ),
    "an authorization URL that is not http(s)": (
        ACME
        + "      - name: Main\n        type: oauth2\n"
        + "        authorize_url: ftp://login.example.com/authorize\n",
        [
            "bad.yaml: apps[0].authorizations[0].authorize_url: "
            '"ftp://login.example.com/authorize" is not an http(s) URL: it must start '
            "with http:// or https://."
        ],
    ),
    "a blank slug and name": (
        HEAD + "  - slug: ''\n    authorizations: []\n",
        [
            "bad.yaml: apps[0].slug: This field cannot be blank.",
            "bad.yaml: apps[0].name: This field cannot be blank.",
        ],
    ),
    "a slug that is not a slug": (
        HEAD + "  - slug: a b\n    name: A\n    authorizations: []\n",
        [
            "bad.yaml: apps[0].slug: Enter a valid “slug” consisting of letters, "
            "numbers, underscores or hyphens."
        ],
    ),
    "one file naming an app twice": (
        ACME + "      []\n  - slug: other\n    name: Other\n    authorizations: []\n"
        "  - slug: acme\n    name: Acme again\n    authorizations: []\n",
        [
            'bad.yaml: apps[2].slug: "acme" is already at bad.yaml: apps[0].slug; an '
            "app can appear only once per import."
        ],
    ),
    "two authorizations with one name": (
        ACME + "      - name: Main\n        type: api_key\n"
        "      - name: Main\n        type: oauth2\n",
        [
            'bad.yaml: apps[0].authorizations[1].name: "Main" is already the name of '
            "apps[0].authorizations[0]; authorization names must be unique within an "
            "app."
        ],
    ),
    "a list where text is expected": (
        endpoint("url:\n  - https://a.example/me"),
        [
            "bad.yaml: apps[0].authorizations[0].endpoints.user_info.url: expected "
            "text, found a list."
        ],
    ),
    "a number where text is expected": (
        ACME + "      - name: Main\n        type: oauth2\n        client_id: 0123\n",
        [
            "bad.yaml: apps[0].authorizations[0].client_id: expected text (put it in "
            "quotes), found a number."
        ],
    ),
    "text where true or false is expected": (
        ACME + "      - name: Main\n        type: oauth2\n        use_pkce: maybe\n",
        [
            "bad.yaml: apps[0].authorizations[0].use_pkce: expected true or false, "
            "found text."
        ],
    ),
    "headers that are not a list": (
        endpoint("headers:\n  Accept: application/json"),
        [
            "bad.yaml: apps[0].authorizations[0].endpoints.user_info.headers: "
            "expected a list of headers, found a mapping."
        ],
    ),
    "endpoints that are a list": (
        ACME + "      - name: Main\n        type: api_key\n        endpoints:\n"
        "          - user_info\n",
        [
            "bad.yaml: apps[0].authorizations[0].endpoints: expected a mapping of "
            "endpoints by kind, found a list."
        ],
    ),
}


@pytest.fixture
def existing_data():
    """Data an import must leave exactly as it was: the catalog and a secret."""
    catalog = sorted(
        str(path) for path in (settings.BASE_DIR / "catalog").glob("*.yaml")
    )
    run_command("import_apps", *catalog)
    OAuth2AuthorizationFactory(app=AppFactory(slug="acme", name="Acme"), name="Main")


def import_expecting_errors(*paths: str) -> list[str]:
    with pytest.raises(CommandError) as error:
        run_command("import_apps", *paths)
    first, *problems = str(error.value).splitlines()
    assert first.startswith("Nothing was imported: ")
    return problems


@pytest.mark.parametrize("text, expected", CASES.values(), ids=CASES.keys())
def test_a_bad_file_is_refused_with_its_path_and_nothing_changes(
    in_tmp, existing_data, text, expected
):
    write(in_tmp / "bad.yaml", text)
    before = database_state()

    problems = import_expecting_errors("bad.yaml")

    assert problems == expected
    assert database_state() == before


def test_all_problems_of_a_run_are_reported_together(in_tmp, existing_data):
    write(in_tmp / "a.yaml", endpoint("method: FETCH\nurl: ftp://x.example"))
    write(
        in_tmp / "b.yaml", HEAD + "  - slug: b\n    nmae: B\n    authorizations: []\n"
    )
    before = database_state()

    problems = import_expecting_errors("a.yaml", "b.yaml")

    assert problems == [
        'a.yaml: apps[0].authorizations[0].endpoints.user_info.method: "FETCH" is '
        "not an HTTP method.",
        'a.yaml: apps[0].authorizations[0].endpoints.user_info.url: "ftp://x.example" '
        "is not an http(s) URL: the console only calls http:// and https:// "
        "endpoints.",
        "b.yaml: apps[0].name: This field cannot be blank.",
        'b.yaml: apps[0].nmae: unknown key "nmae"; did you mean "name"?',
    ]
    assert database_state() == before


def test_two_files_naming_one_app_is_an_error_naming_both(in_tmp, existing_data):
    app = HEAD + "  - slug: shared\n    name: Shared\n    authorizations: []\n"
    write(in_tmp / "first.yaml", app)
    write(in_tmp / "second.yaml", app)
    before = database_state()

    problems = import_expecting_errors("first.yaml", "second.yaml")

    assert problems == [
        'second.yaml: apps[0].slug: "shared" is already at first.yaml: apps[0].slug; '
        "an app can appear only once per import."
    ]
    assert database_state() == before


def test_invalid_json_is_reported_with_line_and_column(in_tmp, existing_data):
    write(in_tmp / "bad.json", '{\n  "version": 1,\n  "apps": [,]\n}\n')
    before = database_state()

    problems = import_expecting_errors("bad.json")

    assert problems == ["bad.json: line 3, column 12: invalid JSON: Expecting value."]
    assert database_state() == before


def test_a_json_key_given_twice_is_refused(in_tmp, existing_data):
    write(in_tmp / "bad.json", '{"version": 1, "version": 1, "apps": []}')

    problems = import_expecting_errors("bad.json")

    assert problems == [
        'bad.json: invalid JSON: the key "version" appears twice in the same object.'
    ]


def test_json_files_get_the_same_path_messages(in_tmp, existing_data):
    write(
        in_tmp / "bad.json",
        '{"version": 1, "apps": [{"slug": "acme", "name": "Acme", "authorizations": '
        '[{"name": "Main", "type": "api_key", "endpoints": {"user_info": '
        '{"method": "FETCH"}}}]}]}',
    )
    before = database_state()

    problems = import_expecting_errors("bad.json")

    assert problems == [
        "bad.json: apps[0].authorizations[0].endpoints.user_info.method: "
        '"FETCH" is not an HTTP method.'
    ]
    assert database_state() == before


def test_a_missing_file_is_named(in_tmp, existing_data):
    problems = import_expecting_errors("nowhere.yaml")

    assert problems == [
        "nowhere.yaml: the file cannot be read: No such file or directory."
    ]


def test_a_missing_required_endpoint_is_a_warning_not_an_error(in_tmp):
    write(
        in_tmp / "wip.yaml",
        ACME + "      - name: Main\n        type: oauth2\n        endpoints:\n"
        "          user_info:\n            url: https://a.example/me\n",
    )

    result = run_command("import_apps", "wip.yaml")

    assert "acme: created" in result.stdout
    assert result.stderr.splitlines() == [
        "Warning: wip.yaml: apps[0].authorizations[0].endpoints: an OAuth2.0 "
        "authorization needs an Access Token Endpoint to work; until it has one, the "
        "admin shows it as incomplete."
    ]


def test_an_unreadable_authorization_entry_does_not_count_as_left_out(in_tmp):
    kept = OAuth2AuthorizationFactory(
        app=AppFactory(slug="crm", name="CRM"), name="Main"
    )
    ConnectedAccountFactory(authorization=kept)
    write(
        in_tmp / "bad.yaml",
        HEAD + "  - slug: crm\n    name: CRM\n    authorizations:\n      - Main\n",
    )

    problems = import_expecting_errors("bad.yaml")

    assert problems == [
        "bad.yaml: apps[0].authorizations[0]: expected an authorization (a mapping "
        "with name, type, …), found text."
    ]


def test_a_missing_user_info_endpoint_is_named_in_good_english(in_tmp):
    write(in_tmp / "wip.yaml", ACME + "      - name: Main\n        type: api_key\n")

    result = run_command("import_apps", "wip.yaml")

    assert result.stderr.splitlines() == [
        "Warning: wip.yaml: apps[0].authorizations[0].endpoints: an API Key "
        "authorization needs a User Information Endpoint to work; until it has one, "
        "the admin shows it as incomplete."
    ]


def test_a_variable_the_endpoint_never_gets_is_a_warning(in_tmp):
    write(
        in_tmp / "typo.yaml",
        endpoint(
            "url: https://a.example/me?key={{ requestBody.apikey }}\n"
            'response_template: \'{"user_identity": "{{ response.email }}"}\''
        ),
    )

    result = run_command("import_apps", "typo.yaml")

    assert "acme: created" in result.stdout
    (warning,) = result.stderr.splitlines()
    assert warning.startswith(
        "Warning: typo.yaml: apps[0].authorizations[0].endpoints.user_info.url: "
        "Line 1, column"
    )
    assert "Did you mean `api_key`?" in warning
