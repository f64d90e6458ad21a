"""Progress pages (upload an export, watch its import) and the xAPI endpoint."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.http import http_date

from app.auth.access import current_staff, grant_region, public, require_role
from app.auth.models import Role
from app.db import utcnow
from app.extensions import csrf, db
from app.mail.rendering import accepted_language
from app.progress.formats import FORMATS, GENERIC_KEYS
from app.progress.importing import create_import
from app.progress.models import ImportStatus, ProgressImport
from app.progress.texts import failed, import_error
from app.progress.xapi import XAPI_VERSION, XapiError, authenticate, store_statements
from app.progress.xapi_queries import (
    as_xapi,
    check_single_params,
    find_statement,
    more_token,
    parse_query,
    read_more_token,
    statement_page,
    xapi_time,
)
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.scoping import get_in_region_or_404
from app.settings import normalise_origin

bp = Blueprint("progress", __name__)
public_bp = Blueprint("xapi", __name__)

FORMAT_LABELS = {
    "auto": "Detect from the header",
    "openedx": "Open edX grade report",
    "openedx-problems": "Open edX problem grade report",
    "moodle": "Moodle completion report",
    "linkedin": "LinkedIn Learning learner report",
    "udemy": "Udemy Business user course activity report",
    "generic": "Other platform (you confirm which column is which)",
    "summit": "Summit CSV",
}


@bp.get("/r/<region>/rollouts/<slug>/progress")
def imports(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    recent = db.session.scalars(
        select(ProgressImport)
        .where(ProgressImport.rollout_id == rollout.id)
        .order_by(ProgressImport.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "progress/imports.html",
        rollout=rollout,
        imports=recent,
        formats=FORMAT_LABELS,
        generic_keys=GENERIC_KEYS,
        errors={},
        can_upload=bool(g.region_roles & {Role.LOCAL_LEAD, Role.GLOBAL_ADMIN}),
    )


@bp.post("/r/<region>/rollouts/<slug>/progress")
@require_role(Role.LOCAL_LEAD)
def upload(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    upload_file = request.files.get("file")
    fmt = request.form.get("format", "auto")
    errors: dict[str, str] = {}
    if upload_file is None or not upload_file.filename:
        errors["file"] = "Choose the CSV file exported from the course platform."
    if fmt not in FORMATS:
        errors["format"] = "Choose one of the listed formats."
    mapping = {k: request.form.get(k, "").strip() for k in GENERIC_KEYS if request.form.get(k)}
    if "completed_values" in mapping:
        mapping["completed_values"] = [w.strip() for w in mapping["completed_values"].split(",")]
    if not (mapping.get("learner_column") and mapping.get("unit_column")):
        mapping = {}  # the columns page shows the file's headers and asks
    if errors:
        return _upload_page(rollout, errors, 400)
    assert upload_file is not None
    record = create_import(
        region=g.region,
        rollout=rollout,
        filename=upload_file.filename or "upload.csv",
        stream=upload_file.stream,
        requested_format=fmt,
        created_by_id=current_staff().id,  # type: ignore[union-attr]
        options={"mapping": mapping} if mapping else {},
        queue=False,
    )
    from app.progress.columns import plan

    plan(record=record, region=g.region, typed=mapping)
    db.session.commit()
    if record.status is ImportStatus.FAILED:  # no progress export at all: say why, here
        lang = accepted_language(request.accept_languages)
        return _upload_page(rollout, {"file": import_error(record.error, lang)}, 400)
    if record.status is ImportStatus.NEEDS_MAPPING:
        return redirect(url_for("progress.columns", import_id=record.id), code=303)
    return redirect(url_for("progress.import_status", import_id=record.id), code=303)


def _upload_page(rollout: Rollout, errors: dict[str, str], status: int) -> Any:
    recent = db.session.scalars(
        select(ProgressImport)
        .where(ProgressImport.rollout_id == rollout.id)
        .order_by(ProgressImport.id.desc())
        .limit(20)
    ).all()
    body = render_template(
        "progress/imports.html",
        rollout=rollout,
        imports=recent,
        formats=FORMAT_LABELS,
        generic_keys=GENERIC_KEYS,
        errors=errors,
        can_upload=True,
    )
    return body, status


@bp.get("/r/<region>/progress/imports/<int:import_id>")
def import_status(import_id: int) -> Any:
    record = get_in_region_or_404(ProgressImport, import_id)
    from app.progress.policy import may_map_units
    from app.progress.reapply import IGNORE, file_kept

    return render_template(
        "progress/import.html",
        record=record,
        formats=FORMAT_LABELS,
        may_map=may_map_units(g.region_roles),
        file_kept=file_kept(record),
        modules=record.rollout.program.modules,
        ignore=IGNORE,
        failure=failed(record.error, accepted_language(request.accept_languages)),
    )


@bp.get("/r/<region>/progress/imports/<int:import_id>.json")
def import_status_json(import_id: int) -> Any:
    record = get_in_region_or_404(ProgressImport, import_id)
    return jsonify(
        status=record.status.value,
        fraction=round(record.fraction, 4),
        rows_read=record.rows_read,
        rows_applied=record.rows_applied,
        unknown_learners=record.unknown_learners,
        unmapped_units=record.unmapped_units,
        error=import_error(record.error, accepted_language(request.accept_languages))
        if record.error
        else record.error,
        done=record.status.value in ("done", "failed"),
    )


# --- xAPI ---------------------------------------------------------------------------------

#: what a browser may send cross-origin, and the response headers its script may read
CORS_ALLOW_HEADERS = "Authorization, Content-Type, X-Experience-API-Version"
CORS_EXPOSE_HEADERS = "X-Experience-API-Version, X-Experience-API-Consistent-Through, Last-Modified"


def _allowed_origin() -> str | None:
    """The request's Origin when XAPI_ALLOWED_ORIGINS lists it, else None."""
    origin = request.headers.get("Origin")
    if not origin:
        return None
    allowed = current_app.extensions["summit.settings"].xapi_allowed_origins
    return origin if normalise_origin(origin) in allowed else None


