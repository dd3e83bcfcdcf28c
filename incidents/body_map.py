"""The body map: marks on a person's body (bruises, wounds, skin tears, pressure
damage, ...), as the API and the form send them and as the record shows them.

`body_map` in the incident JSON (docs/api.md) is a list of marks, each a place
from incidents/body_regions.py. Its rules live here once: the schema checks
each mark's own fields, `mark_errors` the rules across a mark's fields (the
phone's static/js/offline/checks.js applies the same, with these messages),
`form_marks` reads a mark from the form (static/js/offline/payloads.js does
the same in the browser), and `pressure_reason` says when pressure damage is
a CQC Regulation 18 notification (incidents/duties.py asks it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import fields, validate
from werkzeug.datastructures import MultiDict

from core.schemas import StrictSchema
from core.schemas import required_messages as _required
from incidents import body_regions
from incidents.models import BodyMark

KINDS: dict[str, str] = {
    "bruise": "Bruise",
    "wound": "Wound or cut",
    "skin_tear": "Skin tear",
    "pressure_damage": "Pressure damage",
    "burn": "Burn or scald",
    "swelling": "Swelling",
    "other": "Something else",
}
PRESSURE = "pressure_damage"
# The NPIAP/EPUAP categories (NHS England's 2018 definitions use the same words).
PRESSURE_CATEGORIES: dict[str, str] = {
    "1": "Category 1: skin not broken, red and does not go white when pressed",
    "2": "Category 2: broken skin, shallow open wound or blister",
    "3": "Category 3: full-thickness skin loss, fat may show",
    "4": "Category 4: full-thickness loss down to muscle, tendon or bone",
    "unstageable": "Unstageable: full-thickness loss, the base hidden by slough or scab",
    "deep_tissue": "Deep tissue injury: skin not broken, purple or maroon, or a blood blister",
}
MAX_MARKS = 30
MAX_NOTE = 500
MAX_SIZE = 40

# The messages of the rules across a mark's fields; incidents/schemas.py adds
# them to its RULE_MESSAGES, which the phone's rules table carries.
RULE_MESSAGES: dict[str, str] = {
    "body_side": "That place is on the other side of the body: choose front or back to match it.",
    "pressure_category_missing": "Choose the category of the pressure damage.",
    "pressure_category_not_pressure": "Only pressure damage has a category.",
    "developed_in_care_missing": "Say whether this pressure damage developed while we were caring for them.",
    "developed_in_care_not_pressure": "Only pressure damage says whether it developed in our care.",
}
_M = RULE_MESSAGES


def side_of(region: str) -> str | None:
    """The side a region code names (its first word), or None."""
    side = region.split("_", 1)[0]
    return side if side in body_regions.SIDES else None


class BodyMarkSchema(StrictSchema):
    region = fields.String(
        required=True,
        validate=validate.OneOf(
            body_regions.CODES, error="Choose a place on the body from the list."
        ),
        error_messages=_required("Choose where on the body the mark is."),
    )
    side = fields.String(
        required=True,
        validate=validate.OneOf(list(body_regions.SIDES), error="Choose front or back."),
        error_messages=_required("Choose front or back."),
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(list(KINDS), error="Choose what kind of mark it is."),
        error_messages=_required("Choose what kind of mark it is."),
    )
    pressure_category = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(
            list(PRESSURE_CATEGORIES), error="Choose a category of pressure damage from the list."
        ),
    )
    # Only true or false (not "yes", 1 or "on"), as the phone checks it.
    developed_in_care = fields.Boolean(
        load_default=None,
        allow_none=True,
        truthy={True},
        falsy={False},
        error_messages={"invalid": "Answer yes or no."},
    )
    # Added beside the contract's fields: the size as the carer describes it
    # ("3 cm by 2 cm", "the size of a 50p coin"). Optional.
    size = fields.String(
        load_default="",
        validate=validate.Length(
            max=MAX_SIZE, error=f"Describe the size in up to {MAX_SIZE} characters."
        ),
    )
    note = fields.String(
        load_default="",
        validate=validate.Length(
            max=MAX_NOTE, error=f"Write a note of up to {MAX_NOTE} characters."
        ),
    )


def body_map_field() -> fields.List[Any]:
    return fields.List(
        fields.Nested(BodyMarkSchema),
        load_default=list,
        validate=validate.Length(
            max=MAX_MARKS, error=f"Mark at most {MAX_MARKS} places on the body."
        ),
    )


def mark_errors(marks: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The rules across each mark's fields, keyed as the 422 keys them
    ("body_map.0.pressure_category"): the side must be the region's, and only
    pressure damage has (and must have) a category and an answer to "did it
    develop in our care"."""
    errors: dict[str, list[str]] = {}
    for n, mark in enumerate(marks):
        key = f"body_map.{n}"
        if body_regions.BY_CODE[mark["region"]].side != mark["side"]:
            errors[f"{key}.side"] = [_M["body_side"]]
        pressure = mark["kind"] == PRESSURE
        if pressure and mark.get("pressure_category") is None:
            errors[f"{key}.pressure_category"] = [_M["pressure_category_missing"]]
        elif not pressure and mark.get("pressure_category") is not None:
            errors[f"{key}.pressure_category"] = [_M["pressure_category_not_pressure"]]
        if pressure and mark.get("developed_in_care") is None:
            errors[f"{key}.developed_in_care"] = [_M["developed_in_care_missing"]]
        elif not pressure and mark.get("developed_in_care") is not None:
            errors[f"{key}.developed_in_care"] = [_M["developed_in_care_not_pressure"]]
    return errors


