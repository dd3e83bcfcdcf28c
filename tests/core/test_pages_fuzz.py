"""Every form the pages post to, sent garbage by a carer and by a manager: empty
forms, words where numbers belong, numbers no database holds, control and
non-BMP characters, very long text, a field given twice. Whatever arrives, the
answer is never a 5xx (a clear 4xx, a redirect or the form again)."""

from __future__ import annotations

import importlib
import inspect
import re
import uuid
from typing import Any

import pytest
from flask import Flask
from marshmallow import Schema

from actions.models import Action
from audits import recording
from audits.models import Audit, AuditTemplate
from core import demo, invitations
from core.models import Branch, PersonSupported, Team, User
from extensions import db
from incidents import attachments
from incidents.models import IncidentDecision
from learning import case_studies
from learning.models import Bulletin, LearningReview
from tests.conftest import PASSWORD, Client
from tests.factories import add_shift_message_and_recalculation, audit_payload, photo_with_gps

# Signing in and out are covered by tests/core; they would end the session here.
NOT_FUZZED = {"/login", "/logout"}


def _form_routes(app: Flask) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ())
        and not rule.rule.startswith(("/api/", "/test-only/"))
        and rule.rule not in NOT_FUZZED
    )


def _field_names() -> list[str]:
    """Every field any input schema reads, so the garbage lands where forms look."""
    names = {"entry_id", "next", "q", "effective", "evidence", "note", "method", "title"}
    names.add("photo_consent_by")  # the report form's photos (incidents/routes/reporting.py)
    for module_name in (
        "core.schemas",
        "incidents.schemas",
        "audits.schemas",
        "learning.schemas",
        "people.schemas",
        "exports.schemas",
        "governance.schemas",
    ):
        module = importlib.import_module(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Schema) and cls.__module__ == module_name:
                try:
                    names.update(f.data_key or n for n, f in cls().load_fields.items())
                except TypeError:
                    continue
    return sorted(names)


FIELDS = _field_names()
GARBAGE = {
    "empty": None,
    "words": "not a number",
    "huge": "99999999999999999999999",
    "negative": "-1",
    "odd characters": "\x00\x07\u202e\U0001f9ef\ufffe",
    "long": "x" * 20_000,
}
# In a query, "long" is longer than anything a page reads from its query (the
# longest is an action's detail, cut at 5,000 characters): 20,000 in each of the
# ~130 fields made a 2.5 MB address that took Werkzeug some 20 s to parse for no
# more reach.
QUERY_GARBAGE = {**GARBAGE, "long": "x" * 5_001}


def _world(app: Flask) -> dict[str, str]:
    """The demo data plus one of each record a form can be about."""
    with app.app_context():
        demo.seed(PASSWORD, incidents=12, incident_seed=5)
        supervisor = db.session.scalar(db.select(User).where(User.email.like("supervisor@%")))
        carer = db.session.scalar(db.select(User).where(User.email.like("carer1@%")))
        manager = db.session.scalar(db.select(User).where(User.email.like("manager@%")))

        recording.create_audit(supervisor, _loaded_audit(carer.id))
        review = db.session.scalar(
            db.select(LearningReview).where(LearningReview.completed_at.is_not(None))
        )
        incident = review.incidents[0]
        decision = db.session.scalar(
            db.select(IncidentDecision).order_by(
                (IncidentDecision.incident_id == incident.id).desc()
            )
        )
        case_study = case_studies.draft_case_study(manager, incident.id)
        from tests.governance.conftest import record

        meeting = record(manager)
        template = db.session.scalar(
            db.select(AuditTemplate).where(AuditTemplate.slug == "medication-spot-check")
        )
        carer2 = db.session.scalar(db.select(User).where(User.email.like("carer2@%")))
        link = invitations.issue_invitation(carer2, issued_by=manager)
        north_id = db.session.scalar(db.select(Branch.id).where(Branch.code == "NORTH"))
        shift, undelivered, recalculation = add_shift_message_and_recalculation(
            manager, carer2, north_id, "fuzz"
        )
        photo = attachments.add_photo(
            incident.author, incident.id, str(uuid.uuid4()), photo_with_gps((64, 48)), "Mrs P"
        ).attachment
        db.session.commit()
        ids = {
            "action_id": str(db.session.scalar(db.select(Action.id))),
            "attachment_id": photo.id,
            "audit_id": str(db.session.scalar(db.select(Audit.id))),
            "bulletin_id": str(db.session.scalar(db.select(Bulletin.id))),
            "case_study_id": str(case_study.id),
            "decision_id": str(decision.id),
            "incident_id": incident.id,
            "review_id": str(review.id),
            "user_id": str(carer.id),
            "team_id": str(db.session.scalar(db.select(Team.id))),
            "schedule_id": "1",
            "shift_id": str(shift.id),
            "message_id": str(undelivered.id),
            "recalculation_id": str(recalculation.id),
            "meeting_id": str(meeting.id),
            "branch_id": str(db.session.scalar(db.select(Branch.id).where(Branch.code == "NORTH"))),
            "person_id": str(db.session.scalar(db.select(PersonSupported.id))),
            "slug": template.slug,
            "key": template.items[0].key,
            "token": link.rsplit("/", 1)[1],
            "what": "incidents",
            # A recalculation of SPC limits (none here: its form is fuzzed as "not found").
        }
        db.session.remove()
        return ids


