"""Hostile values for fuzzing: what attackers, broken clients and unlucky pastes send.

Every strategy yields what a client could put on the wire. Form values are strings (a browser
sends nothing else); JSON values keep their type, so the API also meets wrong types.
"""

from __future__ import annotations

import codecs
from urllib.parse import quote_plus

from hypothesis import strategies as st

ONE_MEGABYTE = 1024 * 1024

UNICODE_EDGES = [
    "e\u0301\u0301\u0301\u0301",  # a letter buried under combining marks
    "Z\u0351\u0362\u0338\u0334" * 50,  # "zalgo" text
    "\u202eevil.exe\u202c",  # right-to-left override
    "\u200f\u200eab\u061c",  # RTL, LTR and Arabic letter marks
    "a\u200bb\u200cc\u200dd\ufeff",  # zero-width space, (non-)joiners, BOM
    "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",  # a family emoji sequence
    "\U0001f1fa\U0001f1f8 \U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
    "\ud800",  # a lone high surrogate (not encodable as UTF-8)
    "\udfff\ud800",  # a reversed surrogate pair
    "\uffff\ufffe\ufffd",
    "\x00",
    "abc\x00def",
    "\x1b[31mred\x1b[0m\x07\x08",
    "line\r\nbreak\rmac\nunix\u2028\u2029",
    "ｆｕｌｌｗｉｄｔｈ　１２３",
    "İıſK",  # letters whose case mapping changes length or script
    "ﷺ" * 100,  # one code point that renders very wide
    "中文名字，直播电商",
]

MARKUP = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[x](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<iframe src=\"data:text/html,<script>alert(1)</script>\">",
    "\"><script>alert(1)</script>",
    "';alert(1)//",
    "{{7*7}}{% raw %}${7*7}",
    "<style>*{background:url(javascript:alert(1))}</style>",
]

SQL = [
    "' OR '1'='1",
    "'; DROP TABLE \"user\"; --",
    "1; SELECT pg_sleep(5)--",
    "\" OR \"\"=\"",
    "%' AND 1=0 UNION SELECT password_hash FROM \"user\" --",
    "\\'; --",
    "1e309",
]

NUMBERS = [
    "0", "-0", "1", "-1", "-2147483649", "2147483648", "9223372036854775808",
    "99999999999999999999999999999999", "-99999999999999999999", "1e309", "-1e309", "1e-400",
    "NaN", "nan", "-nan", "inf", "-inf", "Infinity", "+5", " 7 ", "5.5", "0.001", "1,000",
    "1_000", "0x10", "0b11", "١٢", "１２", "²", "٣.٥", "", " ", "ten", "12abc", "1" * 5000,
]

DATES = [
    "2026-02-30", "2026-13-01", "0000-01-01", "0001-01-01", "9999-12-31", "10000-01-01",
    "-2026-01-01", "2026-1-1", "2026/11/22", "22.11.2026", "", "today", "1970-01-01",
    "2038-01-19", "1899-12-31", "2200-01-01", "2026-11-22",
]

DATETIMES = [
    "2026-11-22T25:00", "2026-11-22T12:60", "2026-03-29T02:30",  # a DST gap in Europe
    "2026-11-01T01:30",  # an ambiguous hour in America
    "0001-01-01T00:00", "9999-12-31T23:59", "2026-11-22 12:00", "2026-11-22T12:00:00+14:00",
    "2026-11-22T12:00Z", "2026-11-22", "", "T", "2026-11-22T12:00\u200b",
]

TIME_ZONES = ["UTC", "Etc/GMT+12", "Pacific/Kiritimati", "America/St_Johns", "Asia/Kathmandu",
              "Europe/Berlin", "../../etc/passwd", "Mars/Olympus", "", "\u202eUTC"]

URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "vbscript:msgbox(1)",
        "https://example.com/a b", "https://例子.测试/回放", "//evil.test", "https://",
        "https://example.com/" + "a" * 600, "http://[::1]:99999/", "ftp://example.com/x"]


def _text_sizes(max_size: int) -> st.SearchStrategy[str]:
    """Random text of every category, surrogates and control characters included."""
    return st.text(alphabet=st.characters(exclude_categories=()), max_size=max_size)


def huge_strings() -> st.SearchStrategy[str]:
    """About one megabyte, ASCII or multi-byte (the latter exceeds the request size limit)."""
    return st.sampled_from([
        "A" * ONE_MEGABYTE,
        "<b>" * (ONE_MEGABYTE // 3),
        "é\u0301" * (ONE_MEGABYTE // 4),
    ])


def hostile_text(max_size: int = 300, *, huge: bool = True) -> st.SearchStrategy[str]:
    """Any text a person, a script or an attacker could type or paste into a field.

    ``huge=False`` leaves out the 1 MB strings (for URLs, which servers cap at a few KB).
    """
    edges = st.sampled_from(UNICODE_EDGES + MARKUP + SQL + URLS)
    kinds = [edges, _text_sizes(max_size), st.tuples(edges, _text_sizes(20), edges).map("".join)]
    return st.one_of(*kinds, huge_strings()) if huge else st.one_of(*kinds)


def plausible_text(words: str) -> st.SearchStrategy[str]:
    """Valid text with a hostile part mixed in, so validation often accepts and stores it."""
    return st.one_of(
        st.just(words),
        st.sampled_from(UNICODE_EDGES + MARKUP + SQL).map(lambda evil: f"{words} {evil}"),
    )


def hostile_number_text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(NUMBERS), st.integers().map(str),
                     st.floats(allow_nan=True, allow_infinity=True).map(repr))


def hostile_date_text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(DATES), st.dates().map(str), hostile_text(20, huge=False))


def hostile_datetime_text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(DATETIMES),
                     st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")),
                     hostile_text(20, huge=False))


def choice_or_hostile(*valid: str) -> st.SearchStrategy[str]:
    """A select's real options, or anything else a hand-made request could send instead."""
    return st.one_of(st.sampled_from(valid), hostile_text(40, huge=False))


def form_body(fields: dict[str, str | list[str]]) -> bytes:
    """An urlencoded form body exactly as given: lone surrogates become invalid UTF-8 bytes."""

    def encode(value: str) -> str:
        return quote_plus(value.encode("utf-8", "surrogatepass"))

    pairs = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append(f"{encode(name)}={encode(item)}")
    return "&".join(pairs).encode("ascii")


def _percent_encode_undecodable(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    undecodable = error.object[error.start:error.end]
    return "".join(f"%{byte:02X}" for byte in undecodable), error.end


codecs.register_error("fuzz.percent", _percent_encode_undecodable)


def as_received(value: str) -> str:
    """The text the server reads from ``form_body``: Werkzeug keeps bytes that are not UTF-8
    as their %XX escapes (so a lone surrogate arrives as "%ED%A0%80")."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "fuzz.percent")


def json_scalar() -> st.SearchStrategy[object]:
    """A JSON value of any type: the API must refuse wrong types, not crash on them."""
    return st.one_of(
        st.none(), st.booleans(), st.integers(), st.sampled_from([2**63, -(2**63) - 1, 10**400]),
        st.floats(allow_nan=True, allow_infinity=True), hostile_text(80),
        st.sampled_from(NUMBERS + DATES + DATETIMES),
        st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                             max_size=2),
    )
