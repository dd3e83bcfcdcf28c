"""POST/GET /api/v1/incidents exactly as docs/api.md says."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from core.models import TrailEvent
from extensions import db
from incidents.models import Incident
from tests.conftest import Client
from tests.factories import incident_payload, iso


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Incident.id)))


def test_create_answers_201_with_reference_status_and_received_at(sign_in):
    carer = sign_in("carer1")
    body = incident_payload()
    response = carer.post_json("/api/v1/incidents", body)
    assert response.status_code == 201
    answer = response.get_json()
    assert set(answer) == {"id", "reference", "status", "received_at"}
    assert answer["id"] == body["id"]
    assert re.fullmatch(rf"INC-{datetime.now(UTC).year}-0001", answer["reference"])
    assert answer["status"] == "submitted"
    assert datetime.fromisoformat(answer["received_at"]).tzinfo is not None


def test_replay_with_the_same_content_is_200_with_the_same_answer(app: Flask, sign_in):
    carer = sign_in("carer1")
    body = incident_payload()
    first = carer.post_json("/api/v1/incidents", body)
    again = carer.post_json("/api/v1/incidents", body)
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert _count(app) == 1


def test_same_id_with_other_content_is_409_showing_the_stored_version(app: Flask, sign_in):
    carer = sign_in("carer1")
    body = incident_payload()
    carer.post_json("/api/v1/incidents", body)
    changed = {**body, "what_happened": "Something else entirely."}
    response = carer.post_json("/api/v1/incidents", changed)
    assert response.status_code == 409
    assert response.get_json()["existing"]["what_happened"] == body["what_happened"]
    assert _count(app) == 1


def test_same_id_from_another_author_is_409(app: Flask, sign_in):
    body = incident_payload()
    sign_in("carer1").post_json("/api/v1/incidents", body)
    response = sign_in("carer2").post_json("/api/v1/incidents", body)
    assert response.status_code == 409
    # Someone else's record is never shown to them.
    assert "existing" not in response.get_json()


def test_a_409_on_anothers_id_says_the_same_whether_or_not_the_caller_may_see_it(sign_in):
    # Issue 12, finding 10 (docs/api.md, "Exactly once"): ids are random UUIDs never
    # shown to anyone who may not see the record, and the 409 tells nothing more.
    body = incident_payload()
    sign_in("carer1").post_json("/api/v1/incidents", body)
    changed = {**body, "what_happened": "Something else entirely.", "person_ref": "P-0011"}
    sees_it = sign_in("supervisor").post_json("/api/v1/incidents", changed)
    does_not = sign_in("carer3").post_json("/api/v1/incidents", changed)
    assert sees_it.status_code == does_not.status_code == 409
    assert sees_it.get_json() == does_not.get_json()
    assert set(does_not.get_json()) == {"error"}


def test_references_are_sequential_per_year(sign_in):
    carer = sign_in("carer1")
    refs = [
        carer.post_json("/api/v1/incidents", incident_payload()).get_json()["reference"]
        for _ in range(3)
    ]
    assert [r[-4:] for r in refs] == ["0001", "0002", "0003"]


def test_signed_out_is_401(client: Client, seeded):
    client.refresh_csrf()
    response = client.post_json("/api/v1/incidents", incident_payload())
    assert response.status_code == 401


def test_office_may_not_report_403(app: Flask, sign_in):
    response = sign_in("office").post_json("/api/v1/incidents", incident_payload())
    assert response.status_code == 403
    assert _count(app) == 0


def test_person_outside_scope_is_404(app: Flask, sign_in):
    response = sign_in("carer1").post_json(
        "/api/v1/incidents", incident_payload(person_ref="P-0015")
    )
    assert response.status_code == 404
    assert _count(app) == 0


def test_api_write_without_csrf_header_is_refused(app: Flask, sign_in):
    carer = sign_in("carer1")
    response = carer.http.post("/api/v1/incidents", json=incident_payload())
    assert response.status_code == 400
    assert response.get_json()["reason"] == "csrf"
    assert _count(app) == 0


NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "accident"}, "kind"),
        ({"category": "falls"}, "category"),
        ({"category": "medication", "medication_error": None}, "medication_error"),
        ({"category": "fall", "medication_error": "omission"}, "medication_error"),
        ({"harm": "catastrophic"}, "harm"),
        ({"harm": "low"}, "harm"),  # a near miss caused no harm
        ({"what_happened": ""}, "what_happened"),
        ({"what_happened": "   "}, "what_happened"),
        ({"what_happened": "x" * 5001}, "what_happened"),
        ({"immediate_actions": None}, "immediate_actions"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-11-20T08:15:00"}, "occurred_at"),  # no offset
        ({"reported_at": iso(NOW + timedelta(hours=2))}, "reported_at"),
        ({"occurred_at": iso(NOW), "reported_at": iso(NOW - timedelta(minutes=5))}, "occurred_at"),
        ({"occurred_at": iso(NOW - timedelta(days=31)), "late_reason": None}, "late_reason"),
        ({"id": "not-a-uuid"}, "id"),
        ({"time_critical": "sometimes"}, "time_critical"),
        (
            {
                "thresholds": {
                    "safeguarding": "maybe",
                    "clinical_escalation": "no",
                    "family_contact": "no",
                }
            },
            "thresholds.safeguarding",
        ),
        ({"thresholds": None}, "thresholds"),
        (
            {"people_informed": [{"who": "mum", "at": iso(NOW), "method": "phone"}]},
            "people_informed.0.who",
        ),
        ({"people_informed": "manager"}, "people_informed"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_entries_are_422_naming_the_field_and_write_nothing(
    app: Flask, sign_in, changes, field
):
    response = sign_in("carer1").post_json("/api/v1/incidents", incident_payload(**changes))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors, errors
    assert all(isinstance(m, str) and m for m in errors[field])
    assert _count(app) == 0


def test_late_report_with_a_reason_is_accepted(sign_in):
    body = incident_payload(
        occurred_at=iso(NOW - timedelta(days=40)),
        people_informed=[],
        late_reason="The person told me about it at today's visit.",
    )
    assert sign_in("carer1").post_json("/api/v1/incidents", body).status_code == 201


def test_entry_made_weeks_ago_that_arrives_now_is_accepted(sign_in):
    """Never refuse an entry for arriving late: judged by the device's clock."""
    made = NOW - timedelta(days=21)
    body = incident_payload(
        occurred_at=iso(made - timedelta(minutes=30)),
        reported_at=iso(made),
        people_informed=[],
    )
    response = sign_in("carer1").post_json("/api/v1/incidents", body)
    assert response.status_code == 201


