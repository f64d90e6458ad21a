"""The value types of xAPI 1.0.3 (Data §4.2): IRIs, UUIDs, language maps, extensions,
timestamps, durations; each check raises XapiError(400) saying where."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from app.xapi.errors import XapiError

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)
IRI_RE = re.compile(r"^[a-z][a-z0-9+.\-]*:[^\s]*$", re.I)
MBOX_RE = re.compile(r"^mailto:[^@\s:]+@[^@\s]+$")
# RFC 5646 language tags (the common shapes: language, script, region, variants, extensions)
LANG_RE = re.compile(
    r"^(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})(?:-[a-z]{4})?(?:-(?:[a-z]{2}|\d{3}))?"
    r"(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*(?:-[\da-wy-z](?:-[a-z\d]{2,8})+)*"
    r"(?:-x(?:-[a-z\d]{1,8})+)?$|^x(?:-[a-z\d]{1,8})+$",
    re.I,
)
TIMESTAMP_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
DURATION_RE = re.compile(
    r"^P(?:\d+(?:\.\d+)?W|(?=\d|T\d)(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?D)?"
    r"(?:T(?=\d)(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?)$"
)


def fail(where: str, what: str) -> None:
    raise XapiError(400, f"{where}: {what}")


def object_with(value: Any, where: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(where, "must be a JSON object")
    unknown = set(value) - keys
    if unknown:
        fail(where, f"unknown properties {sorted(unknown)}")
    for key, item in value.items():
        if item is None:
            fail(f"{where}.{key}", "must not be null")
    return value


def string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        fail(where, "must be a string")
    return value


def is_iri(value: Any) -> bool:
    return isinstance(value, str) and bool(IRI_RE.match(value)) and len(value) <= 2000


def is_uuid(value: Any) -> bool:
    return isinstance(value, str) and bool(UUID_RE.match(value))


def check_iri(value: Any, where: str) -> None:
    if not is_iri(value):
        fail(where, "must be an IRI (such as https://example.com/x)")


def check_uuid(value: Any, where: str) -> None:
    if not is_uuid(value):
        fail(where, "must be a UUID in its standard form")


def number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(where, "must be a number")
    return float(value)


def language_map(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        fail(where, "must be a language map")
    for tag, text in value.items():
        if not LANG_RE.match(tag):
            fail(where, f"{tag!r} is not an RFC 5646 language tag")
        if not isinstance(text, str):
            fail(f"{where}.{tag}", "must be a string")


def extensions(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        fail(where, "must be an object")
    for key in value:
        check_iri(key, f"{where} key {key!r}")


def timestamp(value: Any, where: str) -> None:
    match = TIMESTAMP_RE.match(value) if isinstance(value, str) else None
    if match is None:
        fail(where, "must be an ISO 8601 timestamp")
        return
    year, month, day, hour, minute, second, offset = match.groups()
    if offset in ("-00", "-0000", "-00:00"):
        fail(where, "the offset -00:00 is not allowed")
    try:
        datetime(  # noqa: DTZ001 - only checks that the fields make a real date and time
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
        )
    except ValueError:
        fail(where, "is not a real date and time")
