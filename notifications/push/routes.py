"""Switching alerts on this device on and off: two JSON endpoints the control
posts to (static/js/push.js) with the page's CSRF token. The control,
templates/notifications/_push.html, is on the account's messages page
(included by templates/notifications/preferences.html)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, ValidationError

from core.errors import OutOfScope
from core.forms import flatten_errors
from notifications.push import keys, subscriptions
from notifications.push.schemas import SubscriptionInSchema, UnsubscribeInSchema

bp = Blueprint("push", __name__, url_prefix="/account/push")

NOT_JSON = "Send the subscription as a JSON object."


def _json_error(status: int, message: str, **extra: Any) -> Any:
    return jsonify({"error": message, **extra}), status


@bp.errorhandler(CSRFError)
def _csrf(err: CSRFError) -> Any:
    if not current_user.is_authenticated:
        return _json_error(401, "Sign in again, then switch alerts on once more.")
    return _json_error(400, "Reload the page and try again: nothing was changed.", reason="csrf")


@bp.errorhandler(OutOfScope)
def _not_yours(err: OutOfScope) -> Any:
    return _json_error(404, "This device's alerts are not switched on for you.")


def _load(schema: Schema) -> dict[str, Any]:
    """The JSON body, validated; ValidationError for anything else."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested too deeply to read
        body = None
    if not isinstance(body, dict):
        raise ValidationError({"_schema": [NOT_JSON]})
    data: dict[str, Any] = schema.load(body)
    return data


@bp.errorhandler(ValidationError)
def _invalid(err: ValidationError) -> Any:
    return _json_error(422, "Nothing was changed.", errors=flatten_errors(err.messages))


def _signed_in() -> Any:
    if not current_user.is_authenticated:
        return _json_error(401, "Sign in again, then switch alerts on once more.")
    return None


@bp.post("/subscribe")
def subscribe() -> Any:
    """This device's PushSubscription (as `toJSON()` gives it): alerts on."""
    if (refused := _signed_in()) is not None:
        return refused
    data = _load(SubscriptionInSchema())
    if not keys.configured(current_app.config):
        return _json_error(409, "Alerts on phones are not set up on this server yet.")
    subscriptions.subscribe(current_user, data)
    return jsonify({"on": True}), 201


@bp.post("/unsubscribe")
def unsubscribe() -> Any:
    """{"endpoint": …}: alerts off on this device (only one's own)."""
    if (refused := _signed_in()) is not None:
        return refused
    subscriptions.unsubscribe(current_user, _load(UnsubscribeInSchema())["endpoint"])
    return jsonify({"on": False})


@bp.app_template_global("push_control")
def control_context() -> dict[str, Any]:
    """What the control (templates/notifications/_push.html) needs: `key`, the
    server's public key (empty when push is off), and `devices`, how many
    devices the signed-in person has switched alerts on for."""
    config = current_app.config
    return {
        "key": config["VAPID_PUBLIC_KEY"] if keys.configured(config) else "",
        "devices": len(subscriptions.for_user(current_user)),
    }