@public_bp.after_request
def _xapi_cors(response: Response) -> Response:
    """Let pages of the allowed origins read xAPI responses (Basic auth in a header, never
    cookies: no Allow-Credentials)."""
    response.vary.add("Origin")
    if request.endpoint == "xapi.xapi_statements" and request.method != "OPTIONS":
        # every statement committed before this instant is readable (spec: on all responses)
        response.headers["X-Experience-API-Consistent-Through"] = xapi_time(utcnow())
    origin = _allowed_origin()
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
    return response


def _preflight(methods: str) -> Response:
    """A CORS preflight: 204, with the permissions only for an allowed origin."""
    response = Response(status=204)
    if _allowed_origin() is not None:
        response.headers["Access-Control-Allow-Methods"] = methods
        response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def _xapi_response(body: Any, status: int) -> Response:
    response = jsonify(body) if body is not None else Response(status=status)
    response.status_code = status
    response.headers["X-Experience-API-Version"] = XAPI_VERSION
    return response


def _xapi_error(status: int, reason: str) -> Response:
    response = _xapi_response({"error": reason}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Summit xAPI"'
    return response


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep else None


@public_bp.route("/xapi/about", methods=["GET", "OPTIONS"])
@public
def xapi_about() -> Any:
    if request.method == "OPTIONS":
        return _preflight("GET, OPTIONS")
    return _xapi_response({"version": [XAPI_VERSION]}, 200)


@public_bp.route("/xapi/statements", methods=["GET", "POST", "PUT", "OPTIONS"])
@public
@csrf.exempt
def xapi_statements() -> Any:
    """GET one statement or a page; POST a statement or an array; PUT one with ``?statementId=``.

    The Basic credentials are the rollout's: they grant its region (the one scoping
    mechanism) and every read and write is limited to that rollout.
    """
    if request.method == "OPTIONS":
        return _preflight("GET, POST, PUT, OPTIONS")
    version = request.headers.get("X-Experience-API-Version")
    credentials = _basic_credentials()
    if credentials is None:
        return _xapi_error(401, "HTTP Basic credentials of the rollout are required")
    found = authenticate(*credentials)
    if found is None:
        return _xapi_error(401, "unknown or wrong credentials")
    if not version:
        return _xapi_error(400, "the X-Experience-API-Version header is required")
    if not version.startswith("1.0"):
        return _xapi_error(400, f"xAPI version {version} is not supported; send 1.0.3")
    region_id, rollout_id = found
    grant_region(region_id)
    region = db.session.get(Region, region_id)
    rollout = db.session.get(Rollout, rollout_id)
    if region is None or rollout is None:
        return _xapi_error(401, "unknown or wrong credentials")
    if request.method == "GET":
        try:
            return _get_statements(rollout, key=credentials[0])
        except XapiError as exc:
            return _xapi_error(exc.status, exc.reason)
    if not request.mimetype or request.mimetype != "application/json":
        return _xapi_error(400, "send the statements as application/json")
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        return _xapi_error(400, "the body is not valid JSON")
    statement_id = None
    if request.method == "PUT":
        statement_id = request.args.get("statementId")
        if not statement_id:
            return _xapi_error(400, "PUT needs the statementId parameter")
    try:
        ids = store_statements(region=region, rollout=rollout, body=body, statement_id=statement_id)
    except XapiError as exc:
        db.session.rollback()
        return _xapi_error(exc.status, exc.reason)
    except IntegrityError:
        # an id another rollout already used: statement ids are unique across the LRS
        db.session.rollback()
        return _xapi_error(409, "a statement id in this batch is already stored")
    db.session.commit()
    if request.method == "PUT":
        return _xapi_response(None, 204)
    return _xapi_response(ids, 200)


def _get_statements(rollout: Rollout, *, key: str) -> Response:
    """One statement by ``statementId`` / ``voidedStatementId`` (404 when the rollout has no
    such statement in that state), else a StatementResult page with a ``more`` link."""
    args = request.args.to_dict()
    settings = current_app.extensions["summit.settings"]
    # the credential is the authority: its key is fixed for the rollout (rotation keeps it)
    authority = {
        "objectType": "Agent",
        "account": {"homePage": f"{settings.base_url}/xapi", "name": key},
    }
    single = args.get("statementId") or args.get("voidedStatementId")
    if "statementId" in args or "voidedStatementId" in args:
        check_single_params(args)
        found = find_statement(
            rollout_id=rollout.id,
            statement_id=single or "",
            voided="voidedStatementId" in args,
        )
        if found is None:
            return _xapi_error(404, "no such statement")
        response = _xapi_response(as_xapi(found, authority=authority), 200)
        response.headers["Last-Modified"] = http_date(found.stored_at)
        return response
    secret = current_app.config["SECRET_KEY"]
    after = None
    if "more" in args:
        if len(args) > 1:
            raise XapiError(400, "a more link takes no other parameter")
        query, after = read_more_token(args["more"], secret_key=secret, rollout_id=rollout.id)
    else:
        query = parse_query(args)
    rows, next_key = statement_page(rollout_id=rollout.id, query=query, after=after)
    more = ""
    if next_key is not None:
        token = more_token(secret_key=secret, rollout_id=rollout.id, query=query, after=next_key)
        more = url_for("xapi.xapi_statements", more=token)
    body = {"statements": [as_xapi(row, authority=authority) for row in rows], "more": more}
    return _xapi_response(body, 200)


# the import page's unit mapping and the columns page (their own modules, on this blueprint)
from app.progress import column_routes, unit_routes  # noqa: E402, F401