def _loaded_audit(observed_id: int) -> dict[str, Any]:
    from audits.schemas import AuditInSchema

    loaded: dict[str, Any] = AuditInSchema().load(audit_payload(observed_id))
    return loaded


def _url(rule: str, ids: dict[str, str]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ids[m.group(1)], rule)


def _forms(kind: str, token: str) -> list[dict[str, Any]]:
    value = GARBAGE[kind]
    if value is None:
        return [{"csrf_token": token}]
    single = dict.fromkeys(FIELDS, value)
    doubled = {name: [value, "1"] for name in FIELDS}
    return [{**single, "csrf_token": token}, {**doubled, "csrf_token": token}]


@pytest.fixture(scope="module")
def routes(app: Flask) -> list[str]:
    return _form_routes(app)


def test_the_fuzzer_reaches_every_package(app: Flask):
    found = _form_routes(app)
    for prefix in ("/incidents", "/audits", "/actions", "/reviews", "/bulletins", "/users",
                   "/governance", "/case-studies", "/branches", "/people"):  # fmt: skip
        assert any(r.startswith(prefix) for r in found), prefix


@pytest.mark.parametrize("kind", list(GARBAGE))
def test_no_form_post_is_a_server_error(app: Flask, clean_db: None, kind: str):
    ids = _world(app)
    failures = []
    for who in ("carer1", "manager"):
        c = Client(app.test_client())
        assert c.sign_in(f"{who}@example.com").status_code == 302
        token = c.refresh_csrf()
        for rule in _form_routes(app):
            url = _url(rule, ids)
            for form in _forms(kind, token):
                status = c.http.post(url, data=form).status_code
                if status >= 500:
                    failures.append((who, url, status))
    assert failures == []


def _page_routes(app: Flask) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.rule.startswith(("/test-only/", "/static/"))
    )


@pytest.mark.parametrize("kind", [k for k in QUERY_GARBAGE if QUERY_GARBAGE[k] is not None])
def test_no_page_opened_with_garbage_in_its_query_is_a_server_error(
    app: Flask, clean_db: None, kind: str
):
    ids = _world(app)
    value = QUERY_GARBAGE[kind]
    failures = []
    for who in ("carer1", "manager"):
        c = Client(app.test_client())
        assert c.sign_in(f"{who}@example.com").status_code == 302
        for rule in _page_routes(app):
            query = dict.fromkeys(FIELDS, value)
            status = c.http.get(_url(rule, ids), query_string=query).status_code
            if status >= 500:
                failures.append((who, rule, status))
    assert failures == []


# --- the null character: PostgreSQL cannot store it, so it is refused at the door ---


def test_a_form_with_a_null_character_is_refused_and_saves_nothing(app: Flask, sign_in):
    from incidents.models import Incident

    carer = sign_in("carer1")
    page = carer.get("/incidents/new").get_data(as_text=True)
    assert "csrf_token" in page
    response = carer.post_form("/incidents/new", {"what_happened": "Fell\x00 in the hall"})
    assert response.status_code == 400
    assert "null character" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Incident.id))) == 0


@pytest.mark.parametrize("url", ["/incidents?q=a%00b", "/incidents/%00", "/bulletins?x%00=1"])
def test_a_null_character_in_a_url_is_400(sign_in, url):
    response = sign_in("manager").get(url)
    assert response.status_code == 400


def test_the_api_refuses_a_null_character_in_json_with_422(sign_in):
    from tests.factories import incident_payload

    body = incident_payload(what_happened="Fell\x00 in the hall")
    response = sign_in("carer1").post_json("/api/v1/incidents", body)
    assert response.status_code == 422
    assert "null character" in response.get_json()["errors"]["_schema"][0]


@pytest.mark.parametrize("url", ["/incidents/new", "/people", "/api/v1/incidents"])
def test_a_multipart_part_without_a_name_is_400_not_a_server_error(sign_in, url):
    """Werkzeug files a part with no name under None, which broke whatever read
    the form next (CSRF protection first): refused before anything reads it."""
    manager = sign_in("manager")
    body = (
        b"--b\r\nContent-Disposition: form-data\r\n\r\nwhat\r\n"
        b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + manager.refresh_csrf().encode()
        + b"\r\n--b--\r\n"
    )
    response = manager.http.post(url, data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 400
    assert "no name" in response.get_data(as_text=True)
