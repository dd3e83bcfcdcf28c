"""incidents.forms: the HTML form turned into the sync API's JSON, exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from incidents.forms import (
    blank_values,
    form_errors,
    form_to_payload,
    informed_rows,
    local_to_iso,
    row_count,
    shown_values,
)
from incidents.schemas import IncidentInSchema

ENTRY = "0b6f6c1e-8a0e-4f3c-9d43-3c1c9c1f7a10"
NOW = datetime(2026, 11, 20, 9, 0, 30, 123456, tzinfo=UTC)


def form(**changes: str | None) -> MultiDict[str, str]:
    """A complete medication near miss as a browser sends it; None removes a field."""
    fields = {
        "csrf_token": "token",
        "entry_id": ENTRY,
        "reported_at": "",
        "tz_offset": "",
        "category": "medication",
        "medication_error": "omission",
        "time_critical": "true",
        "kind": "near_miss",
        "person_ref": "P-0001",
        "occurred_at": "2026-11-20T08:15",
        "late_reason": "",
        "location": "kitchen",
        "place": "kitchen",
        "what_happened": "Evening dose was not in the blister pack.",
        "immediate_actions": "Rang the on-call manager.",
        "harm": "none",
        "people_informed.0.who": "manager",
        "people_informed.0.at": "2026-11-20T08:25",
        "people_informed.0.method": "phone",
        "people_informed.1.who": "",
        "people_informed.1.at": "",
        "people_informed.1.method": "phone",
        "thresholds.safeguarding": "no",
        "thresholds.clinical_escalation": "unsure",
        "thresholds.family_contact": "yes",
    }
    for key, value in changes.items():
        key = key.replace("__", ".")
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    return MultiDict(fields)


def test_a_complete_form_becomes_the_api_body_exactly():
    assert form_to_payload(form(), NOW) == {
        "id": ENTRY,
        "kind": "near_miss",
        "category": "medication",
        "medication_error": "omission",
        "time_critical": True,
        "occurred_at": "2026-11-20T08:15:00+00:00",
        "reported_at": "2026-11-20T09:00:30+00:00",
        "late_reason": None,
        "person_ref": "P-0001",
        "branch": None,
        "location": "kitchen",
        "place": "kitchen",
        "what_happened": "Evening dose was not in the blister pack.",
        "immediate_actions": "Rang the on-call manager.",
        "harm": "none",
        "staff_injured": False,
        "people_informed": [
            {"who": "manager", "at": "2026-11-20T08:25:00+00:00", "method": "phone"}
        ],
        "thresholds": {
            "safeguarding": "no",
            "clinical_escalation": "unsure",
            "family_contact": "yes",
        },
    }


def test_the_body_passes_the_api_schema():
    data = IncidentInSchema().load(form_to_payload(form(), datetime.now(UTC)) | _recent_times())
    assert str(data["id"]) == ENTRY
    assert data["occurred_at"].utcoffset() == timedelta(0)


def _recent_times() -> dict[str, object]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "occurred_at": (now - timedelta(minutes=20)).isoformat(),
        "people_informed": [
            {"who": "manager", "at": (now - timedelta(minutes=5)).isoformat(), "method": "phone"}
        ],
    }


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-07-01T09:15", "2026-07-01T09:15:00+01:00"),  # British Summer Time
        ("2026-12-01T09:15", "2026-12-01T09:15:00+00:00"),  # Greenwich Mean Time
        ("2026-03-29T00:30", "2026-03-29T00:30:00+00:00"),  # just before the clocks go forward
        ("2026-03-29T02:30", "2026-03-29T02:30:00+01:00"),  # just after
        ("2026-10-25T01:30", "2026-10-25T01:30:00+01:00"),  # the repeated hour: the first one
    ],
)
def test_without_an_offset_times_are_uk_time(typed, expected):
    payload = form_to_payload(form(occurred_at=typed, tz_offset=None), NOW)
    assert payload["occurred_at"] == expected


@pytest.mark.parametrize(
    ("offset", "suffix"), [("60", "+01:00"), ("-300", "-05:00"), ("0", "+00:00"), ("330", "+05:30")]
)
def test_the_phones_offset_is_used_for_every_typed_time(offset, suffix):
    payload = form_to_payload(form(tz_offset=offset), NOW)
    assert payload["occurred_at"] == f"2026-11-20T08:15:00{suffix}"
    assert payload["people_informed"][0]["at"] == f"2026-11-20T08:25:00{suffix}"
    # With no device time, "now" is written in the same zone.
    made = datetime.fromisoformat(payload["reported_at"])
    assert made == NOW.replace(microsecond=0)
    assert payload["reported_at"].endswith(suffix)


@pytest.mark.parametrize("offset", ["abc", "841", "-9999", "1.5", "60; drop", " "])
def test_an_unusable_offset_falls_back_to_uk_time(offset):
    payload = form_to_payload(form(tz_offset=offset, occurred_at="2026-07-01T09:15"), NOW)
    assert payload["occurred_at"] == "2026-07-01T09:15:00+01:00"


def test_the_device_time_is_used_when_the_page_sent_one():
    payload = form_to_payload(form(reported_at="2026-11-20T08:40:12+00:00"), NOW)
    assert payload["reported_at"] == "2026-11-20T08:40:12+00:00"


def test_with_no_device_time_the_entry_counts_as_made_now_in_uk_time():
    summer = datetime(2026, 7, 1, 8, 0, 5, 999, tzinfo=UTC)
    assert form_to_payload(form(), summer)["reported_at"] == "2026-07-01T09:00:05+01:00"


def test_a_typed_time_with_its_own_offset_keeps_it():
    assert local_to_iso("2026-11-20T08:15:00+05:00", UTC) == "2026-11-20T08:15:00+05:00"


@pytest.mark.parametrize("typed", ["yesterday", "20/11/2026 08:15", "2026-13-40T99:99"])
def test_an_unreadable_time_is_passed_on_as_typed_for_the_schema_to_name(typed):
    assert form_to_payload(form(occurred_at=typed), NOW)["occurred_at"] == typed


def test_a_blank_time_is_left_out_so_the_schema_says_it_is_needed():
    assert "occurred_at" not in form_to_payload(form(occurred_at="  "), NOW)


def test_blank_informed_rows_are_dropped_and_rows_keep_page_order():
    payload = form_to_payload(
        form(
            **{
                "people_informed__0__who": "",
                "people_informed__0__at": "",
                "people_informed__3__who": "gp",
                "people_informed__3__at": "2026-11-20T08:40",
                "people_informed__3__method": "email",
                "people_informed__2__who": "family",
                "people_informed__2__at": "2026-11-20T08:30",
                "people_informed__2__method": "in_person",
            }
        ),
        NOW,
    )
    assert [row["who"] for row in payload["people_informed"]] == ["family", "gp"]


def test_a_half_filled_row_is_kept_without_its_missing_parts():
    payload = form_to_payload(form(people_informed__0__at=""), NOW)
    assert payload["people_informed"] == [{"who": "manager", "method": "phone"}]


def test_informed_keys_that_are_not_rows_are_ignored():
    rows = informed_rows(
        MultiDict({"people_informed.x.who": "gp", "people_informed.0.colour": "red"})
    )
    assert rows == []


def test_medication_answers_only_count_for_medication_events():
    payload = form_to_payload(form(category="fall"), NOW)
    assert payload["medication_error"] is None
    assert payload["time_critical"] is False


def test_a_medication_event_without_an_error_type_sends_null():
    payload = form_to_payload(form(medication_error=None, time_critical=None), NOW)
    assert payload["medication_error"] is None
    assert payload["time_critical"] is False


@pytest.mark.parametrize(("sent", "expected"), [(None, False), ("true", True), ("maybe", "maybe")])
def test_checkboxes_are_booleans_and_anything_odd_goes_to_the_schema(sent, expected):
    assert form_to_payload(form(staff_injured=sent), NOW)["staff_injured"] == expected


def test_only_answered_threshold_questions_are_sent():
    payload = form_to_payload(form(thresholds__safeguarding=None), NOW)
    assert payload["thresholds"] == {"clinical_escalation": "unsure", "family_contact": "yes"}


def test_unanswered_choices_are_left_out():
    payload = form_to_payload(form(kind=None, category=None, harm=None, entry_id=None), NOW)
    assert not {"kind", "category", "harm", "id"} & set(payload)


def test_blank_optional_answers_are_null():
    payload = form_to_payload(form(person_ref="", late_reason="  ", location="  "), NOW)
    assert payload["person_ref"] is None
    assert payload["late_reason"] is None
    assert payload["location"] == ""


def test_nothing_the_page_adds_reaches_the_body():
    payload = form_to_payload(form(), NOW)
    assert not {"csrf_token", "entry_id", "tz_offset"} & set(payload)


def test_shown_values_renumber_rows_as_sent():
    values = shown_values(
        form(
            **{
                "people_informed__0__who": "",
                "people_informed__0__at": "",
                "people_informed__1__who": "gp",
                "people_informed__1__at": "bad",
                "people_informed__1__method": "phone",
            }
        )
    )
    assert values["people_informed.0.who"] == "gp"
    assert values["people_informed.0.at"] == "bad"
    assert "people_informed.1.who" not in values
    assert "csrf_token" not in values
    assert row_count(values) == 3


def test_a_new_form_has_its_id_and_now_in_uk_time():
    values = blank_values(datetime(2026, 7, 1, 8, 5, 59, tzinfo=UTC), ENTRY)
    assert values == {"entry_id": ENTRY, "occurred_at": "2026-07-01T09:05"}
    assert row_count(values) == 2


def test_errors_about_the_id_are_about_the_forms_entry_id():
    errors = form_errors({"id": ["bad"], "people_informed": {0: {"at": ["later"]}}})
    assert errors == {"entry_id": ["bad"], "people_informed.0.at": ["later"]}


def test_errors_are_listed_in_the_order_the_page_asks():
    errors = form_errors(
        {
            "thresholds": {"family_contact": ["a"], "safeguarding": ["b"]},
            "harm": ["c"],
            "people_informed": {1: {"at": ["d"]}, 0: {"method": ["e"], "who": ["f"]}},
            "kind": ["g"],
            "category": ["h"],
        }
    )
    assert list(errors) == [
        "category",
        "kind",
        "harm",
        "people_informed.0.who",
        "people_informed.0.method",
        "people_informed.1.at",
        "thresholds.safeguarding",
        "thresholds.family_contact",
    ]
