"""Sanitizing outside text and masking secrets."""

from cockpit.core.redact import mask_url
from cockpit.core.text import one_line, strip_control


def test_strip_control_removes_escape_sequences_and_controls():
    hostile = "a\x1b[31mred\x1b[0m \x1b]0;title\x07b \x1b]52;c;aGk=\x1b\\c \x9b2J d\x07e\x00f"
    assert strip_control(hostile) == "ared b c  def"


def test_strip_control_keeps_or_flattens_newlines():
    assert strip_control("a\r\nb\tc") == "a\nb    c"
    assert strip_control("a\nb", keep_newlines=False) == "a b"


def test_one_line_collapses_and_cuts():
    assert one_line("  a \n b  ") == "a b"
    assert one_line("x" * 50, limit=10) == "x" * 9 + "…"


def test_mask_url_hides_passwords_with_reserved_characters():
    assert mask_url("postgresql://user:pass@db:5432/avnz?x=1") == "postgresql://user:***@db:5432/avnz?x=1"
    assert mask_url("redis://:p@ss:w/rd@cache:6379/0 next") == "redis://:***@cache:6379/0 next"
    assert mask_url("see https://api.avnz.io/health") == "see https://api.avnz.io/health"
    assert mask_url("postgresql://db/avnz?user=app&password=s3cr&x=1") == "postgresql://db/avnz?user=app&password=***&x=1"
    assert mask_url("redis://cache:6379?Token=abc") == "redis://cache:6379?Token=***"


def test_bidi_overrides_and_lone_surrogates_never_survive():
    # Health JSON and error strings can carry them: a surrogate crashes the terminal writer,
    # a bidi override reorders what the operator reads.
    from cockpit.core.text import one_line, strip_control

    for clean in (strip_control("ok\u202egnp.exe\u2066x\u2069 \udcff\ud800!"), one_line("ok\u202egnp.exe \udcff!")):
        assert not any(0xD800 <= ord(c) <= 0xDFFF or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" for c in clean)
        assert "\ufffd" in clean
    assert strip_control("line\u2028break") == "line\nbreak"
