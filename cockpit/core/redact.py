"""Masking of secrets before text reaches a screen, the journal or a log."""

from __future__ import annotations

import base64
import binascii
import re

# scheme://user:password@host -> scheme://user:***@host (the password may hold ':' and '/').
# The password runs to the last '@' of the whitespace-free run, so the pattern takes the whole
# rest of the run and _mask_userinfo finds that '@'. Matches start only where a run of scheme
# characters starts, and the atomic group commits to its first possible scheme start: every
# other start in the same run would see the same text after it. Together this keeps hostile
# input like 'a.a.a.a...' or 'a://b:a://b:...' linear (the plain regex was quadratic: a 32 KB
# log line took a second) with the same result.
_URL_PASSWORD = re.compile(
    r"(?<![a-zA-Z0-9+.-])"
    r"(?P<head>(?>(?<!\w)[a-zA-Z]|[a-zA-Z0-9+.-]*?[+.-][a-zA-Z])[a-zA-Z0-9+.-]*+://[^:/?#@\s]*+:)"
    r"(?P<rest>\S*)"
)


# ?password=...&token=... -> ?password=***&token=***
_SECRET_PARAM = re.compile(
    r"(?P<head>[?&](?:password|passwd|pwd|pass|secret|token|access_token|api_key|apikey|sslpassword)=)[^&#\s]+",
    re.IGNORECASE,
)


def _mask_userinfo(match: re.Match[str]) -> str:
    at = match["rest"].rfind("@")
    return match[0] if at < 1 else match["head"] + "***" + match["rest"][at:]


def mask_url(text: str) -> str:
    """Replace every password in a URL within `text` (userinfo or secret query parameter) by `***`."""
    text = _URL_PASSWORD.sub(_mask_userinfo, text)
    return _SECRET_PARAM.sub(lambda m: m.group("head") + "***", text)


# AWS access key ids, long-term (AKIA) and temporary (ASIA). The prefix stays so the kind of
# key is still visible: AKIAIOSFODNN7EXAMPLE -> AKIA****************. Not inside a longer
# upper-case word, but no word boundary either: a coloured log puts 'm' (the end of an SGR
# sequence) right before the key, and a key glued to more capitals is masked all the same.
_AWS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?P<kind>AKIA|ASIA)[A-Z0-9]{16}")

# The value of an Authorization header, whatever the scheme: "Authorization: Bearer x" ->
# "Authorization: Bearer ***". (?ai): ASCII-only case folding, see may_hold_secret.
_AUTH_HEADER = re.compile(
    r"""(?ai)(?P<head>authorization\\?["']?\s*[:=]\s*\\?["']?
        (?:(?:bearer|basic|digest|token|negotiate|ntlm|dpop|apikey|api-key|key|oauth|hoba|mutual
           |aws4-hmac-sha256|scram-sha-\d+)\s+)?)
        [^\s"',;\\]+""",
    re.VERBOSE,
)

# Bare bearer tokens (RFC 6750 token68), anywhere: "bearer abc.def" -> "bearer ***", but not
# the parameters of a challenge (WWW-Authenticate: Bearer realm="api").
_BEARER = re.compile(r"(?ai)(?P<head>bearer\s+)(?!(?:realm|scope|error|error_description|error_uri)=)[a-z0-9\-._~+/]+=*")

# Bare basic credentials: "Basic dXNlcjpwYXNz" -> "Basic ***", only when the base64 decodes to
# 'user:password', so prose like "basic auth" or "Basic plan" stays.
_BASIC = re.compile(r"(?ai)(?P<head>basic\s+)(?P<cred>[a-z0-9+/]{4,}={0,2})(?![a-z0-9+/=])")

