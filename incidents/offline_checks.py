"""The report's field rules as a table the phone checks before it saves an entry
(static/js/offline/checks.js), read from the schema the API validates with
(incidents/schemas.py IncidentInSchema), so both give the same messages.

The table is also kept as static/offline/incident-rules.json (the phone's worker
caches it with the page; the JavaScript tests read it); a test checks the file
is what this module makes (`flask --app app offline-rules` writes it again)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, validate

from core.dates import EARLIEST as FIRST_DAY
from core.dates import LATEST as LAST_DAY
from core.dates import RANGE_MESSAGE
from core.forms import MAX_ID, Moment, StoredInt
from incidents import body_regions, schemas

RULES_FILE = Path(__file__).resolve().parent.parent / "static" / "offline" / "incident-rules.json"

# A marshmallow default message the schema does not override.
_DEFAULTS = {
    "null": fields.Field.default_error_messages["null"],
    "string": fields.String.default_error_messages["invalid"],
    "boolean": fields.Boolean.default_error_messages["invalid"],
    "list": fields.List.default_error_messages["invalid"],
    "nested": fields.Nested.default_error_messages["type"],
}


def _length_message(rule: validate.Length) -> dict[str, Any]:
    out: dict[str, Any] = {"min": rule.min, "max": rule.max}
    if rule.error:
        out["message"] = rule.error.format(min=rule.min, max=rule.max)
    else:
        out["max_message"] = rule.message_max.format(max=rule.max)
        out["min_message"] = rule.message_min.format(min=rule.min)
    return out


def _type_rule(field: fields.Field[Any]) -> dict[str, Any]:
    """The field's type, and what its type check says."""
    rule: dict[str, Any] = {}
    if isinstance(field, Moment):
        rule["type"] = "moment"
        rule["invalid"] = field.error_messages["invalid"]
        rule["out_of_range"] = field.error_messages.get("out_of_range", RANGE_MESSAGE)
        rule["naive"] = field.error_messages["invalid_awareness"]
    elif isinstance(field, fields.UUID):
        rule["type"] = "uuid"
        rule["invalid"] = field.error_messages["invalid_uuid"]
    elif isinstance(field, fields.Boolean):
        rule["type"] = "boolean"
        rule["invalid"] = field.error_messages["invalid"]
    elif isinstance(field, fields.Nested):
        rule["type"] = "object"
        rule["invalid"] = field.error_messages.get("type", _DEFAULTS["nested"])
        rule["fields"] = _schema_rules(field.schema)
    elif isinstance(field, StoredInt):
        # A whole JSON number (strict: not a string, not true or false) in range.
        assert field.strict
        rule["type"] = "integer"
        rule["invalid"] = field.error_messages["invalid"]
        rule["minimum"] = field.minimum
        rule["maximum"] = MAX_ID
    elif isinstance(field, fields.List):
        rule["type"] = "list"
        rule["invalid"] = field.error_messages["invalid"]
        inner = field.inner
        if isinstance(inner, fields.Nested):
            # An item that is not an object: the item schema's own message, keyed
            # "name.N._schema" as the 422 keys it.
            rule["item_invalid"] = inner.schema.error_messages["type"]
            rule["fields"] = _schema_rules(inner.schema)
            rule["unknown"] = inner.schema.error_messages["unknown"]
        else:
            # A list of plain values: each checked by the item's own rule.
            rule["item"] = _field_rule(inner)
    else:
        rule["type"] = "string"
        rule["invalid"] = field.error_messages["invalid"]
    return rule


def _field_rule(field: fields.Field[Any]) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "required": field.error_messages["required"] if field.required else None,
        "nullable": bool(field.allow_none),
        "null": field.error_messages.get("null", _DEFAULTS["null"]),
    }
    rule.update(_type_rule(field))
    for check in field.validators:
        if isinstance(check, validate.OneOf):
            rule["choices"] = list(check.choices)
            rule["choice_message"] = check.error
        elif isinstance(check, validate.Length):
            rule["length"] = _length_message(check)
    return rule


def _schema_rules(schema: Schema) -> dict[str, Any]:
    return {name: _field_rule(field) for name, field in schema.fields.items()}


def incident_rules() -> dict[str, Any]:
    """Every field's rule and every cross-field message of a carer's report."""
    return {
        "about": "Generated from incidents/schemas.py by incidents/offline_checks.py: do not edit.",
        "fields": _schema_rules(schemas.IncidentInSchema()),
        "rules": dict(schemas.RULE_MESSAGES),
        "late_after_days": schemas.LATE_AFTER.days,
        "clock_skew_minutes": int(schemas.CLOCK_SKEW.total_seconds() // 60),
        "earliest": schemas.EARLIEST.isoformat(),
        "range": [FIRST_DAY.isoformat(), LAST_DAY.isoformat()],
        # Each body map place's side (incidents/body_map.py mark_errors).
        "body_regions": {r.code: r.side for r in body_regions.REGIONS},
        "pressure_kind": "pressure_damage",
    }


def rules_json() -> str:
    return json.dumps(incident_rules(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_rules_file() -> Path:
    RULES_FILE.parent.mkdir(parents=True, exist_ok=True)
    RULES_FILE.write_text(rules_json(), encoding="utf-8")
    return RULES_FILE
