"""A manager's judgement of an action on the page of the re-audit that checked it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_login import current_user

from audits import results
from core.errors import Invalid, Stale
from core.models import Role
from core.permissions import role_required
from learning import verification
from learning.routes.blueprint import bp


@bp.post("/audits/<audit_id>/verification")
@role_required(Role.MANAGER)
def verify_by_reaudit(audit_id: str) -> Any:
    """A manager's judgement of an action on a re-audit's result page."""
    audit = results.get_audit(current_user, audit_id)
    choice = request.form.get("effective")
    if choice not in {"yes", "no"}:
        flash("Choose whether the change worked.", "error")
        return redirect(url_for("audits.detail", audit_id=audit.id, _anchor="verify"), code=303)
    try:
        action = verification.verify_by_reaudit(
            current_user, audit, choice == "yes", request.form.get("note", "")[:2000]
        )
    except Invalid as err:
        flash(" ".join(m for ms in err.errors.values() for m in ms), "error")
        return redirect(url_for("audits.detail", audit_id=audit.id), code=303)
    except Stale:
        flash("Someone else changed this action at the same time. Check it and try again.", "error")
        return redirect(url_for("audits.detail", audit_id=audit.id), code=303)
    flash(f"Action marked {action.status_enum.label.lower()}.", "success")
    return redirect(url_for("audits.detail", audit_id=audit.id), code=303)
