"""One log event from outside as one inert, redacted display line."""

import io
import random
import re
import unicodedata

import pytest
from rich.console import Console
from rich.text import Text

from cockpit.core import logline, redact
from cockpit.core.logline import clean_message, sanitize_stream_name
from cockpit.core.redact import mask_url, may_hold_secret, redact_secrets

UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def unsafe_characters(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) in UNSAFE_CATEGORIES]


# --- escape sequences are shown, not executed ---------------------------------------------

@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J\x1b[Hboom", "␛[2J␛[Hboom"),  # clear screen, cursor home
        ("a\x1b[10;20Hb\x1b[1Ac\x1b[3Dd\x1b[?1049h", "a␛[10;20Hb␛[1Ac␛[3Dd␛[?1049h"),  # moves, alt screen
        ("\x1b[31mred\x1b[0m", "␛[31mred␛[0m"),  # colour
        ("\x1b]0;pwned\x07after", "␛]0;pwned␇after"),  # OSC 0 title, BEL
        ("\x1b]2;pwned\x1b\\after", "␛]2;pwned␛\\after"),  # OSC 2 title, ST
        ("\x1b]52;c;ZWNobyBoaQ==\x07", "␛]52;c;ZWNobyBoaQ==␇"),  # OSC 52 clipboard write
        ("\x1bP1$r0m\x1b\\", "␛P1$r0m␛\\"),  # DCS
        ("\x1b_apc\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\", "␛_apc␛\\␛^pm␛\\␛Xsos␛\\"),  # APC, PM, SOS
        ("\x1bc\x1b7\x1b8\x1b(0", "␛c␛7␛8␛(0"),  # reset, save/restore cursor, charset
        ("\x9b2J\x9d0;t\x9c\x90q\x9c", "\\x9b2J\\x9d0;t\\x9c\\x90q\\x9c"),  # 8-bit CSI, OSC, ST, DCS
        ("ends with\x1b", "ends with␛"),  # bare ESC at the end
        ("a\x00b\x07c\x08d\x7fe", "a␀b␇c␈d␡e"),  # NUL, BEL, BS, DEL
        ("\x0b\x0c\x1a\x1f", "␋␌␚␟"),
        ("50%\r60%", "50%␍60%"),  # CR
    ],
)
def test_controls_and_escape_sequences_are_made_visible(raw, shown):
    assert clean_message(raw) == shown


def test_trailing_line_breaks_are_dropped():
    assert clean_message("done\n") == "done"
    assert clean_message("done\r\n") == "done"
    assert clean_message("done\n\n\r\n") == "done"
    assert clean_message("\n") == ""


def test_inner_newlines_join_one_line_and_tabs_become_spaces():
    assert clean_message("Traceback:\n  File x\r\n    boom\n") == "Traceback: ↵   File x ↵     boom"
    assert clean_message("a\tb\t") == "a    b    "


def test_bidi_and_other_format_characters_are_made_visible():
    assert clean_message("invoice\u202eexe.pdf") == "invoice\\u202eexe.pdf"
    assert clean_message("\u2066x\u2069 \u202a\u202b\u202c\u202d") == "\\u2066x\\u2069 \\u202a\\u202b\\u202c\\u202d"
    assert clean_message("a\u200bb\u200fc\ufeffd\u00ad\u2028e") == "a\\u200bb\\u200fc\\ufeffd\\u00ad\\u2028e"
    assert clean_message("tag\U000e0041") == "tag\\U000e0041"


def test_lone_surrogates_become_replacement_characters():
    assert clean_message("bad \udcff\udcfe byte") == "bad \ufffd\ufffd byte"
    assert clean_message("high \ud83d alone") == "high \ufffd alone"
    assert clean_message("\udfff") == "\ufffd"


def test_non_ascii_text_and_emoji_stay():
    assert clean_message("zahlung für café 🙂 — ok\n") == "zahlung für café 🙂 — ok"
    assert clean_message("ünïcödé\x1b[0m 🙂") == "ünïcödé␛[0m 🙂"


def test_rich_markup_stays_literal():
    for raw in ("[bold]x[/bold]", "[link=http://x]click[/link]", "[red]x[/]", "\\[x]"):
        assert clean_message(raw) == raw
        assert Text(clean_message(raw)).plain == raw


HOSTILE = (
    "a\x1b[2J\x1b[H\x1b[31mred\x1b]0;title\x07\x1b]2;t\x1b\\\x1b]52;c;aGk=\x07\x1bP+q\x1b\\"
    "\x9b2J\x9d0;x\x9c\x1b_x\x1b\\\x00\x07\x08\x7f\r\n\t\u202e\u2066\udcff\ud800[bold]x[/] \x1b"
)


def test_rich_renders_a_cleaned_hostile_line_without_escape_bytes():
    def rendered(text: str) -> str:
        out = io.StringIO()
        Console(file=out, force_terminal=True, color_system="truecolor", width=400).print(Text(text))
        return out.getvalue()

    assert "\x1b" in rendered(HOSTILE)  # Rich alone passes them through
    out = rendered(clean_message(HOSTILE))
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
    assert unsafe_characters(out.rstrip("\n")) == []


def test_no_control_format_or_surrogate_character_survives():
    code_points = [*range(0x3001), *range(0xD800, 0xE000), 0xFEFF, 0xFFF9, 0x110BD, 0x1D173, 0xE0001, 0xE007F]
    for code in code_points:
        ch = chr(code)
        for raw in (ch, f"x{ch}y", f"AKIA{ch}\x1b[{ch}"):
            assert unsafe_characters(clean_message(raw)) == [], hex(code)


def test_format_ranges_cover_this_pythons_unicode_database():
    covered = {code for first, last in logline._FORMAT_RANGES for code in range(first, last + 1)}
    wanted = {code for code in range(0x110000) if unicodedata.category(chr(code)) in {"Cf", "Zl", "Zp"}}
    assert wanted <= covered, sorted(hex(code) for code in wanted - covered)


# --- length -----------------------------------------------------------------------------

def test_long_line_is_cut_with_its_length():
    assert clean_message("x" * 65536 + "\n") == "x" * 16384 + "… [cut: 65536 chars]"
    assert clean_message("abcdef", limit=4) == "abcd… [cut: 6 chars]"
    assert clean_message("abcd", limit=4) == "abcd"


def test_length_counts_the_visible_form():
    # 4 raw characters, 16 shown: cut although the raw message is within the limit
    assert clean_message("\t\t\t\t", limit=10) == " " * 10 + "… [cut: 16 chars]"


def test_secret_at_the_cut_is_masked_before_cutting():
    key = "AKIAIOSFODNN7EXAMPLE"
    assert clean_message("x" * 16380 + " " + key) == "x" * 16380 + " AKI… [cut: 16401 chars]"
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl"
    cut = clean_message("x" * 16375 + " Bearer " + token + " tail")
    assert cut == "x" * 16375 + " Bearer *… [cut: 16391 chars]"
    url = "y" * 16360 + " postgresql://app:correct-horse-battery@db/avnz"  # password from 16378 on
    assert clean_message(url) == "y" * 16360 + " postgresql://app:***@db… [cut: 16389 chars]"


def test_stream_names_are_cleaned_and_cut_at_200():
    assert sanitize_stream_name("ecs/payments-api/8f3a1b2c") == "ecs/payments-api/8f3a1b2c"
    assert sanitize_stream_name("ecs/\x1b]0;x\x07\n") == "ecs/␛]0;x␇"
    assert sanitize_stream_name("s" * 300) == "s" * 200 + "… [cut: 300 chars]"


# --- secrets ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("creds AKIAIOSFODNN7EXAMPLE used", "creds AKIA**************** used"),
        ("temporary ASIAY34FZKBOKMUTVV7A", "temporary ASIA****************"),
        ('"AccessKeyId":"AKIAIOSFODNN7EXAMPLE"', '"AccessKeyId":"AKIA****************"'),
        ("\x1b[32mAKIAIOSFODNN7EXAMPLE\x1b[0m", "␛[32mAKIA****************␛[0m"),  # coloured
        ("AKIAB AKIA123 ASIA is a continent", "AKIAB AKIA123 ASIA is a continent"),  # too short
        ("EASTASIAY34FZKBOKMUTVV7A", "EASTASIAY34FZKBOKMUTVV7A"),  # inside a longer upper-case word
    ],
)
def test_aws_access_key_ids_are_masked(raw, shown):
    assert clean_message(raw) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY next", "aws_secret_access_key=*** next"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG", "aws_secret_access_key = ***"),
        ("AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG", "AWS_SECRET_ACCESS_KEY: ***"),
        ('{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG", "Expiration": "2026"}', '{"SecretAccessKey": "***", "Expiration": "2026"}'),
        ("{'SecretAccessKey': 'wJalr XUtn'}", "{'SecretAccessKey': '***'}"),
        ('{"SessionToken": "IQoJb3JpZ2luX2Vj"}', '{"SessionToken": "***"}'),
        ('log="{\\"password\\": \\"hunter2\\", \\"user\\": \\"bob\\"}"', 'log="{\\"password\\": \\"***\\", \\"user\\": \\"bob\\"}"'),
        ("DB_PASSWORD=hunter2 x-api-key: k123 client_secret='s e c'", "DB_PASSWORD=*** x-api-key: *** client_secret='***'"),
        ('password: "unterminated', 'password: "***"'),
        ("Server=db;Password=abc;User Id=app", "Server=db;Password=***;User Id=app"),
        ("password_hash=abc max_tokens=10 secret_name=prod/db bypass=1", "password_hash=abc max_tokens=10 secret_name=prod/db bypass=1"),
    ],
)
def test_secret_assignments_are_masked(raw, shown):
    assert clean_message(raw) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig-_x", "Authorization: Bearer ***"),
        ('{"authorization": "Basic dXNlcjpwYXNz", "x": 1}', '{"authorization": "Basic ***", "x": 1}'),
        ("authorization=abc123 from 10.0.0.1", "authorization=*** from 10.0.0.1"),
        ("retrying with bearer abc.def== now", "retrying with bearer *** now"),
        ("Basic dXNlcjpwYXNz sent", "Basic *** sent"),
        ("basic auth failed on the Basic plan", "basic auth failed on the Basic plan"),
        ("Basic YWJjZA==", "Basic YWJjZA=="),  # 'abcd': no user:password
        ('WWW-Authenticate: Bearer realm="api", error="invalid_token"', 'WWW-Authenticate: Bearer realm="api", error="invalid_token"'),
    ],
)
def test_authorization_values_are_masked(raw, shown):
    assert clean_message(raw) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("connect postgresql://app:p@ss:w/rd@db:5432/avnz?sslmode=require failed", "connect postgresql://app:***@db:5432/avnz?sslmode=require failed"),
        ("redis://:s3cr:et@cache:6379/0", "redis://:***@cache:6379/0"),
        ("GET https://api.x.io/cb?token=abc123&state=ok 200", "GET https://api.x.io/cb?token=***&state=ok 200"),
        ("GET https://api.x.io/health 200", "GET https://api.x.io/health 200"),
    ],
)
def test_url_passwords_and_token_parameters_are_masked(raw, shown):
    assert clean_message(raw) == shown


