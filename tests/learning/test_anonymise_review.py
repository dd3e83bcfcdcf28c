"""The manager's check before anything leaves the service (issue 16): a bulletin
with suspected identifying details shows them highlighted and is sent only when
the manager confirms that very text; a case study's export goes through the same
check, once per version of its text."""

from __future__ import annotations

from typing import Any

from flask import Flask

from core.models import Branch, TrailEvent, User
from extensions import db
from learning.models import Bulletin, CaseStudy
from tests.learning.conftest import make_incident


def _user(key: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == f"{key}@example.com"))


def _bulletin_form(app: Flask, **changes: Any) -> dict[str, Any]:
    with app.app_context():
        north = db.session.scalar(db.select(Branch.id).where(Branch.code == "NORTH"))
    form = {
        "title": "Safer key safes",
        "what_happened": "The carer found the door open at 14 Acacia Road and rang son David.",
        "what_learned": "Key safe codes were shared too widely.",
        "what_changes": "Codes change every month.",
        "branch_ids": [str(north)],
    }
    form.update(changes)
    return form


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return len(db.session.scalars(db.select(model)).all())


def test_a_bulletin_with_an_address_and_a_relative_shows_them_highlighted(app, sign_in):
    response = sign_in("manager").post_form("/bulletins", _bulletin_form(app))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<mark class="app-anon-review__mark">14 Acacia Road' in html
    assert '<mark class="app-anon-review__mark">son David' in html
    assert "possible address" in html
    assert "possible relative&#39;s name" in html
    assert 'data-testid="anon-confirm"' in html
    assert _count(app, Bulletin) == 0


def test_confirming_the_checked_text_sends_it_and_records_the_check(app, sign_in):
    manager = sign_in("manager")
    html = manager.post_form("/bulletins", _bulletin_form(app)).get_data(as_text=True)
    checked = html.split('name="checked" value="')[1].split('"')[0]
    response = manager.post_form("/bulletins", _bulletin_form(app, checked=checked))
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(db.select(TrailEvent).where(TrailEvent.record_type == "bulletin"))
        assert event.detail["checked_items"] == 2
    assert _count(app, Bulletin) == 1


def test_text_changed_after_the_check_is_checked_again(app, sign_in):
    manager = sign_in("manager")
    html = manager.post_form("/bulletins", _bulletin_form(app)).get_data(as_text=True)
    checked = html.split('name="checked" value="')[1].split('"')[0]
    changed = _bulletin_form(
        app, checked=checked, what_learned="Ring 07700 900123 if the key safe is stuck."
    )
    response = manager.post_form("/bulletins", changed)
    assert response.status_code == 422
    assert '<mark class="app-anon-review__mark">07700 900123' in response.get_data(as_text=True)
    assert _count(app, Bulletin) == 0


def test_a_clean_bulletin_is_sent_straight_away(app, sign_in):
    form = _bulletin_form(app, what_happened="The carer found the door open and rang the family.")
    assert sign_in("manager").post_form("/bulletins", form).status_code == 302


def _case_study(app: Flask, text: str) -> int:
    with app.app_context():
        incident = make_incident(_user("carer1"))
        study = CaseStudy(
            incident_id=incident.id,
            branch_id=incident.branch_id,
            author_id=_user("manager").id,
            title="Safer key safes",
            event=text,
        )
        db.session.add(study)
        db.session.commit()
        return study.id


def test_a_case_study_export_goes_through_the_check_first(app, sign_in):
    study = _case_study(app, "Her daughter Sue (DOB 12/03/1941) found the door open.")
    manager = sign_in("manager")
    page = manager.get(f"/case-studies/{study}").get_data(as_text=True)
    assert f"/case-studies/{study}/check?format=md" in page
    response = manager.get(f"/case-studies/{study}/case-study.md")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/case-studies/{study}/check?format=md")
    check = manager.get(f"/case-studies/{study}/check?format=md").get_data(as_text=True)
    assert '<mark class="app-anon-review__mark">Her daughter Sue' in check
    assert '<mark class="app-anon-review__mark">DOB 12/03/1941' in check
    checked = check.split('name="checked" value="')[1].split('"')[0]
    confirmed = manager.post_form(
        f"/case-studies/{study}/check", {"checked": checked, "format": "md"}
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"].endswith(f"/case-studies/{study}/case-study.md")
    download = manager.get(f"/case-studies/{study}/case-study.md")
    assert download.status_code == 200
    assert "Her daughter Sue" in download.get_data(as_text=True)


def test_a_stale_check_of_a_case_study_is_refused(app, sign_in):
    study = _case_study(app, "His wife Mary rang from 07700 900123.")
    response = sign_in("manager").post_form(
        f"/case-studies/{study}/check", {"checked": "0" * 64, "format": "html"}
    )
    assert response.status_code == 422
    assert "check it again" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CaseStudy, study).checked_hash is None


def test_a_case_study_with_nothing_suspected_exports_at_once(app, sign_in):
    study = _case_study(app, "A carer found the door open and told the office.")
    assert sign_in("manager").get(f"/case-studies/{study}/case-study.md").status_code == 200
