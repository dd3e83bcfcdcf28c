"""Every route of the app x every kind of caller -> the status it must answer.

Built from `app.url_map`, so a route added without an entry in EXPECTED fails
`test_every_route_has_an_entry`. Ids in URLs are real records of NORTH, so the
callers of SOUTH only (a manager and an office account) must get 404 where the
record is all that stands between them and it. Writes are POSTs with a valid
CSRF token and an empty body: a caller who may write gets the form's or the
API's refusal of the empty body (422, 400), or the action itself where it needs
no answers; a caller who may not gets 401, 302 to sign in, 403 or 404.

Callers: anonymous; carer1 (NORTH, who reported the incident); the supervisor
(NORTH); the manager and office of the demo (NORTH and SOUTH, so every branch);
a manager and an office account of SOUTH only.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, url_for
from werkzeug.routing import Rule

from actions import records
from audits import recording, template_editor
from audits import schedules as schedule_rules
from audits.schemas import AuditInSchema
from core import dates, invitations
from core.models import Branch, PersonSupported, Role, Team, User
from core.passwords import hash_password
from extensions import db
from governance import meetings
from incidents import attachments
from incidents import services as incident_services
from incidents.models import Incident
from incidents.schemas import IncidentInSchema
from learning import bulletins, case_studies, reviews
from tests.conftest import PASSWORD, Client, StaffRef
from tests.factories import (
    add_shift_message_and_recalculation,
    audit_payload,
    incident_payload,
    photo_with_gps,
)

CALLERS = ["anonymous", "carer", "supervisor", "manager", "office", "south_manager", "south_office"]
ACCOUNTS = {
    "carer": "carer1@example.com",
    "supervisor": "supervisor@example.com",
    "manager": "manager@example.com",
    "office": "office@example.com",
    "south_manager": "south.manager@example.com",
    "south_office": "south.office@example.com",
}
SLUG = "medication-spot-check"
# Writes that end what later requests need, in this order, after all the others.
LAST = [
    "/audits/templates/<slug>/draft/publish",
    "/audits/templates/<slug>/draft/discard",
    "/logout",
]
# Pages the browser tests add to the test app (tests/browser/pages.py), not the product.
TEST_ONLY = "offline_test_pages."


# --- the world: one record of each kind in NORTH ------------------------------------


def _user(email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def _branch(code: str) -> Branch:
    return db.session.scalar(db.select(Branch).where(Branch.code == code))


def _south_accounts() -> None:
    for email, role in (
        (ACCOUNTS["south_manager"], Role.MANAGER),
        (ACCOUNTS["south_office"], Role.OFFICE),
    ):
        db.session.add(
            User(
                email=email,
                name=email.split("@")[0].replace(".", " ").title(),
                role=role.value,
                password_hash=hash_password(PASSWORD),
                branches=[_branch("SOUTH")],
            )
        )
    db.session.commit()


def _incident(author: User) -> Incident:
    body = incident_payload(person_ref="P-0001", people_informed=[])
    return incident_services.create_incident(author, IncidentInSchema().load(body)).incident


def _build() -> dict[str, Any]:
    """The records the URLs name (ids and keys), all of NORTH."""
    _south_accounts()
    carer, manager = _user(ACCOUNTS["carer"]), _user(ACCOUNTS["manager"])
    supervisor = _user(ACCOUNTS["supervisor"])
    incident = _incident(carer)
    decision_id = incident.decisions[0].id
    review = reviews.start_review(manager, "huddle", [incident.id])
    action = records.new_action(
        manager,
        {
            "title": "Introduce a handover checklist",
            "detail": "",
            "owner_id": carer.id,
            "due": dates.uk_today() + timedelta(days=14),
            "source_type": "incident",
            "source_id": incident.id,
            "branch_id": None,
            "verification": "none",
            "sample_size": 1,
            "sample_template": None,
            "trend_category": None,
            "trend_days": None,
            "trend_person_ref": None,
        },
    )
    audit = recording.create_audit(supervisor, AuditInSchema().load(audit_payload(carer.id))).audit
    north = _branch("NORTH")
    bulletin = bulletins.new_bulletin(
        manager,
        {
            "title": "Handover of time-critical medicines",
            "what_happened": "A dose was nearly missed at a handover.",
            "what_learned": "Spoken handovers lose details.",
            "what_changes": "A written handover sheet.",
            "branch_ids": [north.id],
            "roles": [],
            "review_ids": [],
        },
    )
    review = reviews.save_review(
        manager,
        review,
        {
            "what_happened": "A dose was nearly missed at a change of shift.",
            "expected": "The next carer gives the dose on time.",
            "why_difference": "The handover was spoken only.",
            "keep_doing": "Calling the on-call manager.",
            "why": "Nothing written passed the dose on.",
            "findings": "Handovers rely on memory.",
            "conditions": ["handover"],
            "lessons": "Spoken handovers lose details.",
            "changes": "A written handover sheet.",
        },
        complete=True,
    )
    case_study = case_studies.draft_case_study(manager, incident.id)
    today = dates.uk_today()
    meeting = meetings.record_meeting(
        manager,
        {
            "branch": "NORTH",
            "period_start": today - timedelta(days=90),
            "period_end": today,
            "held_on": today,
            "attendees": "Registered manager",
            "minutes": "Looked at the handover theme.",
            "decisions": "Trial a written handover sheet.",
        },
    )
    schedule = schedule_rules.create_schedule(
        manager,
        {
            "template": SLUG,
            "branch_id": north.id,
            "observed_user_id": None,
            "target": 2,
            "starts_on": today,
            "due_on": today + timedelta(days=30),
            "reason": "",
        },
        today,
    )
    # A draft of the next version, so the editor's writes have one to change.
    template_editor.start_draft(manager, SLUG)
    team = Team(branch=north, name="Town centre")
    db.session.add(team)
    link = invitations.issue_invitation(_user("carer2@example.com"), issued_by=manager)
    shift, undelivered, recalculation = add_shift_message_and_recalculation(
        manager, _user("carer2@example.com"), north.id, "matrix"
    )
    photo = attachments.add_photo(
        carer, incident.id, str(uuid.uuid4()), photo_with_gps((64, 48)), "Mrs P"
    ).attachment
    db.session.commit()
    return {
        "incident_id": incident.id,
        "attachment_id": photo.id,
        "decision_id": decision_id,
        "action_id": action.id,
        "audit_id": audit.id,
        "review_id": review.id,
        "bulletin_id": bulletin.id,
        "case_study_id": case_study.id,
        "meeting_id": meeting.id,
        "recalculation_id": recalculation.id,
        "schedule_id": schedule.id,
        "team_id": team.id,
        "shift_id": shift.id,
        "user_id": _user("carer2@example.com").id,
        "branch_id": north.id,
        "person_id": db.session.scalar(
            db.select(PersonSupported.id).where(PersonSupported.ref == "P-0001")
        ),
        "slug": SLUG,
        "key": audit.template.items[0].key,
        "filename": "js/app.js",
        "token": link.rsplit("/", 1)[1],
        "message_id": undelivered.id,
        # An export with no period: 422 for those who may export (its files'
        # scope is tests/exports').
        "what": "incidents",
    }


@pytest.fixture
def world(app: Flask, templates: dict[str, StaffRef]) -> dict[str, Any]:
    with app.app_context():
        ids = _build()
        db.session.remove()
    return ids


# --- asking ----------------------------------------------------------------------


def _client(app: Flask, caller: str) -> Client:
    client = Client(app.test_client())
    if caller != "anonymous":
        assert client.sign_in(ACCOUNTS[caller]).status_code == 302
    client.refresh_csrf()
    return client


def _order(route: tuple[str, str, Rule]) -> tuple[int, bool, str]:
    rule, method, _ = route
    return (LAST.index(rule) + 1 if rule in LAST else 0, method == "POST", rule)


def _routes(app: Flask) -> list[tuple[str, str, Rule]]:
    """(rule, method, the rule itself) for every route: GETs first, and last of
    all the writes that end what later requests need (the draft, the session)."""
    found = [
        (rule.rule, method, rule)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) & {"GET", "POST"}
        if not rule.endpoint.startswith(TEST_ONLY)
    ]
    return sorted(found, key=_order)


def _url(app: Flask, rule: Rule, world: dict[str, Any]) -> str:
    """The rule's URL with the world's record for each of its parts."""
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: world[name] for name in rule.arguments})


def _ask(client: Client, method: str, url: str) -> int:
    if method == "GET":
        return int(client.get(url).status_code)
    if url.startswith("/api/"):
        return int(client.post_json(url, {}).status_code)
    return int(client.post_form(url, {}).status_code)


# --- what each caller must get -------------------------------------------------------

# (rule, method) -> statuses for, in order: anonymous, carer, supervisor, manager,
# office, manager of SOUTH only, office of SOUTH only. Read a row as the rules
# (docs/features.md, DESIGN "Roles"): signed out is 302 to sign in (401 on the
# API); a role that may not use a page is 403; a NORTH record is 404 to SOUTH-only
# callers; the empty body of a permitted write is 422 (or 400, or 404 for a part
# of a record it names that is not there); 200/302/303 are pages and writes that
# need no answers. Spot-check templates are edited only by a manager of every
# branch (403 to the SOUTH-only manager).
# fmt: off
EXPECTED: dict[tuple[str, str], tuple[int, int, int, int, int, int, int]] = {
    ("/", "GET"):                                                     (302, 200, 200, 200, 200, 200, 200),
    ("/actions", "GET"):                                              (302, 200, 200, 200, 200, 200, 200),
    ("/actions", "POST"):                                             (302, 403, 422, 422, 403, 422, 403),
    ("/actions/<int:action_id>", "GET"):                              (302, 200, 200, 200, 200, 404, 404),
    ("/actions/<int:action_id>/carry", "POST"):                       (302, 403, 422, 422, 403, 404, 403),
    ("/actions/<int:action_id>/done", "POST"):                        (302, 422, 422, 422, 422, 404, 404),
    ("/actions/<int:action_id>/verify", "POST"):                      (302, 403, 403, 422, 403, 404, 403),
    ("/actions/new", "GET"):                                          (302, 403, 200, 200, 403, 200, 403),
    ("/actions/strength", "GET"):                                     (302, 200, 200, 200, 200, 200, 200),
    ("/api/v1/actions", "GET"):                                       (401, 200, 200, 200, 200, 200, 200),
    ("/api/v1/audits", "GET"):                                        (401, 200, 200, 200, 200, 200, 200),
    ("/api/v1/audits", "POST"):                                       (401, 422, 422, 422, 422, 422, 422),
    ("/api/v1/audits/<audit_id>", "GET"):                             (401, 200, 200, 200, 200, 404, 404),
    ("/api/v1/bulletins/<int:bulletin_id>/acknowledgements", "POST"): (401, 422, 422, 422, 422, 422, 422),
    ("/api/v1/incidents", "GET"):                                     (401, 200, 200, 200, 200, 200, 200),
    ("/api/v1/incidents", "POST"):                                    (401, 422, 422, 422, 422, 422, 422),
    ("/api/v1/incidents/<incident_id>", "GET"):                       (401, 200, 200, 200, 200, 404, 404),
    ("/api/v1/incidents/<incident_id>/attachments", "POST"):          (401, 422, 403, 422, 422, 404, 404),
    ("/attachments/<attachment_id>", "GET"):                          (302, 200, 200, 200, 200, 404, 404),
    ("/api/v1/openapi.json", "GET"):                                  (200, 200, 200, 200, 200, 200, 200),
    ("/api/v1/reference", "GET"):                                     (401, 200, 200, 200, 200, 200, 200),
    ("/api/v1/session", "GET"):                                       (401, 200, 200, 200, 200, 200, 200),
    ("/audits", "GET"):                                               (302, 200, 200, 200, 200, 200, 200),
    ("/audits", "POST"):                                              (302, 403, 404, 404, 403, 404, 403),
    ("/audits/<audit_id>", "GET"):                                    (302, 200, 200, 200, 200, 404, 404),
    ("/audits/<audit_id>/acknowledge", "POST"):                       (302, 303, 403, 403, 403, 404, 404),
    ("/audits/<audit_id>/actions", "POST"):                           (302, 403, 404, 404, 403, 404, 403),
    ("/audits/<audit_id>/verification", "POST"):                      (302, 403, 403, 303, 403, 404, 403),
    ("/audits/failure-rates", "GET"):                                 (302, 403, 200, 200, 200, 200, 200),
    ("/audits/new", "GET"):                                           (302, 403, 200, 200, 403, 200, 403),
    ("/audits/new/<slug>", "GET"):                                    (302, 403, 200, 200, 403, 200, 403),
    ("/audits/reaudit/<int:action_id>", "GET"):                       (302, 403, 200, 200, 403, 404, 403),
    ("/audits/reaudit/<int:action_id>/<slug>", "GET"):                (302, 403, 200, 200, 403, 404, 403),
    ("/audits/schedules", "GET"):                                     (302, 403, 200, 200, 200, 200, 200),
    ("/audits/schedules", "POST"):                                    (302, 403, 403, 422, 403, 422, 403),
    ("/audits/schedules/<int:schedule_id>/cancel", "POST"):           (302, 403, 403, 303, 403, 404, 403),
    ("/audits/templates", "GET"):                                     (302, 403, 403, 200, 403, 403, 403),
    ("/audits/templates", "POST"):                                    (302, 403, 403, 422, 403, 403, 403),
    ("/audits/templates/<slug>", "GET"):                              (302, 403, 403, 200, 403, 403, 403),
    ("/audits/templates/<slug>/draft", "POST"):                       (302, 403, 403, 303, 403, 403, 403),
    ("/audits/templates/<slug>/draft/details", "POST"):               (302, 403, 403, 422, 403, 403, 403),
    ("/audits/templates/<slug>/draft/discard", "POST"):               (302, 403, 403, 404, 403, 403, 403),
    ("/audits/templates/<slug>/draft/items", "POST"):                 (302, 403, 403, 422, 403, 403, 403),
    ("/audits/templates/<slug>/draft/items/<key>", "POST"):           (302, 403, 403, 422, 403, 403, 403),
    ("/audits/templates/<slug>/draft/items/<key>/move", "POST"):      (302, 403, 403, 400, 403, 403, 403),
    ("/audits/templates/<slug>/draft/items/<key>/restore", "POST"):   (302, 403, 403, 404, 403, 403, 403),
    ("/audits/templates/<slug>/draft/items/<key>/retire", "POST"):    (302, 403, 403, 303, 403, 403, 403),
    ("/audits/templates/<slug>/draft/publish", "POST"):               (302, 403, 403, 303, 403, 403, 403),
    ("/audits/templates/<slug>/preview", "GET"):                      (302, 403, 403, 200, 403, 403, 403),
    ("/branches", "GET"):                                             (302, 403, 403, 200, 403, 200, 403),
    ("/branches", "POST"):                                            (302, 403, 403, 422, 403, 422, 403),
    ("/branches/<int:branch_id>", "GET"):                             (302, 403, 403, 200, 403, 404, 403),
    ("/branches/<int:branch_id>", "POST"):                            (302, 403, 403, 422, 403, 404, 403),
    ("/branches/<int:branch_id>/archive", "POST"):                    (302, 403, 403, 422, 403, 404, 403),
    ("/branches/<int:branch_id>/restore", "POST"):                    (302, 403, 403, 302, 403, 404, 403),
    ("/bulletins", "GET"):                                            (302, 200, 200, 200, 200, 200, 200),
    ("/bulletins", "POST"):                                           (302, 403, 403, 422, 403, 422, 403),
    ("/bulletins/<int:bulletin_id>", "GET"):                          (302, 200, 200, 200, 200, 404, 404),
    ("/bulletins/<int:bulletin_id>/acknowledge", "POST"):             (302, 302, 302, 302, 302, 404, 404),
    ("/bulletins/<int:bulletin_id>/notes", "POST"):                   (302, 403, 422, 422, 403, 404, 403),
    ("/bulletins/new", "GET"):                                        (302, 403, 403, 200, 403, 200, 403),
    ("/case-studies", "GET"):                                         (302, 403, 403, 200, 403, 200, 403),
    ("/case-studies", "POST"):                                        (302, 403, 403, 422, 403, 422, 403),
    ("/case-studies/<int:case_study_id>", "GET"):                     (302, 403, 403, 200, 403, 404, 403),
    ("/case-studies/<int:case_study_id>", "POST"):                    (302, 403, 403, 422, 403, 404, 403),
    ("/case-studies/<int:case_study_id>/case-study.html", "GET"):     (302, 403, 403, 200, 403, 404, 403),
    ("/case-studies/<int:case_study_id>/case-study.md", "GET"):       (302, 403, 403, 200, 403, 404, 403),
    ("/case-studies/<int:case_study_id>/check", "GET"):               (302, 403, 403, 200, 403, 404, 403),
    ("/case-studies/<int:case_study_id>/check", "POST"):              (302, 403, 403, 422, 403, 404, 403),
    ("/exports", "GET"):                                              (302, 403, 403, 200, 200, 200, 200),
    ("/exports/<what>.csv", "GET"):                                   (302, 403, 403, 422, 422, 422, 422),
    ("/exports/<what>.xlsx", "GET"):                                  (302, 403, 403, 422, 422, 422, 422),
    ("/exports/commissioner.pdf", "GET"):                             (302, 403, 403, 422, 422, 422, 422),
    ("/exports/cqc.pdf", "GET"):                                      (302, 403, 403, 422, 422, 422, 422),
    ("/governance", "GET"):                                           (302, 403, 403, 200, 403, 200, 403),
    ("/governance/denominators", "GET"):                              (302, 403, 403, 200, 403, 200, 403),
    ("/governance/denominators", "POST"):                             (302, 403, 403, 422, 403, 422, 403),
    ("/governance/meetings", "GET"):                                  (302, 403, 403, 200, 403, 200, 403),
    ("/governance/meetings", "POST"):                                 (302, 403, 403, 422, 403, 422, 403),
    ("/governance/meetings/<int:meeting_id>", "GET"):                 (302, 403, 403, 200, 403, 404, 403),
    ("/governance/meetings/<int:meeting_id>/pack", "GET"):            (302, 403, 403, 200, 403, 404, 403),
    ("/governance/meetings/<int:meeting_id>/pack.html", "GET"):       (302, 403, 403, 200, 403, 404, 403),
    ("/governance/meetings/<int:meeting_id>/pack.pdf", "GET"):        (302, 403, 403, 200, 403, 404, 403),
    ("/governance/pack.pdf", "GET"):                                  (302, 403, 403, 422, 403, 422, 403),
    ("/governance/meetings/new", "GET"):                              (302, 403, 403, 200, 403, 200, 403),
    ("/governance/recalculations", "POST"):                           (302, 403, 403, 422, 403, 422, 403),
    ("/governance/recalculations/<int:recalculation_id>/delete", "POST"): (302, 403, 403, 303, 403, 404, 403),
    ("/healthz", "GET"):                                              (200, 200, 200, 200, 200, 200, 200),
    ("/imports", "GET"):                                              (302, 403, 403, 200, 200, 200, 200),
    ("/imports/people", "POST"):                                      (302, 403, 403, 422, 422, 422, 422),
    ("/imports/people/confirm", "POST"):                              (302, 403, 403, 422, 422, 422, 422),
    ("/imports/staff", "POST"):                                       (302, 403, 403, 422, 403, 422, 403),
    ("/imports/staff/confirm", "POST"):                               (302, 403, 403, 422, 403, 422, 403),
    ("/incidents", "GET"):                                            (302, 200, 200, 200, 200, 200, 200),
    ("/incidents/looked-at", "POST"):                                 (302, 403, 403, 403, 422, 403, 422),
    ("/incidents/<incident_id>", "GET"):                              (302, 200, 200, 200, 200, 404, 404),
    ("/incidents/<incident_id>/record.pdf", "GET"):                   (302, 403, 403, 200, 200, 404, 404),
    ("/incidents/<incident_id>/chase", "GET"):                        (302, 403, 403, 200, 200, 404, 404),
    ("/incidents/<incident_id>/chase", "POST"):                       (302, 403, 403, 422, 422, 404, 404),
    ("/incidents/<incident_id>/close", "POST"):                       (302, 403, 403, 422, 403, 404, 403),
    ("/incidents/<incident_id>/decisions/<int:decision_id>", "GET"):  (302, 403, 403, 200, 403, 404, 404),
    ("/incidents/<incident_id>/decisions/<int:decision_id>", "POST"): (302, 403, 403, 422, 403, 404, 404),
    ("/incidents/<incident_id>/details", "GET"):                      (302, 403, 403, 200, 200, 404, 404),
    ("/incidents/<incident_id>/duties/new", "GET"):                   (302, 403, 403, 200, 403, 404, 404),
    ("/incidents/<incident_id>/duties/new", "POST"):                  (302, 403, 403, 422, 403, 404, 404),
    ("/incidents/<incident_id>/details", "POST"):                     (302, 403, 403, 422, 422, 404, 404),
    ("/incidents/<incident_id>/learning", "GET"):                     (302, 403, 200, 200, 200, 404, 404),
    ("/incidents/<incident_id>/sent", "GET"):                         (302, 200, 200, 200, 403, 404, 403),
    ("/incidents/<incident_id>/staff-injury", "GET"):                 (302, 403, 403, 200, 403, 404, 404),
    ("/incidents/<incident_id>/staff-injury", "POST"):                (302, 403, 403, 422, 403, 404, 404),
    ("/incidents/<incident_id>/triage", "GET"):                       (302, 403, 403, 200, 403, 404, 404),
    ("/incidents/<incident_id>/triage", "POST"):                      (302, 403, 403, 422, 403, 404, 404),
    ("/incidents/new", "GET"):                                        (302, 200, 200, 200, 403, 200, 403),
    ("/incidents/new", "POST"):                                       (302, 422, 422, 422, 403, 422, 403),
    ("/invitations/<token>", "GET"):                                  (200, 200, 200, 200, 200, 200, 200),
    ("/invitations/<token>", "POST"):                                 (422, 422, 422, 422, 422, 422, 422),
    ("/account/password", "GET"):                                     (302, 200, 200, 200, 200, 200, 200),
    ("/account/password", "POST"):                                    (302, 422, 422, 422, 422, 422, 422),
    ("/account/push/subscribe", "POST"):                              (401, 422, 422, 422, 422, 422, 422),
    ("/account/push/unsubscribe", "POST"):                            (401, 422, 422, 422, 422, 422, 422),
    ("/account/two-factor", "GET"):                                   (302, 200, 200, 200, 200, 200, 200),
    ("/account/two-factor", "POST"):                                  (302, 422, 422, 422, 422, 422, 422),
    ("/account/two-factor/off", "POST"):                              (302, 302, 302, 302, 302, 302, 302),
    ("/account/two-factor/recovery-codes", "POST"):                   (302, 302, 302, 302, 302, 302, 302),
    ("/account/messages", "GET"):                                     (302, 200, 200, 200, 200, 200, 200),
    ("/account/messages", "POST"):                                    (302, 422, 422, 422, 422, 422, 422),
    ("/messages/not-delivered", "GET"):                               (302, 403, 403, 200, 403, 200, 403),
    ("/messages/<int:message_id>/resend", "POST"):                    (302, 403, 403, 302, 403, 404, 403),
    ("/login", "GET"):                                                (200, 302, 302, 302, 302, 302, 302),
    ("/login", "POST"):                                               (422, 422, 422, 422, 422, 422, 422),
    ("/login/code", "GET"):                                           (302, 302, 302, 302, 302, 302, 302),
    ("/login/code", "POST"):                                          (302, 302, 302, 302, 302, 302, 302),
    ("/login/two-factor", "GET"):                                     (302, 302, 302, 302, 302, 302, 302),
    ("/login/two-factor", "POST"):                                    (302, 302, 302, 302, 302, 302, 302),
    ("/logout", "POST"):                                              (302, 302, 302, 302, 302, 302, 302),
    ("/manifest.webmanifest", "GET"):                                 (200, 200, 200, 200, 200, 200, 200),
    ("/offline", "GET"):                                              (200, 200, 200, 200, 200, 200, 200),
    ("/outbox", "GET"):                                               (302, 200, 200, 200, 200, 200, 200),
    ("/patterns", "GET"):                                             (302, 403, 403, 200, 403, 200, 403),
    ("/on-call", "GET"):                                              (302, 403, 403, 200, 403, 200, 403),
    ("/on-call", "POST"):                                             (302, 403, 403, 422, 403, 422, 403),
    ("/on-call/<int:shift_id>/remove", "POST"):                       (302, 403, 403, 302, 403, 404, 403),
    ("/people", "GET"):                                               (302, 403, 403, 200, 200, 200, 200),
    ("/people", "POST"):                                              (302, 403, 403, 422, 422, 422, 422),
    ("/people/<int:person_id>", "GET"):                               (302, 403, 403, 200, 200, 404, 404),
    ("/people/<int:person_id>", "POST"):                              (302, 403, 403, 422, 422, 404, 404),
    ("/people/<int:person_id>/archive", "POST"):                      (302, 403, 403, 422, 422, 404, 404),
    ("/people/<int:person_id>/move", "POST"):                         (302, 403, 403, 422, 422, 404, 404),
    ("/people/<int:person_id>/restore", "POST"):                      (302, 403, 403, 302, 302, 404, 404),
    ("/reviews", "GET"):                                              (302, 403, 200, 200, 200, 200, 200),
    ("/reviews", "POST"):                                             (302, 403, 422, 422, 403, 422, 403),
    ("/reviews/<int:review_id>", "GET"):                              (302, 403, 200, 200, 200, 404, 404),
    ("/reviews/<int:review_id>", "POST"):                             (302, 403, 422, 422, 403, 404, 403),
    ("/reviews/new", "GET"):                                          (302, 403, 200, 200, 403, 200, 403),
    ("/saved", "GET"):                                                (200, 200, 200, 200, 200, 200, 200),
    ("/service-worker.js", "GET"):                                    (200, 200, 200, 200, 200, 200, 200),
    ("/static/<path:filename>", "GET"):                               (200, 200, 200, 200, 200, 200, 200),
    ("/trail", "GET"):                                                (302, 403, 403, 200, 403, 200, 403),
    ("/trail/export.csv", "GET"):                                     (302, 403, 403, 200, 403, 200, 403),
    ("/users", "GET"):                                                (302, 403, 403, 200, 403, 200, 403),
    ("/users", "POST"):                                               (302, 403, 403, 422, 403, 422, 403),
    ("/users/<int:user_id>", "GET"):                                  (302, 403, 403, 200, 403, 404, 403),
    ("/users/<int:user_id>", "POST"):                                 (302, 403, 403, 422, 403, 404, 403),
    ("/users/<int:user_id>/reset-password", "POST"):                  (302, 403, 403, 200, 403, 404, 403),
    ("/users/<int:user_id>/team", "POST"):                            (302, 403, 403, 302, 403, 404, 403),
    ("/users/<int:user_id>/two-factor/reset", "POST"):                (302, 403, 403, 303, 403, 404, 403),
    ("/users/teams", "POST"):                                         (302, 403, 403, 422, 403, 422, 403),
    ("/users/teams/<int:team_id>/active", "POST"):                    (302, 403, 403, 302, 403, 404, 403),
}
# fmt: on


def test_every_route_has_an_entry(app: Flask) -> None:
    """A route added without an entry here fails, and so does an entry whose
    route has gone."""
    routes = {(rule, method) for rule, method, _ in _routes(app)}
    assert sorted(routes - set(EXPECTED)) == [], "routes with no expected statuses"
    assert sorted(set(EXPECTED) - routes) == [], "expected statuses for routes that are gone"


@pytest.mark.parametrize("caller", CALLERS)
def test_every_route_answers_each_caller_as_expected(app: Flask, world, caller: str) -> None:
    client = _client(app, caller)
    column = CALLERS.index(caller)
    wrong = []
    for rule, method, route in _routes(app):
        expected = EXPECTED[(rule, method)][column]
        got = _ask(client, method, _url(app, route, world))
        if got != expected:
            wrong.append(f"{method} {rule}: {got}, expected {expected}")
    assert wrong == []
