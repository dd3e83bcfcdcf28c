"""Reading JSON bodies strictly: anything a client can send gets a 4xx with a
reason, never a 500."""

from __future__ import annotations

import json
from typing import Any

from flask import Request, jsonify
from flask.typing import ResponseReturnValue


class BadBody(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def json_body(request: Request) -> Any:
    if request.mimetype != "application/json":
        raise BadBody(415, "Send JSON with Content-Type: application/json.")
    raw = request.get_data(cache=True)  # MAX_CONTENT_LENGTH has already capped this
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody(400, "The body is not valid UTF-8.") from None
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        raise BadBody(400, f"The body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise BadBody(400, "The body is nested too deeply.") from None
    if _has_nul(body):
        # PostgreSQL cannot store U+0000 in text.
        raise BadBody(422, "Text cannot contain the null character (\\u0000).")
    return body


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def object_body(request: Request) -> dict[str, Any]:
    body = json_body(request)
    if not isinstance(body, dict):
        raise BadBody(422, "The body must be a JSON object.")
    return body


def errors_response(errors: dict[str, list[str]], status: int = 422) -> ResponseReturnValue:
    return jsonify({"errors": errors}), status


def message_response(status: int, message: str, **extra: Any) -> ResponseReturnValue:
    return jsonify({"error": message, **extra}), status