# name = value, name: value, "name": "value" where the name ends in a secret-sounding word:
# password=..., DB_PASSWORD: ..., DB_PASS=..., "SecretAccessKey": "...", aws_secret_access_key = ...,
# x-api-key: ..., "SessionToken": "...", and the same inside JSON escaped into a string
# (\"password\": \"...\"). Whatever precedes the word stays, so the pattern starts at the word.
# Quoted values are masked up to their closing quote (or the end of the line when it is
# missing), bare values up to whitespace, a quote, '&' or ';'.
_SECRET_ASSIGNMENT = re.compile(
    r"""(?ai)(?P<name>secret[_-]?access[_-]?key|passw(?:or)?d|(?<=[_-])pass(?![a-z])|pwd|secret|token|api[_-]?key)
        (?P<sep>\\?["']?\s*(?:==?|:=?)\s*)
        (?P<value>"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|\\"(?:[^"\\\n]|\\[^"])*(?:\\")?|[^\s"'\\&;]+)""",
    re.VERBOSE,
)

# Non-ASCII characters that mask_url's case-insensitive (Unicode) matching equates with an
# ASCII letter ('\u017f' matches 's'): folded to that letter before looking for words.
_ASCII_LOOKALIKES = "\u0130\u0131\u017f\u212a"  # İ ı ſ K (Kelvin sign)
_TO_ASCII = str.maketrans(_ASCII_LOOKALIKES, "iisk")
# Lower-case words one of which each pattern needs to match (the key ids and URLs are checked
# case-sensitively); a line with none of them skips the pattern.
_ASSIGNMENT_WORDS = ("pass", "pwd", "secret", "token", "api_key", "apikey", "api-key")


def _fold(text: str) -> str:
    if not text.isascii() and any(ch in text for ch in _ASCII_LOOKALIKES):
        text = text.translate(_TO_ASCII)
    return text.lower()


def _keep_head(match: re.Match[str]) -> str:
    return match["head"] + "***"


def _is_user_password(b64: str) -> bool:
    try:
        return b":" in base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return False


def _mask_basic(match: re.Match[str]) -> str:
    return match["head"] + "***" if _is_user_password(match["cred"]) else match[0]


def _mask_assigned(match: re.Match[str]) -> str:
    value = match["value"]
    quote = '\\"' if value.startswith('\\"') else value[0] if value[0] in "\"'" else ""
    return f"{match['name']}{match['sep']}{quote}***{quote}"


_WORD_RULES = (  # (words, pattern, replacement): the pattern runs when one of the words occurs
    (("authorization",), _AUTH_HEADER, _keep_head),
    (("bearer",), _BEARER, _keep_head),
    (("basic",), _BASIC, _mask_basic),
    (_ASSIGNMENT_WORDS, _SECRET_ASSIGNMENT, _mask_assigned),
)


def may_hold_secret(text: str) -> bool:
    """Say cheaply (about 1.5 µs for 160 ASCII characters) whether `redact_secrets` could change `text`.

    False means it certainly would not; true only means it might.
    """
    if "AKIA" in text or "ASIA" in text or "://" in text:
        return True
    f = _fold(text)
    # Every word of _WORD_RULES, written out: a generator over them cost twice as much at 20,000 lines/s.
    return ("pass" in f or "pwd" in f or "secret" in f or "token" in f or "api_key" in f or "apikey" in f or "api-key" in f
            or "authorization" in f or "bearer" in f or "basic" in f)


def redact_secrets(text: str) -> str:
    """Mask the secrets in free text (a log line, an error message) for display.

    Masks Authorization header values, bearer tokens, basic credentials, AWS access key ids
    (keeping the AKIA/ASIA prefix: `AKIA****************`), values assigned to
    secret-sounding names and passwords in URLs (`mask_url`). Masked parts become `***`.
    A secret in none of these forms (a bare 40-character secret key, a token split by an
    escape sequence) is not recognised. Runs in linear time.
    """
    folded = _fold(text)
    for words, pattern, mask in _WORD_RULES:
        if any(word in folded for word in words):
            text = pattern.sub(mask, text)
    if "AKIA" in text or "ASIA" in text:
        text = _AWS_KEY_ID.sub(lambda m: m["kind"] + "*" * 16, text)
    if "://" in text or "=" in text and any(word in folded for word in _ASSIGNMENT_WORDS):
        text = mask_url(text)
    return text
