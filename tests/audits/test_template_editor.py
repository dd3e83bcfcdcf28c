"""The manager's template editor pages: add, reorder, retire, publish, preview."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from audits import template_versions
from audits.models import AuditTemplate
from extensions import db
from tests.conftest import sign_in_new_account

SLUG = "medication-spot-check"


def _draft_keys(app: Flask) -> list[str]:
    with app.app_context():
        draft = template_versions.draft_of(SLUG)
        return [i.key for i in draft.items] if draft else []


@pytest.fixture
def editing(app: Flask, sign_in, templates):
    manager = sign_in("manager")
    assert manager.post_form(f"/audits/templates/{SLUG}/draft").status_code == 303
    return manager


@pytest.mark.parametrize("key", ["supervisor", "office", "carer1"])
def test_only_managers_use_the_editor(sign_in, templates, key):
    client = sign_in(key)
    assert client.get("/audits/templates").status_code == 403
    assert client.get(f"/audits/templates/{SLUG}").status_code == 403
    assert client.post_form(f"/audits/templates/{SLUG}/draft").status_code == 403


def test_the_list_shows_each_template_and_its_version(sign_in, templates):
    html = sign_in("manager").get("/audits/templates").get_data(as_text=True)
    assert html.count('class="app-result"') == 4
    assert "version 1 · 10 questions" in html


def test_the_editor_of_an_unknown_template_is_404(sign_in, templates):
    assert sign_in("manager").get("/audits/templates/nope").status_code == 404


def test_make_changes_starts_a_draft_of_version_2(app: Flask, editing):
    html = editing.get(f"/audits/templates/{SLUG}").get_data(as_text=True)
    assert "editing the draft of <strong>version 2</strong>" in html
    assert len(_draft_keys(app)) == 10


def test_add_a_question(app: Flask, editing):
    response = editing.post_form(
        f"/audits/templates/{SLUG}/draft/items",
        {
            "text": "Gloves worn for creams and patches",
            "section": "Before giving",
            "guidance": "Protects the carer and the person.",
            "answer_set": "yes_no",
            "weight": "2",
            "critical": "true",
        },
    )
    assert response.status_code == 303
    assert _draft_keys(app)[-1] == "gloves-worn-for-creams-and-patches"
    with app.app_context():
        item = template_versions.draft_of(SLUG).items[-1]
        assert (item.weight, item.critical, item.note_required_when_failed) == (2, True, False)


@pytest.mark.parametrize(
    ("fields", "error"),
    [({"text": ""}, "Write the question"), ({"text": "Ok", "weight": "11"}, "from 1 to 10")],
)
def test_a_bad_question_is_refused_and_nothing_is_added(app: Flask, editing, fields, error):
    response = editing.post_form(f"/audits/templates/{SLUG}/draft/items", fields)
    assert response.status_code == 422
    assert error in response.get_data(as_text=True)
    assert len(_draft_keys(app)) == 10


def test_move_retire_and_bring_back(app: Flask, editing):
    base = f"/audits/templates/{SLUG}/draft/items"
    editing.post_form(f"{base}/right-medicine/move", {"direction": "up"})
    assert _draft_keys(app)[:2] == ["right-medicine", "right-person"]
    editing.post_form(f"{base}/storage-safe/retire")
    assert "storage-safe" not in _draft_keys(app)
    html = editing.get(f"/audits/templates/{SLUG}").get_data(as_text=True)
    assert 'data-testid="retired-items"' in html
    editing.post_form(f"{base}/storage-safe/restore")
    assert _draft_keys(app)[-1] == "storage-safe"


def test_a_bad_move_direction_is_400(editing):
    url = f"/audits/templates/{SLUG}/draft/items/right-person/move"
    assert editing.post_form(url, {"direction": "sideways"}).status_code == 400


def test_change_a_question(app: Flask, editing):
    editing.post_form(
        f"/audits/templates/{SLUG}/draft/items/right-time",
        {"text": "Right time, as the MAR chart says", "weight": "3", "answer_set": "yes_no"},
    )
    with app.app_context():
        assert (
            template_versions.draft_of(SLUG).item("right-time").text
            == "Right time, as the MAR chart says"
        )
        assert template_versions.template_version(SLUG, 1).item("right-time").weight == 2


def test_publish_makes_the_new_version_the_one_supervisors_get(app: Flask, sign_in, editing):
    editing.post_form(f"/audits/templates/{SLUG}/draft/items/storage-safe/retire")
    assert editing.post_form(f"/audits/templates/{SLUG}/draft/publish").status_code == 303
    form = sign_in("supervisor").get(f"/audits/new/{SLUG}").get_data(as_text=True)
    assert 'name="template_version" value="2"' in form
    assert "storage-safe" not in form
    with app.app_context():
        assert template_versions.draft_of(SLUG) is None


def test_discard_a_draft(app: Flask, editing):
    assert editing.post_form(f"/audits/templates/{SLUG}/draft/discard").status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuditTemplate.id))) == 4


def test_a_new_template_from_the_page(app: Flask, sign_in, templates):
    manager = sign_in("manager")
    response = manager.post_form(
        "/audits/templates", {"title": "Moving and handling", "slug": "", "pass_mark": "90"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/audits/templates/moving-and-handling")
    bad = manager.post_form("/audits/templates", {"title": "", "slug": "Bad Slug!"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'href="#field-title"' in html
    assert 'href="#field-slug"' in html


def test_preview_as_on_a_phone(sign_in, editing):
    html = editing.get(f"/audits/templates/{SLUG}/preview?version=2").get_data(as_text=True)
    assert 'data-testid="phone-preview"' in html
    assert "Preview of version 2 (draft)" in html
    assert html.count('name="answers.') >= 30  # item, answer x3, note for each question
    assert re.search(r"<button[^>]*disabled", html)
    assert "csrf_token" not in html.split('data-testid="phone-preview"')[1].split("</form>")[0]


def test_editing_is_in_the_audit_trail(app: Flask, editing):
    editing.post_form(f"/audits/templates/{SLUG}/draft/items/storage-safe/retire")
    editing.post_form(f"/audits/templates/{SLUG}/draft/publish")
    from core.models import TrailEvent

    with app.app_context():
        events = [
            (e.action, e.record_id, e.detail)
            for e in db.session.scalars(db.select(TrailEvent).order_by(TrailEvent.id))
        ]
    assert ("create", f"{SLUG}@2", {"draft_of": 1}) in events
    assert ("change", f"{SLUG}@2", {"retired": "storage-safe"}) in events
    assert ("publish", f"{SLUG}@2", {}) in events


@pytest.fixture
def south_manager(app: Flask, templates):
    """A registered manager of SOUTH only (the demo manager holds every branch)."""
    return sign_in_new_account(app, "south.manager@example.com", "Sol South", "manager", ["SOUTH"])


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/audits/templates"),
        ("get", f"/audits/templates/{SLUG}"),
        ("get", f"/audits/templates/{SLUG}/preview"),
        ("post", f"/audits/templates/{SLUG}/draft"),
        ("post", "/audits/templates"),
    ],
)
def test_templates_every_branch_uses_are_edited_only_by_a_manager_of_every_branch(
    app: Flask, south_manager, method, url
):
    # Issue 12, finding 10: a SOUTH-only manager edited what NORTH checks against.
    if method == "get":
        response = south_manager.get(url)
    else:
        response = south_manager.post_form(url, {"title": "South's own", "pass_mark": "80"})
    assert response.status_code == 403
    with app.app_context():
        assert template_versions.draft_of(SLUG) is None
        assert db.session.scalar(db.select(db.func.count(AuditTemplate.id))) == 4
