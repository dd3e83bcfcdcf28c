"""The incident form (HTML) turned into the sync API's JSON, so the page and the API
validate and save exactly the same thing with the same schema and service.

The form follows the API's field names (docs/api.md), with dots for nesting
(`thresholds.safeguarding`, `people_informed.0.at`), the device's UUID in
`entry_id`, and `datetime-local` inputs that carry no offset: the page script
sends the phone's offset in `tz_offset` (minutes east of UTC); without it the
times are read as UK time, which is what a carer's clock shows.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from werkzeug.datastructures import MultiDict

from core.dates import UK, within_range
from core.forms import flatten_errors
from incidents import body_map
from incidents.models import Category

# Real time zones lie between UTC-12 and UTC+14.
MAX_OFFSET_MINUTES = 14 * 60
THRESHOLDS = ("safeguarding", "clinical_escalation", "family_contact")
INFORMED_FIELDS = ("who", "at", "method")
_INFORMED_KEY = re.compile(r"^people_informed\.([0-9]{1,3})\.(who|at|method)$")
# Fields that only ever come from the page itself, never shown back as answers.
_NOT_ANSWERS = {"csrf_token"}
BLANK_INFORMED_ROWS = 2


def device_zone(form: MultiDict[str, str]) -> tzinfo:
    """The phone's UTC offset when the page script sent one; UK time otherwise."""
    raw = (form.get("tz_offset") or "").strip()
    if re.fullmatch(r"[+-]?[0-9]{1,4}", raw) and abs(int(raw)) <= MAX_OFFSET_MINUTES:
        return timezone(timedelta(minutes=int(raw)))
    return UK


def local_to_iso(value: str, zone: tzinfo) -> str:
    """A `datetime-local` value ("2026-11-20T08:15") as ISO 8601 with its offset.

    A value that already has an offset keeps it. Anything unreadable is passed on
    as typed, so the schema names the field and the carer sees what they typed.
    """
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return value
    if moment.tzinfo is None:
        # Outside the years a record may have (core.dates), UK time is not
        # looked up (before 1847 it was 1 minute 15 seconds behind GMT): GMT,
        # as the browser does, and the schema names the year.
        in_uk = zone is UK and not within_range(moment.date())
        moment = moment.replace(tzinfo=UTC if in_uk else zone)
    return moment.isoformat()