def marks_of(body_map: Iterable[Mapping[str, Any]]) -> list[BodyMark]:
    """The validated marks as rows of the incident, in the order sent."""
    return [
        BodyMark(
            position=n,
            region=m["region"],
            side=m["side"],
            kind=m["kind"],
            pressure_category=m.get("pressure_category"),
            developed_in_care=m.get("developed_in_care"),
            size=(m.get("size") or "").strip(),
            note=(m.get("note") or "").strip(),
        )
        for n, m in enumerate(body_map)
    ]


# --- the form ----------------------------------------------------------------------

MARK_FIELDS = ("region", "kind", "size", "pressure_category", "developed_in_care", "note")
_MARK_KEY = re.compile(r"^body_map\.([0-9]{1,3})\.([a-z_]+)$")
BLANK_MARK_ROWS = 1


def mark_rows(form: MultiDict[str, str]) -> list[dict[str, str]]:
    """The marks as typed, in page order; a row with no place chosen is blank
    and left out (its other answers were never about anywhere)."""
    by_index: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = _MARK_KEY.match(key)
        if match and match.group(2) in MARK_FIELDS:
            by_index.setdefault(int(match.group(1)), {})[match.group(2)] = value
    rows = []
    for index in sorted(by_index):
        row = {name: by_index[index].get(name, "") for name in MARK_FIELDS}
        if row["region"].strip():
            rows.append(row)
    return rows


def _answer(value: str) -> bool | str | None:
    """ "Did it develop in our care": "true"/"false" as a boolean, unanswered as
    None, anything else as typed (the schema names it)."""
    if value == "true":
        return True
    if value == "false":
        return False
    return value or None


def form_marks(form: MultiDict[str, str]) -> list[dict[str, Any]]:
    """The marks as the API's `body_map`. The side is the region's. The pressure
    questions belong to pressure damage: with no script they are on screen for
    every kind, and a radio cannot be un-ticked, so an answer left there for
    another kind is not part of the report."""
    marks = []
    for row in mark_rows(form):
        region = row["region"].strip()
        pressure = row["kind"] == PRESSURE
        mark: dict[str, Any] = {"region": region, "side": side_of(region)}
        if row["kind"]:
            mark["kind"] = row["kind"]
        mark["pressure_category"] = (row["pressure_category"] or None) if pressure else None
        mark["developed_in_care"] = _answer(row["developed_in_care"]) if pressure else None
        mark["size"] = row["size"].strip()
        mark["note"] = row["note"].strip()
        marks.append(mark)
    return marks


def shown_marks(form: MultiDict[str, str]) -> dict[str, str]:
    """The marks as entered, renumbered as they were sent (blank rows dropped),
    so an error on `body_map.1.kind` sits on the row it is about."""
    values = {}
    for n, row in enumerate(mark_rows(form)):
        for name in MARK_FIELDS:
            values[f"body_map.{n}.{name}"] = row[name]
    return values


def mark_count(values: Mapping[str, str]) -> int:
    """How many mark rows the form draws: those sent plus a blank one (more with
    "Add another mark" when the page has no script)."""
    sent = {key.split(".")[1] for key in values if key.startswith("body_map.")}
    extra = values.get("add_mark") == "1"
    return len(sent) + BLANK_MARK_ROWS + (1 if extra else 0)


# --- duties --------------------------------------------------------------------------

# Category 3, 4 and unstageable are "grade 3+" (regulation.md, Regulation 18):
# unstageable damage is full-thickness by definition, its depth only hidden.
NOTIFIABLE_CATEGORIES = ("3", "4", "unstageable")
# A deep tissue injury is not yet graded: it may heal or open into category 3
# or 4 damage. The rules table errs on the side of asking, so it also asks,
# saying why; the manager records "does not apply" if it is not serious.
ASK_CATEGORIES = ("deep_tissue",)


def pressure_reason(marks: Iterable[Mapping[str, Any]]) -> str | None:
    """Why pressure damage that developed in our care may be a Regulation 18
    notification (serious injury), or None."""
    found = [m for m in marks if m.get("kind") == PRESSURE and m.get("developed_in_care")]
    graded = [m for m in found if m.get("pressure_category") in NOTIFIABLE_CATEGORIES]
    deep = [m for m in found if m.get("pressure_category") in ASK_CATEGORIES]
    if graded:
        where = "; ".join(
            f"{category_short(m['pressure_category'])} at {body_regions.label_of(m['region']).lower()}"
            for m in graded
        )
        return (
            f"Pressure damage that developed in our care: {where}. Category 3 or worse "
            "(unstageable included) is a serious injury to notify."
        )
    if deep:
        where = "; ".join(body_regions.label_of(m["region"]).lower() for m in deep)
        return (
            f"A deep tissue injury that developed in our care ({where}): not yet graded, "
            "and it often becomes category 3 or 4 damage. Notify if it is, or is likely "
            "to be, a serious injury; otherwise record why not."
        )
    return None


# --- showing marks ---------------------------------------------------------------------


def kind_label(kind: str | None) -> str:
    return KINDS.get(kind or "", kind or "")


def category_short(category: str | None) -> str:
    """ "Category 3", "Unstageable", "Deep tissue injury"."""
    text = PRESSURE_CATEGORIES.get(category or "", category or "")
    return text.split(":", 1)[0]


def category_label(category: str | None) -> str:
    return PRESSURE_CATEGORIES.get(category or "", category or "")