def test_device_offsets_are_kept(sign_in):
    carer = sign_in("carer1")
    body = incident_payload(
        occurred_at="2026-07-01T09:15:00+01:00",
        reported_at="2026-07-01T09:30:00+01:00",
        people_informed=[],
    )
    carer.post_json("/api/v1/incidents", body)
    record = carer.get(f"/api/v1/incidents/{body['id']}").get_json()
    assert record["occurred_at"] == "2026-07-01T09:15:00+01:00"
    assert record["reported_at"] == "2026-07-01T09:30:00+01:00"


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"not json", "application/json", 400),
        (b'{"id": ', "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
        (b"[1, 2, 3]", "application/json", 422),
        (b'"text"', "application/json", 422),
        (b"NaN", "application/json", 400),
        (b"{}", "text/plain", 415),
        (b"kind=incident", "application/x-www-form-urlencoded", 415),
        (b"[" * 100000 + b"]" * 100000, "application/json", 400),
    ],
    ids=[
        "garbage",
        "truncated",
        "bad-utf8",
        "array",
        "string",
        "nan",
        "text-plain",
        "form",
        "deep",
    ],
)
def test_garbage_gets_a_4xx_with_a_reason(app: Flask, sign_in, data, content_type, status):
    carer = sign_in("carer1")
    response = carer.http.post(
        "/api/v1/incidents",
        data=data,
        content_type=content_type,
        headers={"X-CSRFToken": carer.refresh_csrf()},
    )
    assert response.status_code == status
    body = response.get_json()
    assert body.get("error") or body.get("errors")
    assert _count(app) == 0


def test_body_over_256_kb_is_413(app: Flask, sign_in):
    carer = sign_in("carer1")
    response = carer.post_json(
        "/api/v1/incidents", incident_payload(what_happened="x" * (300 * 1024))
    )
    assert response.status_code == 413
    assert _count(app) == 0


def test_twenty_concurrent_sends_of_one_entry_make_one_row(app: Flask, sign_in):
    body = incident_payload()
    clients = [sign_in("carer1") for _ in range(20)]
    for c in clients:
        c.refresh_csrf()
    statuses: list[int] = []
    barrier = threading.Barrier(20)

    def send(c: Client) -> None:
        barrier.wait()
        statuses.append(c.post_json("/api/v1/incidents", body).status_code)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 19 + [201]
    assert _count(app) == 1


def test_concurrent_different_entries_get_distinct_references(app: Flask, sign_in):
    clients = [sign_in("carer1") for _ in range(10)]
    for c in clients:
        c.refresh_csrf()
    refs: list[str] = []
    barrier = threading.Barrier(10)

    def send(c: Client) -> None:
        barrier.wait()
        refs.append(c.post_json("/api/v1/incidents", incident_payload()).get_json()["reference"])

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(refs)) == 10
    assert sorted(int(r[-4:]) for r in refs) == list(range(1, 11))


# --- reading -----------------------------------------------------------------------


def _make(sign_in, key: str, **changes) -> str:
    body = incident_payload(**changes)
    response = sign_in(key).post_json("/api/v1/incidents", body)
    assert response.status_code == 201, response.get_json()
    return body["id"]


