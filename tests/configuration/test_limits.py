"""Import files are bounded: size, nesting, numbers, text, aliases and queries.

Each bound is an error in words naming the file and where in it, never a
traceback, and nothing is stored; the limits are documented in
docs/config-format.md.
"""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.models import App
from authorizations.models import Authorization, Endpoint, Header
from configuration.importer import import_apps_config, read_config_source
from configuration.schema import MAX_FILE_SIZE, dump_document
from tests.configuration.helpers import database_state, run_command, write
from tests.configuration.test_bad_input import ACME, HEAD, import_expecting_errors

pytestmark = pytest.mark.django_db

DEPTH = "The data nests more than 64 levels deep"


def test_a_file_over_5_mib_is_refused_before_it_is_read(in_tmp):
    # The 50 MB description of the report, scaled down: the bound is the same.
    description = "x" * (MAX_FILE_SIZE + 1)
    write(
        in_tmp / "big.yaml",
        ACME.replace("    authorizations:", f"    description: {description}\n")
        + "    authorizations: []\n",
    )
    before = database_state()

    started = time.perf_counter()
    problems = import_expecting_errors("big.yaml")

    assert problems == [
        "big.yaml: the file is larger than 5 MiB (5,242,880 bytes), the most a "
        "config file may hold; split its apps into several files."
    ]
    assert time.perf_counter() - started < 2
    assert database_state() == before


def test_a_description_over_10000_characters_is_refused(in_tmp):
    write(
        in_tmp / "long.yaml",
        ACME.replace("    authorizations:", f"    description: {'x' * 10_001}\n")
        + "    authorizations: []\n",
    )

    problems = import_expecting_errors("long.yaml")

    assert problems == [
        "long.yaml: apps[0].description: Ensure this value has at most 10000 "
        "characters (it has 10001)."
    ]
    assert not App.objects.exists()


@pytest.mark.parametrize("levels", [100, 1_000, 200_000])
def test_yaml_nested_too_deep_is_refused_where_it_nests(in_tmp, levels):
    # 200,000 levels once crashed the process in libyaml's composer.
    text = HEAD.replace("apps:\n", "apps: ") + "[" * levels + "]" * levels + "\n"
    write(in_tmp / "deep.yaml", text)

    problems = import_expecting_errors("deep.yaml")

    if levels == 100:
        # The path is cut after 99 characters: its start says enough.
        assert problems == [f"deep.yaml: {DEPTH} at apps{'[0]' * 31}[0…."]
    else:
        # The 64th "[" after "apps: " is the 65th level, counting the file's own.
        assert problems == [f"deep.yaml: line 2, column 70: {DEPTH}."]
    assert not App.objects.exists()


def test_json_nested_too_deep_is_refused_where_it_nests(in_tmp):
    write(
        in_tmp / "deep.json", '{"version": 1, "apps": ' + "[" * 9999 + "]" * 9999 + "}"
    )

    problems = import_expecting_errors("deep.json")

    assert problems == [f"deep.json: line 1, column 87: {DEPTH}."]


def test_nesting_in_block_style_is_refused_with_its_path(in_tmp):
    lines = "".join("  " * level + "-\n" for level in range(1, 80))
    write(in_tmp / "deep.yaml", HEAD + lines)

    (problem,) = import_expecting_errors("deep.yaml")

    assert problem.startswith(f"deep.yaml: {DEPTH} at apps[0][0][0]")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "huge.yaml",
            HEAD + "  - slug: acme\n    name: " + "9" * 5000 + "\n",
            "huge.yaml: line 4, column 11: A number has 5000 digits; numbers may "
            "have at most 32. Write a longer one as text (in quotes).",
        ),
        (
            "huge.json",
            '{"version": 1, "apps": [{"slug": "acme", "name": ' + "9" * 5000 + "}]}",
            "huge.json: line 1, column 50: A number has 5000 digits; numbers may "
            "have at most 32. Write a longer one as text (in quotes).",
        ),
    ],
)
def test_an_integer_over_32_digits_is_refused_where_it_is(in_tmp, name, text, expected):
    write(in_tmp / name, text)

    assert import_expecting_errors(name) == [expected]
    assert not App.objects.exists()


def test_a_long_number_inside_a_json_string_is_text(in_tmp):
    digits = "9" * 5000
    write(
        in_tmp / "ok.json",
        '{"version": 1, "apps": [{"slug": "acme", "name": "Acme", '
        f'"description": "{digits}", "authorizations": []}}]}}',
    )

    result = run_command("import_apps", "ok.json")

    assert "acme: created" in result.stdout
    assert App.objects.get().description == digits


