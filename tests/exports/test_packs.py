"""The PDF packs, opened with pypdf: a small world in June 2026 (four reports in
NORTH for two people, one in SOUTH; a verified action and a case study that
name people), every pack made once for the module through the real routes, then
read back: the dashboard's figures, the chart, the period and branch and "Page
N of M" on every page, nobody named in the anonymised packs, the trail."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

from actions.models import Action
from audits import recording
from audits.schemas import AuditInSchema
from core.dates import Period
from core.models import Branch, PersonSupported, TrailEvent, User
from extensions import db
from governance.figures import dashboard_figures
from governance.meetings import record_meeting
from governance.models import Denominator
from learning.models import CaseStudy
from tests.conftest import Client, report_as
from tests.factories import audit_payload, incident_payload

JUNE = "from=2026-06-01&to=2026-06-30"
PERIOD = "1 Jun 2026 to 30 Jun 2026"
AT = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
FALL = {"kind": "incident", "category": "fall", "medication_error": None, "time_critical": False}


@dataclass
class Pdf:
    status: int
    mimetype: str
    pages: list[str]
    reader: PdfReader | None

    @property
    def text(self) -> str:
        return "\n".join(self.pages)


def _open(response: Any) -> Pdf:
    if response.mimetype != "application/pdf":
        return Pdf(response.status_code, response.mimetype, [response.get_data(as_text=True)], None)
    reader = PdfReader(io.BytesIO(response.data))
    pages = [re.sub(r"\s+", " ", p.extract_text()) for p in reader.pages]
    return Pdf(response.status_code, response.mimetype, pages, reader)


def _world(app: Flask) -> dict[str, Any]:
    with app.app_context():
        users = {u.email.split("@")[0]: u for u in db.session.scalars(db.select(User))}
        carer1, carer3 = users["carer1"].id, users["carer3"].id
        supervisor_id = users["supervisor"].id
    when = {"occurred_at": AT.isoformat(), "reported_at": AT.isoformat(), "people_informed": []}
    near_miss, _ = report_as(app, carer1, incident_payload(**when))
    fall, fall_ref = report_as(app, carer1, incident_payload(**when, **FALL))
    report_as(app, carer1, incident_payload(**when, **FALL))
    report_as(app, carer1, incident_payload(**when, **FALL, person_ref="P-0002"))
    report_as(app, carer3, incident_payload(**when, **FALL, person_ref="P-0011"))
    with app.app_context():
        manager = db.session.scalar(db.select(User).where(User.email == "manager@example.com"))
        north = db.session.scalar(db.select(Branch).where(Branch.code == "NORTH"))
        carer_name = db.session.get_one(User, carer1).name
        action = Action(
            title=f"{carer_name} to check P-0001's walking frame each visit",
            due=date(2026, 6, 30),
            branch_id=north.id,
            owner_id=manager.id,
            author_id=manager.id,
            source_type="incident",
            source_id=fall,
            status="verified_effective",
            created_at=AT,
            done_at=datetime(2026, 6, 20, 10, tzinfo=UTC),
            verified_at=datetime(2026, 6, 25, 10, tzinfo=UTC),
            verified_by_id=manager.id,
        )
        db.session.add(action)
        db.session.flush()
        _reaudit(db.session.get_one(User, supervisor_id), carer1, action.id)
        db.session.add(
            CaseStudy(
                incident_id=fall,
                branch_id=north.id,
                author_id=manager.id,
                title="Learning from a fall in the hallway",
                event=f"{carer_name} found P-0001 on the hallway floor; rang 07700 900123.",
                what_changed="A walking frame check at every visit.",
            )
        )
        db.session.commit()
        meeting = record_meeting(
            manager,
            {
                "branch": "NORTH",
                "period_start": date(2026, 6, 1),
                "period_end": date(2026, 6, 30),
                "held_on": date(2026, 7, 2),
                "attendees": "Registered manager, two supervisors",
                "minutes": "We looked at the falls in June.",
                "decisions": "Walking frames checked at every visit.",
            },
        )
        expected = dashboard_figures(manager, [north], Period(date(2026, 6, 1), date(2026, 6, 30)))
        secrets = [u.name for u in db.session.scalars(db.select(User))]
        secrets += [p.ref for p in db.session.scalars(db.select(PersonSupported))]
        world = {
            "fall": fall,
            "fall_ref": fall_ref,
            "near_miss": near_miss,
            "meeting": meeting.id,
            "expected": expected,
            "secrets": secrets,
        }
        db.session.remove()
    return world


def _reaudit(supervisor: User, observed_id: int, action_id: int) -> None:
    """A re-audit of the action in June (every item met: 100%)."""
    at = datetime(2026, 6, 26, 11, tzinfo=UTC).isoformat()
    body = audit_payload(observed_id, conducted_at=at, reaudit_of_action=action_id)
    recording.create_audit(supervisor, AuditInSchema().load(body))


def _client(app: Flask, key: str) -> Client:
    c = Client(app.test_client())
    assert c.sign_in(f"{key}@example.com").status_code == 302
    return c


@pytest.fixture(scope="module")
def packs(app: Flask) -> dict[str, Any]:
    """Every pack made once for this module, as the manager and office see them."""
    from tests.conftest import _restore

    _restore(app, "templates")
    world = _world(app)
    manager, office = _client(app, "manager"), _client(app, "office")
    urls = {
        "governance": f"/governance/pack.pdf?{JUNE}&branch=NORTH",
        "meeting": f"/governance/meetings/{world['meeting']}/pack.pdf",
        "record": f"/incidents/{world['fall']}/record.pdf",
        "cqc": f"/exports/cqc.pdf?{JUNE}&branch=NORTH",
        "commissioner": f"/exports/commissioner.pdf?{JUNE}&branch=NORTH",
    }
    made = {name: _open(manager.get(url)) for name, url in urls.items()}
    made["office_commissioner"] = _open(office.get(urls["commissioner"]))
    with app.app_context():
        trail = [
            (e.action, e.record_type, e.record_id, dict(e.detail or {}))
            for e in db.session.scalars(db.select(TrailEvent).where(TrailEvent.action == "export"))
        ]
        db.session.remove()
    return {"world": world, "made": made, "trail": trail}


NAMES = ("governance", "meeting", "record", "cqc", "commissioner")


@pytest.mark.parametrize("name", NAMES)
def test_each_pack_is_a_tagged_pdf(packs: dict[str, Any], name: str) -> None:
    made: Pdf = packs["made"][name]
    assert (made.status, made.mimetype) == (200, "application/pdf")
    assert made.reader is not None
    root: Any = made.reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"


@pytest.mark.parametrize("name", NAMES)
def test_every_page_has_its_number_period_and_branch(packs: dict[str, Any], name: str) -> None:
    made: Pdf = packs["made"][name]
    period = "Happened 15 Jun 2026" if name == "record" else PERIOD
    assert len(made.pages) > 1 or name == "record"
    for n, page in enumerate(made.pages, start=1):
        assert f"Page {n} of {len(made.pages)}" in page
        assert period in page
        assert "Branch NORTH" in page


def test_governance_pack_has_the_dashboards_figures(packs: dict[str, Any]) -> None:
    expected = packs["world"]["expected"]["incidents"]
    assert (expected["total"], expected["near_misses"]) == (4, 1)
    text = packs["made"]["governance"].text
    assert "4 reported in the period, 1 of them near misses (25%)" in text
    assert "Kind Reports Fall 3 Medication 1" in text
    assert "Done 1 Verified effective 1" in text
    assert "Re-audits in the period" in text
    assert "Medication spot check" in text


@pytest.mark.parametrize("name", ["governance", "meeting"])
def test_packs_with_figures_draw_the_chart(packs: dict[str, Any], name: str) -> None:
    made: Pdf = packs["made"][name]
    assert "Jun 2026" in made.text  # the chart's month label on its axis
    assert made.reader is not None
    drawn = b"".join(page.get_contents().get_data() for page in made.reader.pages)
    assert b" l\n" in drawn or b" l " in drawn  # lines drawn (the SVG's polyline and limits)


def test_meeting_pack_has_its_minutes(packs: dict[str, Any]) -> None:
    assert "We looked at the falls in June." in packs["made"]["meeting"].text


def test_record_pdf_is_the_record(packs: dict[str, Any]) -> None:
    text = packs["made"]["record"].text
    assert packs["world"]["fall_ref"] in text
    assert "P-0001" in text


def test_cqc_pack_is_organised_by_quality_statement(packs: dict[str, Any]) -> None:
    text = packs["made"]["cqc"].text
    for heading in (
        "Safe: Learning culture",
        "Safe: Safeguarding",
        "Safe: Medicines optimisation",
        "Well-led: Governance, management and sustainability",
        "Well-led: Learning, improvement and innovation",
    ):
        assert heading in text
    assert "Learning from a fall in the hallway" in text  # the case study
    assert "walking frame each visit" in text  # the verified action
    assert "100% (" in text  # its re-audit's score


def test_commissioner_report_counts_repeats_without_naming_anyone(packs: dict[str, Any]) -> None:
    text = packs["made"]["commissioner"].text
    assert "Reported (incidents and near misses) 4" in text
    assert "Person 1 3" in text  # P-0001: three reports; P-0002's one is no repeat
    assert "Person 2" not in text


@pytest.mark.parametrize("name", ["cqc", "commissioner", "office_commissioner"])
def test_anonymised_packs_name_nobody(packs: dict[str, Any], name: str) -> None:
    text = packs["made"][name].text
    assert not [s for s in packs["world"]["secrets"] if s in text]
    assert "07700" not in text
    assert not re.search(r"INC-\d", text)


def test_every_pack_is_on_the_trail(packs: dict[str, Any]) -> None:
    trail = packs["trail"]
    kinds = {(record_type, record_id) for _, record_type, record_id, _ in trail}
    assert {("pack", "governance"), ("pack", "cqc"), ("pack", "commissioner")} <= kinds
    assert ("incident", packs["world"]["fall"]) in kinds
    assert ("governance_meeting", str(packs["world"]["meeting"])) in kinds


@pytest.mark.parametrize(
    ("key", "url", "status"),
    [
        ("carer1", "/governance/pack.pdf?" + JUNE, 403),
        ("supervisor", "/exports/cqc.pdf?" + JUNE, 403),
        ("carer1", "/exports/commissioner.pdf?" + JUNE, 403),
        ("office", "/governance/pack.pdf?" + JUNE, 403),
        ("supervisor", "/incidents/{fall}/record.pdf", 403),
        ("manager", "/governance/meetings/999999/pack.pdf", 404),
        ("manager", "/incidents/not-a-record/record.pdf", 404),
    ],
)
def test_who_may_not_have_a_pack(
    sign_in: Any, make_incident: Any, key: str, url: str, status: int
) -> None:
    fall, _ = make_incident()
    assert sign_in(key).get(url.format(fall=fall)).status_code == status


def test_the_exports_pages_pack_buttons_send_a_pack(sign_in: Any) -> None:
    # The exports form's own fields (records, format, anonymise) come along; a pack ignores them.
    query = f"what=incidents&format=csv&anonymised=1&{JUNE}&branch=NORTH"
    response = sign_in("office").get(f"/exports/commissioner.pdf?{query}")
    assert (response.status_code, response.mimetype) == (200, "application/pdf")


def test_a_branch_not_theirs_is_404(south_manager: Client) -> None:
    assert south_manager.get(f"/exports/cqc.pdf?{JUNE}&branch=NORTH").status_code == 404


def test_office_cannot_have_a_safeguarding_record(sign_in: Any, make_incident: Any) -> None:
    restricted, _ = make_incident(category="safeguarding", medication_error=None)
    assert sign_in("office").get(f"/incidents/{restricted}/record.pdf").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-06-31&to=2026-07-01", "Enter the first day of the period as a date"),
        ("from=2026-07-01&to=2026-06-01", "same as or after"),
        ("to=2026-06-30", "Enter the first day of the period"),
        ("from=2020-01-01&to=2026-06-30", "at most two years"),
    ],
)
def test_bad_dates_are_422_with_the_reason(sign_in: Any, query: str, message: str) -> None:
    response = sign_in("manager").get(
        f"/governance/pack.pdf?{query}", headers={"Accept": "text/plain"}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("key", "page", "link"),
    [
        ("manager", "/governance?months=3&branch=NORTH", "/governance/pack.pdf?branch=NORTH&from="),
        ("manager", "/governance/meetings/{meeting}", "/governance/meetings/{meeting}/pack.pdf"),
        ("office", "/incidents/{incident}", "/incidents/{incident}/record.pdf"),
        ("office", "/exports", "/exports/cqc.pdf"),
        ("manager", "/exports", "/exports/commissioner.pdf"),
    ],
)
def test_each_pack_is_linked_from_its_page(
    app: Flask, sign_in: Any, make_incident: Any, key: str, page: str, link: str
) -> None:
    incident, _ = make_incident()
    with app.app_context():
        manager = db.session.scalar(db.select(User).where(User.email == "manager@example.com"))
        meeting = record_meeting(
            manager,
            {
                "branch": None,
                "period_start": date(2026, 6, 1),
                "period_end": date(2026, 6, 30),
                "held_on": date(2026, 7, 2),
                "attendees": "Registered manager",
                "minutes": "Falls.",
            },
        ).id
        db.session.remove()
    ids = {"meeting": meeting, "incident": incident}
    html = sign_in(key).get(page.format(**ids)).get_data(as_text=True)
    assert link.format(**ids).replace("&", "&amp;") in html


def test_making_a_pdf_leaves_pillow_refusing_truncated_images(packs: dict[str, Any]) -> None:
    # Importing WeasyPrint sets this to True (shared/recipes/documents.md); exports.pdf
    # puts it back, so an upload checked later is still checked strictly.
    import weasyprint  # noqa: F401  (already imported by the packs above)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_commissioner_report_gives_rates_per_1000_visits_where_entered(
    app: Flask, seeded: Any
) -> None:
    # Two reports in NORTH in June and 800 visits entered for June: 2.5 per 1,000.
    with app.app_context():
        carer1 = db.session.scalar(db.select(User.id).where(User.email == "carer1@example.com"))
        manager_id = db.session.scalar(
            db.select(User.id).where(User.email == "manager@example.com")
        )
        north_id = db.session.scalar(db.select(Branch.id).where(Branch.code == "NORTH"))
        db.session.remove()
    when = {"occurred_at": AT.isoformat(), "reported_at": AT.isoformat(), "people_informed": []}
    report_as(app, carer1, incident_payload(**when))
    report_as(app, carer1, incident_payload(**when, **FALL))
    with app.app_context():
        db.session.add(
            Denominator(
                branch_id=north_id,
                month="2026-06",
                visits=800,
                people_supported=10,
                care_hours=None,
                updated_by_id=manager_id,
            )
        )
        db.session.commit()
    pdf = _open(_client(app, "manager").get(f"/exports/commissioner.pdf?{JUNE}&branch=NORTH"))
    assert pdf.status == 200
    assert "Per 1,000 visits" in pdf.text
    assert "Jun 2026 1 1 2 800 2.5" in pdf.text


def test_commissioner_report_has_no_rate_column_without_visits(packs: dict[str, Any]) -> None:
    assert "Per 1,000 visits" not in packs["made"]["commissioner"].text
