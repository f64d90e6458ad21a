"""An xAPI request as the LRS reads it, whichever syntax carried it, and multipart bodies.

The Alternate Request Syntax (Communication §1.3) is a POST with ``?method=X`` and a
form-encoded body whose ``Authorization``, ``X-Experience-API-Version``, ``Content-Type``,
``Content-Length``, ``If-Match`` and ``If-None-Match`` fields are headers, ``content`` the
body and every other field a parameter. Both syntaxes become one :class:`XapiRequest`, so
each resource is written once. ``HEAD`` is a ``GET`` whose body Flask drops (§1.1).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from flask import Response, jsonify
from werkzeug.datastructures import Headers

from app.regions.models import Region
from app.rollouts.models import Rollout
from app.xapi.credentials import load_rollout
from app.xapi.errors import XapiError

FORM_HEADERS = {
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
}
METHODS = {"GET", "HEAD", "PUT", "POST", "DELETE"}


@dataclass
class XapiRequest:
    method: str
    args: dict[str, str]
    headers: Headers
    body: bytes
    alternate: bool = False
    #: multipart parts after the first: (headers, content)
    parts: list[tuple[Headers, bytes]] = field(default_factory=list)

    @property
    def mimetype(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def credentials(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        key, sep, secret = decoded.partition(":")
        return (key, secret) if sep else None


def read_request(
    method: str, args: Mapping[str, str], headers: Headers, body: bytes
) -> XapiRequest:
    """The request, unwrapped from the alternate syntax when ``?method=`` is given; 400 for an
    alternate request that is not a form POST or carries anything but ``method`` in its URL."""
    if "method" not in args:
        # the request's own headers, read only (the alternate syntax below copies them)
        return XapiRequest(method=method, args=dict(args), headers=headers, body=body)
    wanted = args["method"].upper()
    if method != "POST":
        raise XapiError(400, "the alternate request syntax is a POST")
    if wanted not in METHODS:
        raise XapiError(400, f"method {args['method']!r} is not an xAPI method")
    if set(args) != {"method"}:
        raise XapiError(400, "the alternate request syntax carries its parameters in the form")
    mimetype = headers.get("Content-Type", "").split(";")[0].strip().lower()
    if body and mimetype != "application/x-www-form-urlencoded":
        raise XapiError(400, "the alternate request syntax sends application/x-www-form-urlencoded")
    try:
        form = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as exc:
        raise XapiError(400, "the form of the alternate request syntax is not url-encoded") from exc
    unwrapped = Headers(headers)
    unwrapped.remove("Content-Type")
    unwrapped.remove("Content-Length")
    params: dict[str, str] = {}
    content = b""
    for name, value in form:
        if name.lower() in FORM_HEADERS:
            unwrapped.set(name, value)
        elif name == "content":
            content = value.encode("utf-8")
        else:
            params[name] = value
    if content and "Content-Type" not in unwrapped:
        unwrapped.set("Content-Type", "application/json")
    if wanted in ("PUT", "POST") and not content:
        raise XapiError(400, "the alternate request syntax needs a content field")
    return XapiRequest(method=wanted, args=params, headers=unwrapped, body=content, alternate=True)


def split_multipart(content_type: str, body: bytes) -> list[tuple[Headers, bytes]]:
    """The parts of a multipart/mixed body (RFC 2046 §5.1), headers and raw content each;
    XapiError(400) for a body that is not one."""
    boundary = None
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary":
            boundary = value.strip().strip('"')
    if not boundary:
        raise XapiError(400, "multipart/mixed needs a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise XapiError(400, "the multipart body is not closed by its boundary")
    parts = []
    for chunk in chunks[1:-1]:
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            if chunk.startswith(b"\r\n"):
                head, content = b"", chunk[2:]
            else:
                raise XapiError(400, "a multipart part has no blank line after its headers")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers = Headers()
        for line in head.decode("latin-1").split("\r\n"):
            if line.strip():
                name, colon, value = line.partition(":")
                if not colon:
                    raise XapiError(400, f"a multipart part has a malformed header {line!r}")
                headers.add(name.strip(), value.strip())
        parts.append((headers, content))
    return parts


def multipart_body(parts: list[tuple[dict[str, str], bytes]]) -> tuple[str, bytes]:
    """(Content-Type, body) of a multipart/mixed message of ``parts``."""
    boundary = uuid.uuid4().hex
    chunks = []
    for headers, content in parts:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        chunks.append(f"--{boundary}\r\n{head}\r\n".encode() + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f'multipart/mixed; boundary="{boundary}"', b"".join(chunks)


@dataclass
class Caller:
    """Who is calling: the credential's region and rollout, its key, and the request.

    ``region`` and ``rollout`` are ORM objects loaded on first use (one query): a read
    needs only ``rollout_id``."""

    region_id: int
    rollout_id: int
    key: str
    request: XapiRequest
    _loaded: tuple[Region, Rollout] | None = field(default=None, repr=False)

    def _load(self) -> tuple[Region, Rollout]:
        if self._loaded is None:
            found = load_rollout(self.rollout_id)
            if found is None:  # deleted since its credentials were verified
                raise XapiError(401, "unknown or wrong credentials")
            self._loaded = found
        return self._loaded

    @property
    def region(self) -> Region:
        return self._load()[0]

    @property
    def rollout(self) -> Rollout:
        return self._load()[1]


def xapi_response(body: Any, status: int) -> Response:
    response = jsonify(body) if body is not None else Response(status=status)
    response.status_code = status
    return response


def xapi_error(status: int, reason: str) -> Response:
    response = xapi_response({"error": reason}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Summit xAPI"'
    return response
