"""SecretMasker: secrets are hidden where they appear as values, and prose
stays readable."""

import pytest

from authorizations.masking import SecretMasker, mask_secret, masker_for, secrets_in

LONG = "cs_live_8d7f6e5a4b3c2d1e0f9a7b6c"


def test_mask_secret_shows_at_most_the_last_four_characters():
    assert mask_secret(LONG) == "••••7b6c"
    assert mask_secret("short") == "••••"
    assert mask_secret("") == mask_secret(None) == ""


def test_a_long_secret_is_masked_in_values_and_in_prose():
    masker = SecretMasker([LONG])
    assert masker.value(f"https://x.example.com/?s={LONG}") == (
        "https://x.example.com/?s=••••7b6c"
    )
    assert masker.message(f"The token {LONG} was refused.") == (
        "The token ••••7b6c was refused."
    )


@pytest.mark.parametrize(
    ("secret", "written"),
    [
        ('s3cr3t/with+odd&chars"é', "s3cr3t%2Fwith%2Bodd%26chars%22%C3%A9"),
        ('s3cr3t/with+odd&chars"é', "s3cr3t/with%2Bodd%26chars%22%C3%A9"),
        ('s3cr3t/with+odd&chars"é', 's3cr3t/with+odd&chars\\"\\u00e9'),
        ("pass word!", "pass+word%21"),
    ],
)
def test_every_written_form_of_a_secret_is_masked(secret, written):
    masker = SecretMasker([secret])
    assert written not in masker.value(f"[{written}]")
    assert masker.value(f"[{written}]") == f"[{mask_secret(secret)}]"


def test_a_one_letter_secret_leaves_prose_alone_but_not_quoted_values():
    masker = SecretMasker(["a"])
    assert masker.message('expires_in must be a number of seconds, not "a".') == (
        'expires_in must be a number of seconds, not "••••".'
    )
    assert masker.message("`a` and “a” are values; a word is not.") == (
        "`••••` and “••••” are values; a word is not."
    )


def test_a_short_secret_inside_a_quoted_value_of_a_message_is_masked():
    masker = SecretMasker(["abc123"])
    assert masker.message(
        'The URL "https://x.example.com/?t=abc123 x" contains a space, abc123.'
    ) == ('The URL "https://x.example.com/?t=•••• x" contains a space, abc123.')


def test_the_lines_after_a_messages_first_quote_output_and_are_masked():
    masker = SecretMasker(["1234"])
    message = masker.message(
        "The output is not valid JSON at line 1, column 16, not 1234:\n"
        '{"expires_in": 1234,, }\n'
        "               ^"
    )
    assert message.splitlines() == [
        "The output is not valid JSON at line 1, column 16, not 1234:",
        '{"expires_in": ••••,, }',
        "               ^",
    ]


def test_a_short_secret_is_masked_in_values_only_where_it_stands_alone():
    masker = SecretMasker(["ab"])
    assert masker.value("https://ab.example.com/tab?x=ab") == (
        "https://••••.example.com/tab?x=••••"
    )


def test_a_secret_containing_another_is_masked_whole():
    masker = SecretMasker(["tok_12345678", "tok_12345678_and_more"])
    assert masker.value("tok_12345678_and_more") == "••••more"


def test_overlapping_long_secrets_leave_no_part_of_either_in_clear():
    masker = SecretMasker(["AAAAAAAAbbbb", "bbbbCCCCCCCCCC"])
    masked = masker.value("x AAAAAAAAbbbbCCCCCCCCCC y")
    assert "AAAAAAAA" not in masked and "CCCCCCCCCC" not in masked


def test_credential_headers_are_masked_whole_others_by_their_secrets():
    masker = SecretMasker([LONG])
    assert masker.header("Authorization", "Bearer literal-token-1234") == (
        "Bearer ••••1234"
    )
    assert masker.header("X-Api-Key", "k") == "••••"
    assert masker.header("X-Note", f"id={LONG}") == "id=••••7b6c"
    assert masker.header("Accept", "application/json") == "application/json"


def test_data_is_masked_in_every_text_it_holds():
    masker = SecretMasker([LONG])
    data = {"a": [LONG, {"b": f"x {LONG}"}], "n": 5, "none": None}
    assert masker.data(data) == {
        "a": ["••••7b6c", {"b": "x ••••7b6c"}],
        "n": 5,
        "none": None,
    }


def test_a_secret_with_a_lone_surrogate_does_not_break_the_masker():
    # Refused at the preview's door, but the masker must hold on its own.
    masker = SecretMasker(["ab\udcffcd-long-enough"])
    assert masker.value("x ab\udcffcd-long-enough y") == "x ••••ough y"
    assert masker.message("nothing secret here") == "nothing secret here"


def test_no_secrets_leaves_everything_as_it_is():
    masker = SecretMasker(["", "  ", None])
    assert not masker
    assert masker.value("a b") == "a b"
    assert masker.message("a b") == "a b"
    assert masker.value(None) is None


def test_secrets_in_takes_text_and_numbers_not_flags_or_data():
    values = {"a": "x", "b": 1234, "c": True, "d": ["y"], "e": " ", "f": None}
    assert secrets_in(values, "abcdef") == ["x", "1234"]
    assert secrets_in(["not", "a", "mapping"], "a") == []


def test_masker_for_hides_the_secrets_the_registry_names_and_nothing_else():
    masker = masker_for(
        request_body={"client_id": "console-client-4f2a9c", "client_secret": LONG},
        query={"access_token": "2YotnFZFEjr1zCsicMWpAA", "username": "jason"},
        response={"refresh_token": "rt_9Xq2LmN4vB7cK1zP5sD8fG", "scope": "read"},
    )
    shown = masker.value(
        f"id=console-client-4f2a9c&secret={LONG}&token=2YotnFZFEjr1zCsicMWpAA"
        "&user=jason&refresh=rt_9Xq2LmN4vB7cK1zP5sD8fG&scope=read"
    )
    assert shown == (
        "id=console-client-4f2a9c&secret=••••7b6c&token=••••WpAA"
        "&user=jason&refresh=••••D8fG&scope=read"
    )


def test_masker_for_masks_a_credential_header_whole():
    masker = masker_for()
    assert masker.header("X-Api-Key", "typed-into-the-template") == "••••late"
    assert masker.header("Authorization", "Bearer typed-in-token-0001") == (
        "Bearer ••••0001"
    )
    assert masker.header("Accept", "application/json") == "application/json"