def test_a_lone_surrogate_is_refused_with_its_path(in_tmp):
    write(
        in_tmp / "bad.json",
        '{"version": 1, "apps": [{"slug": "acme", "name": "ab\\udcffcd", '
        '"authorizations": []}]}',
    )

    problems = import_expecting_errors("bad.json")

    assert problems == [
        "bad.json: The text at apps[0].name holds an unpaired UTF-16 surrogate "
        "(\\udcff at character 3), which is not a character; remove it or pair it."
    ]
    assert not App.objects.exists()


def test_a_lone_surrogate_escape_in_yaml_is_refused(in_tmp):
    write(in_tmp / "bad.yaml", HEAD + '  - slug: acme\n    name: "ab\\udcffcd"\n')

    (problem,) = import_expecting_errors("bad.yaml")

    assert problem.startswith("bad.yaml: line 4, column ")
    assert "surrogate" in problem or "invalid Unicode character" in problem
    assert not App.objects.exists()


def test_an_alias_bomb_is_refused_quickly(in_tmp):
    # Nine levels of ten aliases each stand for a billion texts.
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for level in range(1, 10):
        alias = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [" + ",".join([alias] * 10) + "]")
    write(in_tmp / "bomb.yaml", "\n".join(lines) + "\n")

    started = time.perf_counter()
    problems = import_expecting_errors("bomb.yaml")

    assert problems == [
        "bomb.yaml: the file holds more than 1,000,000 values once its YAML "
        "aliases (*name) are expanded; split it into several files, or repeat "
        "less through aliases."
    ]
    assert time.perf_counter() - started < 10


def test_aliases_that_repeat_a_little_are_fine(in_tmp):
    write(
        in_tmp / "aliases.yaml",
        ACME + "      - name: Main\n        type: api_key\n        endpoints:\n"
        "          user_info:\n            url: https://a.example/me\n"
        "            headers: &common\n"
        "              - {name: Accept, value: application/json}\n"
        "          revoke:\n            url: https://a.example/revoke\n"
        "            headers: *common\n",
    )

    result = run_command("import_apps", "aliases.yaml")

    assert "acme: created" in result.stdout
    assert Header.objects.filter(name="Accept").count() == 2


# -- queries ----------------------------------------------------------------


def apps_document(count: int, *, description: str = "") -> str:
    apps = []
    for number in range(count):
        endpoint = {
            "url": f"https://api{number}.example.com/me",
            "response_template": '{"user_identity": "{{ response.email }}"}',
            "headers": [
                {"name": "Authorization", "value": "Bearer {{ query.access_token }}"},
                {"name": "Accept", "value": "application/json"},
            ],
        }
        apps.append(
            {
                "slug": f"app-{number}",
                "name": f"App {number}",
                "description": description,
                "authorizations": [
                    {
                        "name": "OAuth2.0",
                        "type": "oauth2",
                        "endpoints": {"user_info": endpoint, "access_token": endpoint},
                    },
                    {
                        "name": "API Key",
                        "type": "api_key",
                        "endpoints": {"user_info": endpoint},
                    },
                ],
            }
        )
    return dump_document({"version": 1, "apps": apps}, fmt="yaml")


def import_queries(path) -> int:
    with CaptureQueriesContext(connection) as queries:
        import_apps_config(sources=[read_config_source(path)])
    return len(queries)


@pytest.mark.parametrize("step", ["create", "unchanged", "delete"])
def test_import_queries_do_not_grow_with_the_number_of_apps(tmp_path, step):
    counts = {}
    for count in (5, 20):
        App.objects.all().delete()
        path = write(tmp_path / f"{count}.yaml", apps_document(count))
        if step != "create":
            import_apps_config(sources=[read_config_source(path)])
        if step == "delete":
            # Every app keeps one authorization of two: deletions in bulk.
            text = apps_document(count).replace("type: api_key", "type: oauth2")
            path = write(tmp_path / f"{count}-less.yaml", text)
            text = path.read_text().replace("name: API Key", "name: Other")
            path = write(path, text)
        counts[count] = import_queries(path)

    assert counts[20] == counts[5], counts
    assert counts[5] <= 20
    assert Endpoint.objects.count() == 20 * 3
    assert Authorization.objects.count() == 20 * 2


def test_an_update_writes_only_what_changed(tmp_path):
    path = write(tmp_path / "apps.yaml", apps_document(20))
    import_apps_config(sources=[read_config_source(path)])
    changed = write(tmp_path / "changed.yaml", apps_document(20, description="New."))

    queries = import_queries(changed)

    # One UPDATE per app whose description changed, and a constant for the rest.
    assert queries <= 20 + 10
    assert set(App.objects.values_list("description", flat=True)) == {"New."}


def test_a_file_that_is_not_utf8_is_named(in_tmp):
    (in_tmp / "latin1.yaml").write_bytes(b"version: 1\napps:\n  - name: Caf\xe9\n")

    assert import_expecting_errors("latin1.yaml") == [
        "latin1.yaml: the file is not UTF-8 text (byte 30)."
    ]
