"""Versioned templates: the demo seed, editing makes a new version, audits keep
theirs, and an audit against an older version is still accepted."""

from __future__ import annotations

import pytest
from flask import Flask

from audits import template_editor, template_versions
from audits.demo import TEMPLATES, seed_templates
from audits.models import AuditTemplate, AuditTemplateItem
from core.errors import Invalid, NotAllowed
from core.models import User
from extensions import db
from tests.factories import audit_payload

SLUG = "medication-spot-check"


@pytest.fixture
def manager(app_ctx: Flask, templates) -> User:
    return db.session.get_one(User, templates["manager"].id)


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)))


def test_the_demo_has_the_four_templates_written_for_home_care(manager):
    current = {t.slug: t for t in template_versions.published_templates()}
    assert set(current) == {
        "medication-spot-check",
        "field-observation",
        "handover-quality",
        "falls-environment",
    }
    med = current[SLUG]
    assert sum(i.critical for i in med.items) >= 2
    assert any(not i.critical for i in med.items)
    assert all(i.note_required_when_failed for i in med.items if i.critical)
    assert {i.section for i in med.items} >= {"Before giving", "Recording", "Stock and storage"}
    assert all(i.guidance for t in current.values() for i in t.items)
    assert {i.answer_set for i in current["falls-environment"].items} == {"safe_at_risk"}


def test_seeding_twice_changes_nothing(manager):
    before = (_count(AuditTemplate), _count(AuditTemplateItem))
    assert seed_templates() == []
    assert (_count(AuditTemplate), _count(AuditTemplateItem)) == before
    assert before == (len(TEMPLATES), sum(len(t["items"]) for t in TEMPLATES))


def test_seeding_leaves_a_template_a_manager_edited_alone(manager):
    draft = template_editor.start_draft(manager, SLUG)
    template_editor.retire_item(manager, draft, "storage-safe")
    template_editor.publish(manager, draft)
    seed_templates()
    assert template_versions.current_template(SLUG).version == 2
    assert template_versions.current_template(SLUG).item("storage-safe") is None


def test_editing_makes_a_draft_of_the_next_version_and_the_current_one_stays(manager):
    draft = template_editor.start_draft(manager, SLUG)
    assert draft.version == 2
    assert draft.is_draft
    template_editor.update_item(
        manager, draft, "right-time", {"text": "Right time, as the MAR chart says", "weight": 3}
    )
    v1 = template_versions.template_version(SLUG, 1)
    assert v1.item("right-time").text.startswith("Right time: given within")
    assert v1.item("right-time").weight == 2
    assert template_versions.current_template(SLUG).version == 1  # drafts are not used
    template_editor.publish(manager, draft)
    current = template_versions.current_template(SLUG)
    assert current.version == 2
    assert current.item("right-time").text == "Right time, as the MAR chart says"


def test_starting_a_draft_twice_gives_the_same_draft(manager):
    assert (
        template_editor.start_draft(manager, SLUG).id
        == template_editor.start_draft(manager, SLUG).id
    )


def test_a_published_version_cannot_be_edited(manager):
    v1 = template_versions.current_template(SLUG)
    assert v1 is not None
    with pytest.raises(Invalid):
        template_editor.update_item(manager, v1, "right-time", {"text": "Changed"})
    with pytest.raises(Invalid):
        template_editor.add_item(manager, v1, {"text": "New"})


@pytest.mark.parametrize("key", ["supervisor", "office", "carer1"])
def test_only_managers_edit_templates(templates, app_ctx, key):
    user = db.session.get_one(User, templates[key].id)
    with pytest.raises(NotAllowed):
        template_editor.start_draft(user, SLUG)


def test_added_items_go_last_with_a_new_key(manager):
    draft = template_editor.start_draft(manager, SLUG)
    item = template_editor.add_item(
        manager, draft, {"text": "Gloves worn for creams and patches", "critical": True}
    )
    assert item.key == "gloves-worn-for-creams-and-patches"
    assert draft.items[-1].key == item.key
    assert item.critical
    assert template_versions.template_version(SLUG, 1).item(item.key) is None


def test_a_retired_key_is_never_reused(manager):
    draft = template_editor.start_draft(manager, SLUG)
    template_editor.retire_item(manager, draft, "storage-safe")
    template_editor.publish(manager, draft)
    draft = template_editor.start_draft(manager, SLUG)
    item = template_editor.add_item(manager, draft, {"text": "Storage safe"})
    assert item.key == "storage-safe-2"