def local_input_value(moment: datetime, zone: tzinfo = UK) -> str:
    """A moment as a `datetime-local` input shows it, to the minute."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def informed_rows(form: MultiDict[str, str]) -> list[dict[str, str]]:
    """The "who was told" rows as typed, in page order, blank rows left out.

    A row is blank when neither who nor when was given (how defaults to phone,
    so it alone does not make a row).
    """
    by_index: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = _INFORMED_KEY.match(key)
        if match:
            by_index.setdefault(int(match.group(1)), {})[match.group(2)] = value
    rows = []
    for index in sorted(by_index):
        row = {field: by_index[index].get(field, "") for field in INFORMED_FIELDS}
        if row["who"].strip() or row["at"].strip():
            rows.append(row)
    return rows


def _flag(form: MultiDict[str, str], name: str) -> bool | str:
    """A checkbox: absent is false, "true" is true; anything else goes to the schema."""
    value = form.get(name)
    if value is None:
        return False
    return True if value == "true" else value


def _int_or_raw(value: str) -> int | str:
    """A chosen id as a JSON number (up to 15 ASCII digits, exact in JavaScript
    too); anything else as typed, so the schema names the field."""
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 15 else text


# The staff questions (added in issue 15): in the body only when answered, so a
# report without them is the same JSON as before they were added.
STAFF_LISTS = ("other_staff_ids", "witness_ids")


def _staff_answers(form: MultiDict[str, str]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    injured = (form.get("injured_staff_id") or "").strip()
    if injured:
        answers["injured_staff_id"] = _int_or_raw(injured)
    injury = (form.get("staff_injury") or "").strip()
    if injury:
        answers["staff_injury"] = injury
    specified = (form.get("specified_injury") or "").strip()
    if specified:
        answers["specified_injury"] = specified
    if form.get("non_worker_hospital") is not None:
        answers["non_worker_hospital"] = _flag(form, "non_worker_hospital")
    for name in STAFF_LISTS:
        chosen = [_int_or_raw(v) for v in form.getlist(name) if v.strip()]
        if chosen:
            answers[name] = chosen
    return answers


def form_to_payload(form: MultiDict[str, str], now: datetime) -> dict[str, Any]:
    """The submitted form as the exact JSON body `POST /api/v1/incidents` takes.

    Only what was answered is included, so the schema's "required" messages speak
    for what is missing. `now` is the time the entry counts as made when the page
    sent none (no script ran).
    """
    zone = device_zone(form)
    payload: dict[str, Any] = {}
    if "entry_id" in form:
        payload["id"] = form["entry_id"].strip()
    for key in ("kind", "category", "harm", "what_happened", "immediate_actions"):
        if key in form:
            payload[key] = form[key]

    # The medication questions belong to medication events: with no script they
    # are on screen for every category, and a radio cannot be un-ticked, so an
    # answer left there for another category is not part of the report.
    if form.get("category") == Category.MEDICATION:
        payload["medication_error"] = form.get("medication_error") or None
        payload["time_critical"] = _flag(form, "time_critical")
    else:
        payload["medication_error"] = None
        payload["time_critical"] = False

    occurred = (form.get("occurred_at") or "").strip()
    if occurred:
        payload["occurred_at"] = local_to_iso(occurred, zone)
    reported = (form.get("reported_at") or "").strip()
    payload["reported_at"] = (
        local_to_iso(reported, zone)
        if reported
        else now.astimezone(zone).replace(microsecond=0).isoformat()
    )
    payload["late_reason"] = (form.get("late_reason") or "").strip() or None
    payload["person_ref"] = (form.get("person_ref") or "").strip() or None
    payload["branch"] = (form.get("branch") or "").strip() or None
    payload["location"] = (form.get("location") or "").strip()
    payload["place"] = (form.get("place") or "").strip() or None
    payload["staff_injured"] = _flag(form, "staff_injured")
    payload.update(_staff_answers(form))

    informed = []
    for row in informed_rows(form):
        item = {field: row[field].strip() for field in INFORMED_FIELDS if row[field].strip()}
        if "at" in item:
            item["at"] = local_to_iso(item["at"], zone)
        informed.append(item)
    payload["people_informed"] = informed

    payload["thresholds"] = {
        name: form[f"thresholds.{name}"] for name in THRESHOLDS if f"thresholds.{name}" in form
    }
    # Added in issue 15: only when a mark was made, so a report without any is the
    # same body as before.
    marks = body_map.form_marks(form)
    if marks:
        payload["body_map"] = marks
    return payload


# The order questions appear in on the page, so the error summary reads top down.
FORM_ORDER = (
    "entry_id",
    "reported_at",
    "category",
    "medication_error",
    "time_critical",
    "kind",
    "person_ref",
    "branch",
    "occurred_at",
    "late_reason",
    "place",
    "location",
    "what_happened",
    "immediate_actions",
    "harm",
    "body_map",
    "staff_injured",
    "injured_staff_id",
    "staff_injury",
    "specified_injury",
    "non_worker_hospital",
    "other_staff_ids",
    "witness_ids",
    "people_informed",
    "thresholds",
)


def _position(name: str) -> tuple[int, int, int]:
    parts = name.split(".")
    top = FORM_ORDER.index(parts[0]) if parts[0] in FORM_ORDER else len(FORM_ORDER)
    if (
        parts[0] == "people_informed"
        and len(parts) == 3
        and parts[1].isascii()
        and parts[1].isdigit()
    ):
        return (
            top,
            int(parts[1]),
            INFORMED_FIELDS.index(parts[2]) if parts[2] in INFORMED_FIELDS else 9,
        )
    if parts[0] == "body_map" and len(parts) == 3 and parts[1].isascii() and parts[1].isdigit():
        field = body_map.MARK_FIELDS.index(parts[2]) if parts[2] in body_map.MARK_FIELDS else 9
        return top, int(parts[1]), field
    if parts[0] == "thresholds" and len(parts) == 2 and parts[1] in THRESHOLDS:
        return top, THRESHOLDS.index(parts[1]), 0
    return top, -1, 0


def form_errors(messages: Any) -> dict[str, list[str]]:
    """The schema's messages keyed by the form's field names (the API's `id` is
    the form's `entry_id`), in the order the page asks the questions."""
    errors = flatten_errors(messages)
    if "id" in errors:
        errors["entry_id"] = errors.pop("id")
    for key in [k for k in errors if k.split(".")[0] in STAFF_LISTS and "." in k]:
        # One message on the list of checkboxes, not one per box.
        errors.setdefault(key.split(".")[0], errors[key])
        del errors[key]
    return {name: errors[name] for name in sorted(errors, key=_position)}


def shown_values(form: MultiDict[str, str]) -> dict[str, Any]:
    """What the carer entered, to show again beside the errors. The "who was told"
    rows are renumbered as they were sent (blank ones dropped), so an error on
    `people_informed.1.at` sits on the row it is about."""
    values: dict[str, Any] = {
        key: value
        for key, value in form.items()
        if key not in _NOT_ANSWERS
        and not key.startswith("people_informed.")
        and not key.startswith("body_map.")
    }
    values.update(body_map.shown_marks(form))
    for name in STAFF_LISTS:
        values[name] = form.getlist(name)
    for n, row in enumerate(informed_rows(form)):
        for field in INFORMED_FIELDS:
            values[f"people_informed.{n}.{field}"] = row[field]
    return values


def blank_values(now: datetime, entry_id: str) -> dict[str, str]:
    """A new form: its own id, and "now" (UK time) as when it happened."""
    return {"entry_id": entry_id, "occurred_at": local_input_value(now)}


def row_count(values: dict[str, str]) -> int:
    """How many "who was told" rows to draw: those sent plus two blank ones."""
    sent = {key.split(".")[1] for key in values if key.startswith("people_informed.")}
    return len(sent) + BLANK_INFORMED_ROWS
