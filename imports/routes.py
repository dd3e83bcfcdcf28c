"""The imports page: upload a CSV file, see what each row would do, confirm.
Thin: read the request, check the role, call imports.service, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from core import navigation, web
from core.models import Role
from core.permissions import role_required
from core.web import error_response
from imports import service, uploads
from imports.permissions import ANY_IMPORTER, IMPORTERS, kinds_for, may_import
from imports.plans import Plan
from imports.reading import ImportFileError

bp = Blueprint("imports", __name__, url_prefix="/imports")

NO_FILE = "Choose a CSV file to upload."
EXPIRED = "That preview has ended (an hour has passed, or it was already imported). Upload the file again."
CHANGED = "The records changed since your preview, so nothing was imported. Check this new preview."


def _too_large() -> str:
    limit = current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024)
    return f"The file is larger than {limit} MB. Split it into smaller files."


def _index(status: int = 200, **context: Any) -> Any:
    context.setdefault("errors", {})
    return render_template("imports/index.html", kinds=kinds_for(current_user), **context), status


def _preview_page(
    plan: Plan, filename: str, upload_id: str | None, status: int = 200, **context: Any
) -> Any:
    errors = {f"line.{r.line}": [f"Line {r.line}: {' '.join(r.reasons)}"] for r in plan.errors}
    if context.get("changed"):
        errors = {"changed": [CHANGED], **errors}
    return render_template(
        "imports/preview.html",
        plan=plan,
        filename=filename,
        upload_id=upload_id,
        errors=errors,
        **context,
    ), status


def _read(kind: str) -> tuple[bytes, str]:
    file: FileStorage | None = request.files.get("file")
    if file is None or not file.filename:
        raise ImportFileError(NO_FILE)
    data = file.stream.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
    if len(data) > current_app.config["IMPORT_MAX_BYTES"]:
        raise ImportFileError(_too_large())
    return data, file.filename[-200:]


def _preview(kind: str) -> Any:
    try:
        data, filename = _read(kind)
        plan = service.preview(kind, data, current_user)
    except ImportFileError as err:
        return _index(422, errors={f"file_{kind}": [str(err)]})
    upload_id = uploads.keep(kind, current_user, filename, plan.digest(), data) if plan.ok else None
    return _preview_page(plan, filename, upload_id, 200 if plan.ok else 422)


def _confirm(kind: str) -> Any:
    upload = uploads.find(request.form.get("upload", ""), kind, current_user)
    if upload is None:
        return _index(422, errors={f"file_{kind}": [EXPIRED]})
    try:
        result = service.run(
            kind, upload.data, current_user, source=upload.filename, expected=upload.digest
        )
    except service.PlanChanged as changed:
        plan = changed.plan
        if not plan.ok:
            uploads.discard(upload.upload_id)
            return _preview_page(plan, upload.filename, None, 409, changed=True)
        uploads.update_digest(upload, plan.digest())
        return _preview_page(plan, upload.filename, upload.upload_id, 409, changed=True)
    uploads.discard(upload.upload_id)
    return render_template("imports/done.html", result=result, filename=upload.filename)


def _upload_limit(config: Any) -> int:
    """A file may be larger than other requests (core.web.allow_larger_body)."""
    return int(config["IMPORT_MAX_BYTES"]) + 64 * 1024


@bp.errorhandler(RequestEntityTooLarge)
def _refuse_too_large(err: RequestEntityTooLarge) -> Any:
    kind = (request.endpoint or "").rsplit("_", 1)[-1]
    if (
        not current_user.is_authenticated
        or kind not in IMPORTERS
        or not may_import(current_user, kind)
    ):
        return error_response(413, _too_large())
    return _index(413, errors={f"file_{kind}": [_too_large()]})


@bp.get("")
@role_required(*ANY_IMPORTER)
def index() -> Any:
    return _index()


@bp.post("/people")
@role_required(*IMPORTERS["people"])
def preview_people() -> Any:
    return _preview("people")


@bp.post("/staff")
@role_required(*IMPORTERS["staff"])
def preview_staff() -> Any:
    return _preview("staff")


@bp.post("/people/confirm")
@role_required(*IMPORTERS["people"])
def confirm_people() -> Any:
    return _confirm("people")


@bp.post("/staff/confirm")
@role_required(*IMPORTERS["staff"])
def confirm_staff() -> Any:
    return _confirm("staff")


def init_app(app: Flask) -> None:
    app.config.setdefault("IMPORT_MAX_BYTES", 2 * 1024 * 1024)
    app.register_blueprint(bp)
    for kind in IMPORTERS:
        web.allow_larger_body(app, f"imports.preview_{kind}", _upload_limit)
    navigation.add_section(
        app, "home", "imports/_home_imports.html", {Role.MANAGER, Role.OFFICE}, order=95
    )