def test_retire_and_bring_back(manager):
    draft = template_editor.start_draft(manager, SLUG)
    template_editor.retire_item(manager, draft, "prn-recorded-with-reason")
    assert draft.item("prn-recorded-with-reason") is None
    assert [i.key for i in template_editor.retired_items(draft)] == ["prn-recorded-with-reason"]
    assert [i.position for i in draft.items] == list(range(len(draft.items)))
    template_editor.restore_item(manager, draft, "prn-recorded-with-reason")
    assert draft.items[-1].key == "prn-recorded-with-reason"
    assert template_editor.retired_items(draft) == []


@pytest.mark.parametrize(
    ("key", "direction", "expected_first_three"),
    [
        ("right-medicine", "up", ["right-medicine", "right-person", "right-dose"]),
        ("right-person", "down", ["right-medicine", "right-person", "right-dose"]),
        ("right-person", "up", ["right-person", "right-medicine", "right-dose"]),  # already first
    ],
)
def test_reorder(manager, key, direction, expected_first_three):
    draft = template_editor.start_draft(manager, SLUG)
    template_editor.move_item(manager, draft, key, direction)
    db.session.expire_all()
    reloaded = template_versions.draft_of(SLUG)
    assert reloaded is not None
    assert [i.key for i in reloaded.items][:3] == expected_first_three


def test_discarding_a_draft_leaves_the_current_version(manager):
    draft = template_editor.start_draft(manager, SLUG)
    template_editor.discard_draft(manager, draft)
    assert template_versions.draft_of(SLUG) is None
    assert template_versions.current_template(SLUG).version == 1


def test_a_new_template_is_a_draft_until_published(manager):
    template = template_editor.create_template(
        manager, {"title": "Moving and handling", "pass_mark": 90}
    )
    assert template.slug == "moving-and-handling"
    assert template_versions.current_template("moving-and-handling") is None
    with pytest.raises(Invalid):
        template_editor.publish(manager, template)  # no questions yet
    template_editor.add_item(manager, template, {"text": "Hoist sling checked before use"})
    template_editor.publish(manager, template)
    assert template_versions.current_template("moving-and-handling").version == 1


def test_template_names_are_unique(manager):
    with pytest.raises(Invalid) as err:
        template_editor.create_template(manager, {"title": "Medication spot check"})
    assert "slug" in err.value.errors


# --- audits keep their version -------------------------------------------------------


def _publish_v2(app: Flask, manager_id: int) -> None:
    with app.app_context():
        manager = db.session.get_one(User, manager_id)
        draft = template_editor.start_draft(manager, SLUG)
        template_editor.retire_item(manager, draft, "storage-safe")
        template_editor.add_item(
            manager, draft, {"text": "Gloves worn for creams and patches", "weight": 2}
        )
        template_editor.publish(manager, draft)
        db.session.remove()


def test_an_audit_against_an_older_version_is_accepted_and_kept_with_it(
    app: Flask, sign_in, templates
):
    """Filled in offline against version 1, sent after version 2 was published."""
    supervisor = sign_in("supervisor")
    old = audit_payload(templates["carer1"].id, version=1)
    _publish_v2(app, templates["manager"].id)
    response = supervisor.post_json("/api/v1/audits", old)
    assert response.status_code == 201, response.get_json()
    record = supervisor.get(f"/api/v1/audits/{old['id']}").get_json()
    assert record["template_version"] == 1
    assert "storage-safe" in [a["item"] for a in record["answers"]]
    page = supervisor.get(f"/audits/{old['id']}").get_data(as_text=True)
    assert "Version 1 (answered against this version; the current one is 2)" in page
    assert "Medicines stored as the care plan says" in page  # the retired question
    assert "Gloves worn for creams and patches" not in page


def test_answers_must_match_the_version_they_claim(app: Flask, sign_in, templates):
    _publish_v2(app, templates["manager"].id)
    body = audit_payload(templates["carer1"].id, version=1)
    body["answers"].append({"item": "gloves-worn-for-creams-and-patches", "answer": "yes"})
    response = sign_in("supervisor").post_json("/api/v1/audits", body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == [f"answers.{len(body['answers']) - 1}.item"]
    assert "not in version 1" in errors[f"answers.{len(body['answers']) - 1}.item"][0]


def test_version_2_needs_its_own_questions(app: Flask, sign_in, templates):
    _publish_v2(app, templates["manager"].id)
    body = audit_payload(templates["carer1"].id, version=2)  # still has storage-safe
    response = sign_in("supervisor").post_json("/api/v1/audits", body)
    errors = response.get_json()["errors"]
    assert response.status_code == 422
    assert any("not in version 2" in m[0] for m in errors.values())
    assert "Gloves worn" in errors["answers"][0]  # the new question was not answered