@pytest.mark.parametrize(
    ("viewer", "author", "person", "visible"),
    [
        ("carer1", "carer1", "P-0001", True),
        ("carer2", "carer1", "P-0001", False),  # carers see only their own
        ("supervisor", "carer1", "P-0001", True),  # same branch
        ("supervisor", "carer3", "P-0011", False),  # other branch
        ("manager", "carer3", "P-0011", True),
        ("office", "carer3", "P-0011", True),
    ],
)
def test_scope_of_get(sign_in, viewer, author, person, visible):
    incident_id = _make(sign_in, author, person_ref=person)
    response = sign_in(viewer).get(f"/api/v1/incidents/{incident_id}")
    assert response.status_code == (200 if visible else 404)


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        ("carer1", True),
        ("carer2", False),
        ("supervisor", False),
        ("office", False),
        ("manager", True),
    ],
)
def test_safeguarding_records_only_for_the_reporter_and_managers(sign_in, viewer, visible):
    incident_id = _make(
        sign_in,
        "carer1",
        kind="incident",
        category="safeguarding",
        medication_error=None,
        harm="low",
    )
    assert sign_in(viewer).get(f"/api/v1/incidents/{incident_id}").status_code == (
        200 if visible else 404
    )
    listed = [i["id"] for i in sign_in(viewer).get("/api/v1/incidents").get_json()["items"]]
    assert (incident_id in listed) is visible


def test_every_view_of_a_safeguarding_record_is_audited(app: Flask, sign_in, seeded):
    incident_id = _make(
        sign_in,
        "carer1",
        kind="incident",
        category="safeguarding",
        medication_error=None,
        harm="low",
    )
    manager = sign_in("manager")
    manager.get(f"/api/v1/incidents/{incident_id}")
    manager.get(f"/api/v1/incidents/{incident_id}")
    with app.app_context():
        views = db.session.scalars(
            db.select(TrailEvent).where(
                TrailEvent.action == "view", TrailEvent.record_id == incident_id
            )
        ).all()
    assert [v.actor_id for v in views] == [seeded["manager"].id] * 2


def test_unknown_or_malformed_ids_are_404(sign_in):
    manager = sign_in("manager")
    assert manager.get(f"/api/v1/incidents/{uuid.uuid4()}").status_code == 404
    assert manager.get("/api/v1/incidents/not-a-uuid").status_code == 404


def test_list_is_newest_first_with_a_cursor(sign_in):
    ids = [_make(sign_in, "carer1") for _ in range(5)]
    carer = sign_in("carer1")
    first = carer.get("/api/v1/incidents?limit=2").get_json()
    second = carer.get(f"/api/v1/incidents?limit=2&cursor={first['next']}").get_json()
    third = carer.get(f"/api/v1/incidents?limit=2&cursor={second['next']}").get_json()
    got = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert got == list(reversed(ids))
    assert third["next"] is None


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=abc", "cursor=%%%", "cursor=bm9wZQ"]
)
def test_bad_list_parameters_are_422(sign_in, query):
    response = sign_in("carer1").get(f"/api/v1/incidents?{query}")
    assert response.status_code == 422


# --- place (issue 15): a choice beside the free-text location; optional ------------------


def test_a_place_is_stored_and_returned_beside_the_free_text(app: Flask, sign_in):
    carer = sign_in("carer1")
    body = incident_payload(place="stairs", location="Top step by the landing")
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    stored = carer.get(f"/api/v1/incidents/{body['id']}").get_json()
    assert (stored["place"], stored["location"]) == ("stairs", "Top step by the landing")


def test_an_older_client_without_place_is_taken_and_its_replay_still_matches(
    app: Flask, sign_in, seeded
):
    from core.exactly_once import content_hash
    from core.models import User
    from incidents.schemas import IncidentInSchema
    from incidents.services import ADDED_FIELDS

    carer = sign_in("carer1")
    body = incident_payload()
    body.pop("place", None)
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    assert carer.post_json("/api/v1/incidents", body).status_code == 200
    with app.app_context():
        incident = db.session.get_one(Incident, body["id"])
        author = db.session.get_one(User, seeded["carer1"].id)
        before_place = IncidentInSchema().load(body)
        for added in ADDED_FIELDS:  # place, and the staff fields added with it (issue 15)
            before_place.pop(added)
        before_place.pop("body_map")  # none sent: hashed as before body maps too
        # As the server hashed it before `place` existed: replays from then match.
        assert incident.content_hash == content_hash(author, before_place)
        assert incident.place is None


def test_a_place_not_on_the_list_is_422_with_nothing_stored(app: Flask, sign_in):
    response = sign_in("carer1").post_json("/api/v1/incidents", incident_payload(place="attic"))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "place": ["Choose a place from the list, or leave it."]
    }
    assert _count(app) == 0


def test_a_reporter_in_several_branches_names_the_person_or_the_branch(app: Flask, sign_in):
    from incidents.schemas import RULE_MESSAGES

    body = incident_payload(person_ref=None, branch=None)
    response = sign_in("manager").post_json("/api/v1/incidents", body)
    assert response.status_code == 422
    # The same words the phone shows before saving (static/js/offline/checks.js).
    assert response.get_json()["errors"] == {"branch": [RULE_MESSAGES["branch_needed"]]}
    assert _count(app) == 0
