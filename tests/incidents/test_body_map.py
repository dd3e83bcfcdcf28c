"""The body map (incidents/body_map.py): marks sent through the API and the form
(no JavaScript), kept exactly once, served as reference data, shown on the record
and the triage page, and pressure damage's Regulation 18 decision. Each refusal's
exact message is also checked on the phone: tests/parity/check_cases.json."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from flask import Flask

from extensions import db
from incidents import body_regions
from incidents.models import BodyMark, Incident, IncidentDecision
from tests.factories import incident_form, incident_payload

BRUISE = {
    "region": "front_right_forearm",
    "side": "front",
    "kind": "bruise",
    "pressure_category": None,
    "developed_in_care": None,
    "size": "3 cm by 2 cm",
    "note": "Yellow at the edges.",
}
SACRUM = {
    "region": "back_sacrum",
    "side": "back",
    "kind": "pressure_damage",
    "pressure_category": "3",
    "developed_in_care": True,
    "size": "",
    "note": "",
}


def _marks(app: Flask, incident_id: str) -> list[dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(BodyMark).where(BodyMark.incident_id == incident_id).order_by(BodyMark.id)
        )
        return [row.as_json() for row in rows]


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(db.select(db.func.count()).select_from(model)) or 0)


def _reg18(app: Flask, incident_id: str) -> IncidentDecision | None:
    with app.app_context():
        decision = db.session.scalar(
            db.select(IncidentDecision).where(
                IncidentDecision.incident_id == incident_id,
                IncidentDecision.rule == "cqc_reg18",
            )
        )
        if decision is not None:
            db.session.expunge(decision)
        return decision


# --- the API -------------------------------------------------------------------------


def test_marks_sent_are_kept_in_order_and_returned(app: Flask, sign_in):
    carer = sign_in("carer1")
    body = incident_payload(body_map=[BRUISE, SACRUM])
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    assert _marks(app, body["id"]) == [BRUISE, SACRUM]
    stored = carer.get(f"/api/v1/incidents/{body['id']}").get_json()
    assert stored["body_map"] == [BRUISE, SACRUM]


def test_the_contracts_fields_alone_are_taken_size_and_note_default_empty(app: Flask, sign_in):
    carer = sign_in("carer1")
    mark = {k: v for k, v in SACRUM.items() if k not in ("size", "note")}
    body = incident_payload(body_map=[mark])
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    assert _marks(app, body["id"]) == [SACRUM]


def test_a_report_without_body_map_has_none(app: Flask, sign_in):
    carer = sign_in("carer1")
    body = incident_payload()
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    assert carer.get(f"/api/v1/incidents/{body['id']}").get_json()["body_map"] == []


def test_the_same_entry_sent_again_adds_no_marks(app: Flask, sign_in):
    carer = sign_in("carer1")
    body = incident_payload(body_map=[BRUISE, SACRUM])
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    assert carer.post_json("/api/v1/incidents", body).status_code == 200
    assert _count(app, BodyMark) == 2


def test_the_same_id_with_other_marks_is_409_and_changes_nothing(app: Flask, sign_in):
    carer = sign_in("carer1")
    body = incident_payload(body_map=[BRUISE])
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    again = {**body, "body_map": [BRUISE, SACRUM]}
    assert carer.post_json("/api/v1/incidents", again).status_code == 409
    assert _marks(app, body["id"]) == [BRUISE]


def test_an_empty_list_is_the_same_entry_as_no_body_map(sign_in):
    carer = sign_in("carer1")
    body = incident_payload()
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    assert carer.post_json("/api/v1/incidents", {**body, "body_map": []}).status_code == 200


@pytest.mark.parametrize(
    ("mark", "field", "message"),
    [
        (
            {**BRUISE, "region": "front_tail"},
            "region",
            "Choose a place on the body from the list.",
        ),
        (
            {**BRUISE, "region": "back_right_heel"},
            "side",
            "That place is on the other side of the body: choose front or back to match it.",
        ),
        ({**BRUISE, "kind": "rash"}, "kind", "Choose what kind of mark it is."),
        (
            {**SACRUM, "pressure_category": None},
            "pressure_category",
            "Choose the category of the pressure damage.",
        ),
        (
            {**BRUISE, "pressure_category": "2"},
            "pressure_category",
            "Only pressure damage has a category.",
        ),
        (
            {**SACRUM, "developed_in_care": None},
            "developed_in_care",
            "Say whether this pressure damage developed while we were caring for them.",
        ),
        (
            {**BRUISE, "developed_in_care": False},
            "developed_in_care",
            "Only pressure damage says whether it developed in our care.",
        ),
        (
            {**SACRUM, "pressure_category": "5"},
            "pressure_category",
            "Choose a category of pressure damage from the list.",
        ),
    ],
    ids=[
        "unknown place",
        "place on the wrong side",
        "bad kind",
        "pressure damage without category",
        "category on a bruise",
        "pressure damage without in-care answer",
        "in-care answer on a bruise",
        "unknown category",
    ],
)
def test_a_bad_mark_is_422_naming_it_and_writes_nothing(
    app: Flask, sign_in, mark: dict[str, Any], field: str, message: str
):
    carer = sign_in("carer1")
    body = incident_payload(body_map=[BRUISE, mark])
    response = carer.post_json("/api/v1/incidents", body)
    assert response.status_code == 422
    assert response.get_json() == {"errors": {f"body_map.1.{field}": [message]}}
    assert _count(app, Incident) == 0
    assert _count(app, BodyMark) == 0


def test_reference_lists_every_region_with_its_side(sign_in):
    regions = sign_in("carer1").get("/api/v1/reference").get_json()["body_regions"]
    assert regions == [
        {"code": r.code, "label": r.label, "side": r.side} for r in body_regions.REGIONS
    ]
    assert {r["side"] for r in regions} == {"front", "back"}
    assert all(r["code"].startswith(f"{r['side']}_") for r in regions)
    assert len({r["code"] for r in regions}) == len(regions)


# --- Regulation 18 for pressure damage (through the real service) ----------------------


def test_category_3_pressure_damage_in_our_care_opens_a_regulation_18_decision(app: Flask, sign_in):
    carer = sign_in("carer1")
    body = incident_payload(kind="incident", harm="low", body_map=[SACRUM])
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    decision = _reg18(app, body["id"])
    assert decision is not None
    assert "Category 3 at base of the spine (sacrum and tailbone)" in decision.trigger
    assert decision.due_at is not None


def test_category_3_pressure_damage_from_before_our_care_opens_none(app: Flask, sign_in):
    carer = sign_in("carer1")
    mark = {**SACRUM, "developed_in_care": False}
    body = incident_payload(kind="incident", harm="low", body_map=[mark])
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    assert _reg18(app, body["id"]) is None


# --- the form, with no JavaScript ---------------------------------------------------------


def _form_marks(**marks: str) -> dict[str, Any]:
    return incident_form(**{key.replace("__", "."): value for key, value in marks.items()})


def test_the_form_sends_its_marks(app: Flask, sign_in):
    carer = sign_in("carer1")
    form = _form_marks(
        body_map__0__region="front_right_forearm",
        body_map__0__kind="bruise",
        body_map__0__size="3 cm by 2 cm",
        body_map__0__note="Yellow at the edges.",
        body_map__1__region="",
        body_map__2__region="back_sacrum",
        body_map__2__kind="pressure_damage",
        body_map__2__pressure_category="3",
        body_map__2__developed_in_care="true",
    )
    response = carer.post_form("/incidents/new", form)
    assert response.status_code == 303
    assert _marks(app, form["entry_id"]) == [BRUISE, SACRUM]


def test_the_blank_form_has_one_mark_row_and_every_place_in_its_list(sign_in):
    html = sign_in("carer1").get("/incidents/new").get_data(as_text=True)
    assert 'name="body_map.0.region"' in html
    assert 'name="body_map.1.region"' not in html
    for region in body_regions.REGIONS:
        assert f'<option value="{region.code}">' in html
    # The outlines, drawn from the regions table, for the script to make tappable.
    assert html.count("data-region=") == len(body_regions.REGIONS)


def test_add_another_mark_without_a_script_adds_a_row_and_saves_nothing(app: Flask, sign_in):
    carer = sign_in("carer1")
    form = _form_marks(body_map__0__region="front_chest", body_map__0__kind="burn", add_mark="1")
    response = carer.post_form("/incidents/new", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'<option value="front_chest" selected>', html)
    assert 'name="body_map.1.region"' in html
    assert 'name="body_map.2.region"' in html
    assert _count(app, Incident) == 0


def test_a_bad_mark_on_the_form_is_422_with_the_message_on_its_row(app: Flask, sign_in):
    carer = sign_in("carer1")
    form = _form_marks(
        body_map__0__region="",
        body_map__3__region="back_left_heel",
        body_map__3__kind="pressure_damage",
    )
    response = carer.post_form("/incidents/new", form)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    # Renumbered as sent: the blank row dropped, the heel is mark 1.
    assert 'href="#field-body-map-0-pressure-category"' in html
    assert 'id="field-body-map-0-pressure-category-error"' in html
    assert "Say whether this pressure damage developed while we were caring for them." in html
    assert re.search(
        r'name="body_map.0.region"[^>]*>.*?<option value="back_left_heel" selected>', html, re.S
    )
    assert _count(app, Incident) == 0


# --- showing the marks ----------------------------------------------------------------------


def test_the_record_and_triage_show_the_marks_escaped(app: Flask, sign_in):
    carer = sign_in("carer1")
    note = "<script>alert(1)</script> & more"
    body = incident_payload(body_map=[{**BRUISE, "note": note}, SACRUM])
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    manager = sign_in("manager")
    for client, url in (
        (carer, f"/incidents/{body['id']}"),
        (manager, f"/incidents/{body['id']}"),
    ):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
        assert html.count('data-testid="body-mark"') == 2
        assert "Bruise</strong>: Right forearm (front), 3 cm by 2 cm" in html
        assert "Category 3: full-thickness skin loss" in html
        assert "Developed while we were caring for them." in html
        # The outlines with the marked places filled and numbered.
        assert html.count("app-body-region--marked") == 2
    triage = manager.get(f"/incidents/{body['id']}/triage").get_data(as_text=True)
    assert (
        "Pressure damage: Base of the spine (sacrum and tailbone) (Category 3, developed in our care)"
        in triage
    )


def test_a_record_without_marks_says_so(sign_in):
    carer = sign_in("carer1")
    body = incident_payload()
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    html = carer.get(f"/incidents/{body['id']}").get_data(as_text=True)
    assert "No marks on the body were recorded." in html
