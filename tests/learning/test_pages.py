"""The learning pages through HTTP: who may open what, forms that refuse bad
answers with the values kept, htmx fragments, downloads, and text users typed
always escaped."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from actions import records
from actions.models import Action
from core import dates
from core.models import User
from extensions import db
from incidents.models import Incident
from learning import bulletins, case_studies, reviews
from learning.models import Bulletin, LearningReview
from tests.learning.conftest import add_action, complete_review, make_incident

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _user(key: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == f"{key}@example.com"))


def _arrange(app: Flask, fn) -> Any:
    with app.app_context():
        result = fn()
        db.session.remove()
        return result


def _incident(app: Flask, key: str = "carer1", **changes) -> str:
    return _arrange(app, lambda: make_incident(_user(key), **changes).id)


def _reviewed(app: Flask, **answers) -> tuple[str, int]:
    def go():
        incident = make_incident(_user("carer1"))
        review = complete_review(_user("manager"), [incident], **answers)
        return incident.id, review.id

    return _arrange(app, go)


PAGES = [
    "/reviews",
    "/reviews/new",
    "/actions",
    "/actions/new",
    "/patterns",
    "/bulletins",
    "/bulletins/new",
    "/case-studies",
]
ALLOWED = {
    "carer1": {"/actions", "/bulletins"},
    "supervisor": {"/reviews", "/reviews/new", "/actions", "/actions/new", "/bulletins"},
    "manager": set(PAGES),
    "office": {"/reviews", "/actions", "/bulletins"},
}


@pytest.mark.parametrize("key", list(ALLOWED))
@pytest.mark.parametrize("page", PAGES)
def test_who_may_open_each_page(sign_in, key, page):
    status = sign_in(key).get(page).status_code
    assert status == (200 if page in ALLOWED[key] else 403)


@pytest.mark.parametrize("page", PAGES)
def test_signed_out_goes_to_sign_in(client, seeded, page):
    response = client.get(page)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_home_pages_show_learning_sections(app, sign_in):
    incident_id = _incident(app)

    def arrange():
        action = add_action(
            _user("manager"),
            "incident",
            incident_id,
            owner=_user("carer1"),
            due=dates.uk_today() + timedelta(days=2),
        )
        bulletins.new_bulletin(
            _user("manager"),
            {
                "title": "Safer handovers",
                "what_happened": "A dose was missed.",
                "what_learned": "Details get lost.",
                "what_changes": "Use the checklist.",
                "branch_ids": [action.branch_id],
                "roles": [],
                "review_ids": [],
            },
        )

    _arrange(app, arrange)
    carer_home = sign_in("carer1").get("/").get_data(as_text=True)
    assert "New learning to read" in carer_home
    assert "Safer handovers" in carer_home
    assert "Your actions" in carer_home
    manager_home = sign_in("manager").get("/").get_data(as_text=True)
    assert "Patterns" in manager_home
    assert "New learning to read" in manager_home  # managers of the branch are staff too


# --- reviews through the pages ----------------------------------------------------------------


def test_start_a_review_from_the_form(app, sign_in):
    incident_id = _incident(app)
    manager = sign_in("manager")
    assert incident_id in manager.get(f"/reviews/new?incident={incident_id}").get_data(as_text=True)
    response = manager.post_form(
        "/reviews", {"method": "root_cause", "incident_ids": [incident_id]}
    )
    assert response.status_code == 302
    review_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = manager.get(f"/reviews/{review_id}").get_data(as_text=True)
    assert "What conditions made it more likely?" in page


def test_a_review_form_without_a_method_is_422_with_the_choice_kept(app, sign_in):
    incident_id = _incident(app)
    response = sign_in("manager").post_form("/reviews", {"incident_ids": [incident_id]})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose how to review this." in html
    assert re.search(rf'value="{incident_id}"\s+checked', html)
    assert (
        _arrange(app, lambda: db.session.scalar(db.select(db.func.count(LearningReview.id)))) == 0
    )


def test_completing_with_answers_missing_is_422_and_keeps_what_was_typed(app, sign_in):
    incident_id = _incident(app)
    review_id = _arrange(
        app, lambda: reviews.start_review(_user("manager"), "huddle", [incident_id]).id
    )
    manager = sign_in("manager")
    response = manager.post_form(
        f"/reviews/{review_id}", {"intent": "complete", "what_happened": "Dose missed at 18:00."}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Say what the team learned." in html
    assert "Dose missed at 18:00." in html
    assert _arrange(app, lambda: db.session.get(LearningReview, review_id).status) == "in_progress"


def test_completing_a_review_from_the_page(app, sign_in):
    incident_id = _incident(app)
    review_id = _arrange(
        app, lambda: reviews.start_review(_user("manager"), "huddle", [incident_id]).id
    )
    response = sign_in("manager").post_form(
        f"/reviews/{review_id}",
        {
            "intent": "complete",
            "what_happened": "Missed dose.",
            "lessons": "Handovers lose details.",
            "changes": "Checklist.",
            "conditions": ["handover"],
        },
    )
    assert response.status_code == 302
    assert _arrange(app, lambda: db.session.get(Incident, incident_id).status) == "actions_agreed"


def test_a_stale_review_form_is_409_and_keeps_the_answers(app, sign_in):
    incident_id = _incident(app)
    review_id = _arrange(
        app, lambda: reviews.start_review(_user("manager"), "huddle", [incident_id]).id
    )
    manager = sign_in("manager")
    manager.post_form(
        f"/reviews/{review_id}", {"intent": "save", "what_happened": "First", "version": "1"}
    )
    response = manager.post_form(
        f"/reviews/{review_id}", {"intent": "save", "what_happened": "Mine", "version": "1"}
    )
    assert response.status_code == 409
    assert "Someone else changed this" in response.get_data(as_text=True)
    assert ">Mine</textarea>" in response.get_data(as_text=True)


def test_a_review_outside_scope_is_404(app, sign_in):
    def arrange():
        north = make_incident(_user("carer1"))
        south = make_incident(_user("carer3"), person_ref="P-0011")
        return reviews.start_review(_user("manager"), "thematic", [north.id, south.id]).id

    review_id = _arrange(app, arrange)
    assert sign_in("supervisor").get(f"/reviews/{review_id}").status_code == 404
    assert sign_in("manager").get(f"/reviews/{review_id}").status_code == 200


# --- actions through the pages ---------------------------------------------------------------


def test_add_an_action_to_a_review_and_back(app, sign_in):
    _, review_id = _reviewed(app)
    manager = sign_in("manager")
    form = manager.get(f"/actions/new?source_type=review&source_id={review_id}").get_data(
        as_text=True
    )
    owner_id = _arrange(app, lambda: _user("supervisor").id)
    response = manager.post_form(
        "/actions",
        {
            "source_type": "review",
            "source_id": str(review_id),
            "title": "Remind staff to check the MAR",
            "owner_id": owner_id,
            "due": "2099-01-31",
            "verification": "sample",
            "sample_size": "5",
        },
    )
    assert "Add an action" in form
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/reviews/{review_id}")
    review_page = manager.get(f"/reviews/{review_id}").get_data(as_text=True)
    assert "Only reminders or training so far" in review_page
    action = _arrange(app, lambda: db.session.scalar(db.select(Action)))
    assert (action.sample_size, action.requires_verification) == (5, True)


def test_a_bad_action_is_422_with_values_kept(app, sign_in):
    incident_id = _incident(app)
    response = sign_in("manager").post_form(
        "/actions",
        {
            "source_type": "incident",
            "source_id": incident_id,
            "title": "Change the rota",
            "owner_id": "999",
            "due": "2020-01-01",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The due date cannot be in the past." in html
    assert "Choose an owner who works in this branch." in html
    assert 'value="Change the rota"' in html


@pytest.mark.parametrize("source_id", ["\u00b2", "\u0663", "99999999999999999999"])
def test_an_odd_meeting_number_is_a_meeting_name_not_a_crash(sign_in, source_id):
    """Issue 12, finding 6: "²".isdigit() is true but int("²") fails (500). A
    meeting source that is not an id in ASCII digits is the name of a meeting
    held outside Candour, as typed."""
    manager = sign_in("manager")
    form = manager.get(f"/actions/new?source_type=meeting&source_id={source_id}")
    assert form.status_code == 200
    response = manager.post_form(
        "/actions",
        {"source_type": "meeting", "source_id": source_id, "title": "Change the rota"},
    )
    # The manager has two branches: the form asks which one, with the name kept.
    assert response.status_code == 422
    assert "branch" in response.get_data(as_text=True).lower()


def test_the_weak_action_hint_as_a_fragment(sign_in):
    manager = sign_in("manager")
    weak = manager.get("/actions/strength?title=Remind+staff", headers={"HX-Request": "true"})
    assert 'data-testid="weak-action"' in weak.get_data(as_text=True)
    strong = manager.get(
        "/actions/strength?title=New+handover+checklist", headers={"HX-Request": "true"}
    )
    assert 'data-testid="weak-action"' not in strong.get_data(as_text=True)


def test_the_owner_marks_done_and_the_manager_verifies(app, sign_in):
    incident_id = _incident(app)
    action_id = _arrange(
        app, lambda: add_action(_user("manager"), "incident", incident_id, owner=_user("carer1")).id
    )
    carer = sign_in("carer1")
    assert carer.post_form(f"/actions/{action_id}/done", {"evidence": " "}).status_code == 422
    assert (
        carer.post_form(f"/actions/{action_id}/done", {"evidence": "Checklist used."}).status_code
        == 302
    )
    assert (
        carer.post_form(f"/actions/{action_id}/verify", {"outcome": "effective"}).status_code == 403
    )
    assert (
        sign_in("manager")
        .post_form(f"/actions/{action_id}/verify", {"outcome": "effective"})
        .status_code
        == 302
    )
    assert _arrange(app, lambda: db.session.get(Action, action_id).status) == "verified_effective"


def test_an_action_another_carer_owns_is_404(app, sign_in):
    incident_id = _incident(app)
    action_id = _arrange(
        app, lambda: add_action(_user("manager"), "incident", incident_id, owner=_user("carer1")).id
    )
    assert sign_in("carer2").get(f"/actions/{action_id}").status_code == 404


# --- closing through the page ----------------------------------------------------------------------


def test_closing_without_a_review_shows_why_then_closes_with_a_reason(app, sign_in):
    incident_id = _incident(app)
    manager = sign_in("manager")
    refused = manager.post_form(f"/incidents/{incident_id}/close", {})
    assert refused.status_code == 422
    assert "or record why no review is needed" in refused.get_data(as_text=True)
    assert "Before closing, write what was learned" in refused.get_data(as_text=True)
    closed = manager.post_form(
        f"/incidents/{incident_id}/close",
        {
            "no_review_reason": "A duplicate report.",
            "feedback": "Thank you: it was already in hand.",
        },
    )
    assert closed.status_code == 302
    assert _arrange(app, lambda: db.session.get(Incident, incident_id).status) == "closed"


def test_the_incident_learning_page_is_404_out_of_scope(app, sign_in):
    south = _incident(app, "carer3", person_ref="P-0011")
    assert sign_in("supervisor").get(f"/incidents/{south}/learning").status_code == 404
    assert sign_in("supervisor").get("/incidents/not-a-uuid/learning").status_code == 404


# --- bulletins through the pages --------------------------------------------------------------------


def _bulletin(app: Flask, **changes) -> int:
    def arrange():
        north = _user("carer1").branches[0]
        data = {
            "title": "Safer handovers",
            "what_happened": "A dose was missed.",
            "what_learned": "Details get lost.",
            "what_changes": "Use the checklist.",
            "branch_ids": [north.id],
            "roles": [],
            "review_ids": [],
            **changes,
        }
        return bulletins.new_bulletin(_user("manager"), data).id

    return _arrange(app, arrange)


def test_write_a_bulletin_from_a_review(app, sign_in):
    _, review_id = _reviewed(app)
    manager = sign_in("manager")
    form = manager.get(f"/bulletins/new?review={review_id}").get_data(as_text=True)
    assert "Verbal handovers lose time-critical details." in form
    north = _arrange(app, lambda: _user("carer1").branches[0].id)
    response = manager.post_form(
        "/bulletins",
        {
            "title": "Safer handovers",
            "what_happened": "A dose was missed.",
            "what_learned": "Details.",
            "what_changes": "Checklist.",
            "branch_ids": [north],
            "review_ids": [review_id],
        },
    )
    assert response.status_code == 302


def test_a_bulletin_naming_someone_is_422(app, sign_in):
    north = _arrange(app, lambda: _user("carer1").branches[0].id)
    response = sign_in("manager").post_form(
        "/bulletins",
        {
            "title": "Handovers",
            "what_happened": "P-0004 missed a dose.",
            "what_learned": "Details.",
            "what_changes": "Checklist.",
            "branch_ids": [north],
        },
    )
    assert response.status_code == 422
    assert "Check the highlighted details before sending: “P-0004”." in response.get_data(
        as_text=True
    )
    assert _arrange(app, lambda: db.session.scalar(db.select(db.func.count(Bulletin.id)))) == 0


def test_acknowledging_with_htmx_answers_the_fragment(app, sign_in):
    bulletin_id = _bulletin(app)
    carer = sign_in("carer1")
    page = carer.get(f"/bulletins/{bulletin_id}").get_data(as_text=True)
    assert "I have read and understood this" in page
    response = carer.post_form(
        f"/bulletins/{bulletin_id}/acknowledge", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="acknowledge"')
    assert "You confirmed you read this" in fragment
    assert "<html" not in fragment


def test_acknowledging_without_javascript_redirects_back(app, sign_in):
    bulletin_id = _bulletin(app)
    response = sign_in("carer1").post_form(f"/bulletins/{bulletin_id}/acknowledge")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/bulletins/{bulletin_id}")


def test_the_manager_sees_who_has_read_it(app, sign_in):
    bulletin_id = _bulletin(app)
    sign_in("carer1").post_form(f"/bulletins/{bulletin_id}/acknowledge")
    html = sign_in("manager").get(f"/bulletins/{bulletin_id}").get_data(as_text=True)
    assert re.search(r'data-reader="carer1@example.com".*?\d{2} \w{3} \d{4}', html, re.S)
    assert re.search(r'data-reader="carer2@example.com".*?Not yet', html, re.S)


def test_a_bulletin_for_another_branch_is_404(app, sign_in):
    bulletin_id = _bulletin(app)
    assert sign_in("carer3").get(f"/bulletins/{bulletin_id}").status_code == 404


def test_a_form_without_its_csrf_token_is_refused(app, sign_in):
    bulletin_id = _bulletin(app)
    carer = sign_in("carer1")
    response = carer.http.post(f"/bulletins/{bulletin_id}/acknowledge")
    assert response.status_code == 400


# --- case studies through the pages ------------------------------------------------------------------


def test_draft_edit_and_download_a_case_study(app, sign_in):
    incident_id, _ = _reviewed(app)
    manager = sign_in("manager")
    response = manager.post_form("/case-studies", {"incident_id": incident_id})
    assert response.status_code == 302
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    saved = manager.post_form(
        f"/case-studies/{case_id}",
        {
            "title": "Safer handovers",
            "event": "A dose was missed.",
            "review_process": "Root cause.",
            "action_taken": "- Checklist",
            "what_changed": "Handovers are written.",
            "evidence": "- Re-audit 100%",
            "version": "1",
        },
    )
    assert saved.status_code == 302
    md = manager.get(f"/case-studies/{case_id}/case-study.md")
    assert md.mimetype == "text/markdown"
    assert "attachment" in md.headers["Content-Disposition"]
    assert md.get_data(as_text=True).startswith(
        "# Safer handovers\n\n## The event\n\nA dose was missed."
    )
    word = manager.get(f"/case-studies/{case_id}/case-study.html")
    html = word.get_data(as_text=True)
    assert "attachment" in word.headers["Content-Disposition"]
    assert "<ul><li>Checklist</li></ul>" in html
    assert "<h2>How we know it worked</h2>" in html
    assert "script-src" not in word.headers["Content-Security-Policy"]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_case_study_downloads_are_not_stored_and_typed_html_does_not_run(app, sign_in, fmt):
    incident_id, _ = _reviewed(app)
    manager = sign_in("manager")
    case_id = int(
        manager.post_form("/case-studies", {"incident_id": incident_id})
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    manager.post_form(
        f"/case-studies/{case_id}", {"title": "Handovers", "event": XSS, "version": "1"}
    )
    response = manager.get(f"/case-studies/{case_id}/case-study.{fmt}")
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert "<script" not in body
    assert "<img" not in body
    assert "&lt;script&gt;" in body


def test_a_case_study_warns_about_names_left_in(app, sign_in):
    incident_id, _ = _reviewed(app)
    manager = sign_in("manager")
    case_id = int(
        manager.post_form("/case-studies", {"incident_id": incident_id})
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    manager.post_form(f"/case-studies/{case_id}", {"title": "About P-0007", "version": "1"})
    html = manager.get(f"/case-studies/{case_id}").get_data(as_text=True)
    assert 'data-testid="anonymity-warnings"' in html
    assert "<li>P-0007</li>" in html


# --- escaping of text people typed ---------------------------------------------------------------------


def _assert_escaped(html: str, shown: bool = True) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    if shown:
        assert (
            "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
            or "&lt;script&gt;alert(&quot;x&quot;)" in html
        )


def test_user_text_is_escaped_on_every_learning_page(app, sign_in):
    def arrange():
        incident = make_incident(_user("carer1"), what_happened=XSS)
        review = complete_review(
            _user("manager"), [incident], "root_cause", why=XSS, lessons=XSS, changes=XSS
        )
        action = add_action(_user("manager"), "review", str(review.id), title=XSS[:200], detail=XSS)
        records.mark_done(_user("manager"), action, XSS)
        north = incident.branch_id
        bulletin = bulletins.new_bulletin(
            _user("manager"),
            {
                "title": XSS[:120],
                "what_happened": XSS,
                "what_learned": XSS,
                "what_changes": XSS,
                "branch_ids": [north],
                "roles": [],
                "review_ids": [review.id],
            },
        )
        case = case_studies.draft_case_study(_user("manager"), incident.id)
        return incident.id, review.id, action.id, bulletin.id, case.id

    incident_id, review_id, action_id, bulletin_id, case_id = _arrange(app, arrange)
    manager = sign_in("manager")
    for url in (
        f"/incidents/{incident_id}/learning",
        f"/reviews/{review_id}",
        f"/actions/{action_id}",
        "/actions?view=all",
        f"/bulletins/{bulletin_id}",
        "/bulletins",
        f"/case-studies/{case_id}",
        f"/case-studies/{case_id}/case-study.html",
        "/",
    ):
        _assert_escaped(manager.get(url).get_data(as_text=True))
    _assert_escaped(manager.get("/reviews").get_data(as_text=True), shown=False)
    _assert_escaped(sign_in("carer1").get("/").get_data(as_text=True))


def test_the_bulletin_list_counts_who_has_read_each(app, sign_in):
    bulletin_id = _bulletin(app)
    carers_only = _bulletin(app, title="For carers", roles=["carer"])
    sign_in("carer1").post_form(f"/bulletins/{bulletin_id}/acknowledge")
    sign_in("carer2").post_form(f"/bulletins/{carers_only}/acknowledge")
    html = sign_in("manager").get("/bulletins").get_data(as_text=True)
    # NORTH: two carers, the supervisor, the manager and office (who cover both).
    first = re.search(rf'data-bulletin-id="{bulletin_id}".*?</li>', html, re.S).group(0)
    assert "read by 1 of 5" in first
    second = re.search(rf'data-bulletin-id="{carers_only}".*?</li>', html, re.S).group(0)
    assert "read by 1 of 2" in second
