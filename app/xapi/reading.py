"""GET /xapi/statements: one statement or a page, in the format asked for, with the
attachments' contents as multipart/mixed when ``attachments=true`` (Communication §2.1.3)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Response, current_app, url_for
from werkzeug.http import http_date

from app.xapi.attachments import load_attachments
from app.xapi.errors import XapiError
from app.xapi.formats import formatted
from app.xapi.http import XapiRequest, multipart_body, xapi_response
from app.xapi.queries import (
    StatementQuery,
    _boolean,
    as_xapi,
    check_single_params,
    find_statement,
    more_token,
    parse_query,
    read_more_token,
    statement_page,
    text_page,
)


def _languages(xreq: XapiRequest) -> list[str]:
    """The Accept-Language tags, most wanted first."""
    weighted = []
    for position, item in enumerate(xreq.headers.get("Accept-Language", "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*":
            weighted.append((-quality, position, tag))
    return [tag for *_, tag in sorted(weighted)]


def _respond(
    body: Any, statements: list[dict[str, Any]], *, rollout_id: int, with_files: bool
) -> Response:
    """JSON, or multipart/mixed with the statements' attachment contents after it."""
    if not with_files:
        return xapi_response(body, 200)
    parts = [({"Content-Type": "application/json"}, json.dumps(body).encode())]
    for attachment in load_attachments(rollout_id=rollout_id, statements=statements):
        parts.append(
            (
                {
                    "Content-Type": attachment.content_type,
                    "Content-Transfer-Encoding": "binary",
                    "X-Experience-API-Hash": attachment.sha2,
                },
                attachment.content,
            )
        )
    content_type, payload = multipart_body(parts)
    return Response(payload, status=200, content_type=content_type)


def get_statements(rollout_id: int, *, key: str, xreq: XapiRequest) -> Response:
    """One statement by ``statementId`` / ``voidedStatementId`` (404 when the rollout has no
    such statement in that state), else a StatementResult page with a ``more`` link."""
    args = xreq.args
    settings = current_app.extensions["summit.settings"]
    # the credential is the authority: its key is fixed for the rollout (rotation keeps it)
    authority = {
        "objectType": "Agent",
        "account": {"homePage": f"{settings.base_url}/xapi", "name": key},
    }
    fmt = args.get("format", "exact")
    languages = _languages(xreq)
    if "statementId" in args or "voidedStatementId" in args:
        check_single_params(args)
        with_files = _boolean("attachments", args.get("attachments", "false"))
        found = find_statement(
            rollout_id=rollout_id,
            statement_id=args.get("statementId") or args.get("voidedStatementId") or "",
            voided="voidedStatementId" in args,
        )
        if found is None:
            raise XapiError(404, "no such statement")
        statement = formatted(as_xapi(found, authority=authority), fmt, languages)
        response = _respond(statement, [statement], rollout_id=rollout_id, with_files=with_files)
        response.headers["Last-Modified"] = http_date(found.stored_at)
        return response
    secret = current_app.config["SECRET_KEY"]
    after = None
    if "more" in args:
        if len(args) > 1:
            raise XapiError(400, "a more link takes no other parameter")
        query, after = read_more_token(args["more"], secret_key=secret, rollout_id=rollout_id)
    else:
        query = parse_query(args)
    fmt, with_files = query.format, query.attachments
    if fmt == "exact" and not with_files:
        # as stored and without attachments (what a reader mostly asks for): the stored JSON
        # text goes into the response as it is, never parsed and serialised again
        page = text_page(
            rollout_id=rollout_id,
            query=query,
            after=after,
            authority_json=json.dumps(authority, ensure_ascii=False, separators=(",", ":")),
        )
        more = _more_link(secret, rollout_id, query, page.next_key)
        response = Response(
            f'{{"more":{json.dumps(more)},"statements":[{page.statements}]}}',
            mimetype="application/json",
        )
        newest = page.newest
    else:
        rows, next_key = statement_page(rollout_id=rollout_id, query=query, after=after)
        more = _more_link(secret, rollout_id, query, next_key)
        statements = [formatted(as_xapi(row, authority=authority), fmt, languages) for row in rows]
        body = {"statements": statements, "more": more}
        response = _respond(body, statements, rollout_id=rollout_id, with_files=with_files)
        newest = max((row.stored_at for row in rows), default=None)
    if newest is not None:
        response.headers["Last-Modified"] = http_date(newest)
    return response


def _more_link(
    secret: str, rollout_id: int, query: StatementQuery, next_key: tuple[datetime, int] | None
) -> str:
    """The ``more`` link of a page ("" on the last one)."""
    if next_key is None:
        return ""
    token = more_token(secret_key=secret, rollout_id=rollout_id, query=query, after=next_key)
    return url_for("xapi.xapi_statements", more=token)