# --- the fast path ------------------------------------------------------------------------

def test_plain_lines_come_back_unchanged_as_the_same_object():
    lines = [
        "2026-11-27T21:00:00.123Z INFO [req-8f3a] GET /api/v1/payments/123 200 12ms user=42 Redis pool ok",
        "2026-11-27T21:00:01.007Z WARN [req-91c2] slow query 812ms table=payments rows=10000",
        "zahlung für café 🙂 ok",
        "",
    ]
    for line in lines:
        assert clean_message(line) is line
        assert clean_message(line + "\n") == line


def test_the_fast_check_never_skips_a_secret():
    # may_hold_secret(x) false must mean redact_secrets(x) == x: try many near-misses.
    pieces = ["AKIA", "ASIA", "IOSFODNN7EXAMPLE", "://", "u:", "p@", "@h", "?", "&", "=", ": ", '"', "'", "\\",
              "pass", "Pass", "word", "wd", "pwd", "secret", "SECRET", "_access_key", "token", "Token", "api", "_", "-",
              "key", "bearer", "Bearer ", "basic ", "Basic ", "dXNlcjpwYXNz", "authorization", "\u017f", "\u212a", "\u0131", "\u0130", " ", "x", "1"]
    rng = random.Random(7)
    for _ in range(40000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        if not may_hold_secret(text):
            assert redact_secrets(text) == text, text
    long_s = "pa\u017fs=1"  # mask_url's Unicode case folding matches it with 'pass'
    assert mask_url(f"?{long_s}") == "?pa\u017fs=***" and may_hold_secret(long_s)


# mask_url as it was (a quadratic regex); the linear one must give the same results.
_OLD_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)(?P<pw>\S+)(?=@)")


def test_linear_mask_url_matches_the_old_pattern():
    rng = random.Random(3)
    alphabet = [*"aZ19+.-_:/@?#& \té\n", "://", "x://u:p@h", "password=", "__"]
    for _ in range(60000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        expected = _OLD_URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)
        assert redact._URL_PASSWORD.sub(redact._mask_userinfo, text) == expected, text


def test_pass_suffixed_variables_are_redacted_but_words_are_not():
    from cockpit.core.logline import clean_message

    assert clean_message("env DB_PASS=hunter2 REDIS-PASS: s3cret") == "env DB_PASS=*** REDIS-PASS: ***"
    assert clean_message("all tests pass: 12, bypass=on") == "all tests pass: 12, bypass=on"


def test_the_secret_hint_names_every_word_the_rules_look_for():
    from cockpit.core import redact

    for words, _, _ in redact._WORD_RULES:
        for word in words:
            assert redact.may_hold_secret(f"x {word} y"), word
    assert not redact.may_hold_secret("GET /api/v1/payments/4812 200 12ms Redis pool ok")
