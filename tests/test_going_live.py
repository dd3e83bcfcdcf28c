"""Going live from an empty database, as a provider would (issue 13): the two
first-run commands, the first manager's sign-in with a second factor, people and
staff imported from files saved by Excel, and an invited carer who chooses a
password and reports an incident about an imported person. No demo data at any
point; every step goes through the commands and pages a provider uses."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask

from core.models import Branch, PersonSupported, User
from extensions import db
from incidents.models import Incident
from tests.conftest import Client

MANAGER = "registered.manager@example.org"
MANAGER_PASSWORD = "kettle orbit marmalade"
CARER = "sam.carer@example.org"
CARER_PASSWORD = "lantern pebble harbour"


def _excel_csv(*lines: str) -> bytes:
    """As Excel's "CSV UTF-8" saves it: a byte-order mark and CRLF line ends."""
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _text(response: Any) -> str:
    return " ".join(response.get_data(as_text=True).split())


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        count = db.session.scalar(db.select(db.func.count()).select_from(model))
        db.session.remove()
    return int(count or 0)


@pytest.fixture
def two_factor_required(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # The product's default; the suite's other tests switch it off (tests/conftest.py).
    monkeypatch.setitem(app.config, "TWO_FACTOR_ROLES", ["manager", "office"])


def _first_run(app: Flask) -> None:
    runner = app.test_cli_runner()
    for code, name in (("LEEDS", "Leeds"), ("YORK", "York")):
        result = runner.invoke(args=["create-branch", code, name])
        assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["create-manager", MANAGER, "Rae Manager", "--branch", "LEEDS", "--branch", "YORK"],
        env={"CANDOUR_PASSWORD": MANAGER_PASSWORD},
    )
    assert result.exit_code == 0, result.output


def _manager_signs_in_and_sets_up_a_second_factor(app: Flask) -> Client:
    manager = Client(app.test_client())
    response = manager.sign_in(MANAGER, MANAGER_PASSWORD)
    assert response.headers["Location"] == "/login/two-factor"
    assert manager.get("/").status_code == 302  # nothing else before the second factor
    page = manager.get("/login/two-factor")
    key = re.search(r'class="app-secret-key"><code>([A-Z2-7 ]+)</code>', _text(page))
    assert key is not None
    shown = manager.post_form(
        "/login/two-factor", {"code": pyotp.TOTP(key.group(1).replace(" ", "")).now()}
    )
    assert shown.status_code == 200, _text(shown)
    assert len(re.findall(r"<li><code>[a-z2-7-]+</code></li>", shown.get_data(as_text=True))) == 10
    manager.csrf = None  # signed in now: a new session, a new token
    assert manager.get("/").status_code == 200
    return manager


def _import(manager: Client, kind: str, data: bytes) -> str:
    preview = manager.post_form(f"/imports/{kind}", {"file": (io.BytesIO(data), f"{kind}.csv")})
    assert preview.status_code == 200, _text(preview)
    upload = re.search(r'name="upload" value="([0-9a-f]+)"', preview.get_data(as_text=True))
    assert upload is not None, _text(preview)
    done = manager.post_form(f"/imports/{kind}/confirm", {"upload": upload.group(1)})
    assert done.status_code == 200, _text(done)
    return done.get_data(as_text=True)


def _carer_chooses_a_password(app: Flask, done_page: str) -> Client:
    link = re.search(r"<code>http://localhost(/invitations/[^<]+)</code>", done_page)
    assert link is not None, done_page
    carer = Client(app.test_client())
    assert carer.get(link.group(1)).status_code == 200
    chosen = carer.post_form(
        link.group(1), {"new_password": CARER_PASSWORD, "confirm_password": CARER_PASSWORD}
    )
    assert chosen.status_code == 302, _text(chosen)
    assert chosen.headers["Location"].startswith("/login")
    # Carers are not asked for a second factor: the shared-phone flow stays as it was.
    assert carer.sign_in(CARER, CARER_PASSWORD).headers["Location"] == "/"
    return carer


def _report(carer: Client, person_ref: str) -> Any:
    now = datetime.now(UTC)
    return carer.post_json(
        "/api/v1/incidents",
        {
            "id": str(uuid.uuid4()),
            "kind": "incident",
            "category": "fall",
            "medication_error": None,
            "time_critical": False,
            "occurred_at": (now - timedelta(hours=1)).isoformat(),
            "reported_at": now.isoformat(),
            "late_reason": None,
            "person_ref": person_ref,
            "location": "bathroom",
            "what_happened": "Found on the floor by the bath, said she slipped.",
            "immediate_actions": "Checked for injury, helped up with the hoist, rang the office.",
            "harm": "low",
            "staff_injured": False,
            "people_informed": [
                {"who": "manager", "at": now.isoformat(), "method": "phone"},
            ],
            "thresholds": {
                "safeguarding": "no",
                "clinical_escalation": "no",
                "family_contact": "yes",
            },
        },
    )


def test_a_provider_goes_live_from_an_empty_database(app: Flask, client, two_factor_required):
    assert (_count(app, User), _count(app, Branch), _count(app, PersonSupported)) == (0, 0, 0)

    _first_run(app)
    manager = _manager_signs_in_and_sets_up_a_second_factor(app)

    people = _import(
        manager,
        "people",
        _excel_csv("ref,initials,branch", "LD-001,JB,LEEDS", "LD-002,MK,LEEDS", "YK-001,AT,YORK"),
    )
    assert "3 added, 0 updated, 0 unchanged" in people
    staff = _import(
        manager,
        "staff",
        _excel_csv(
            "email,name,role,branches,team",
            f"{CARER},Sam Carer,carer,LEEDS,",
            "pat.office@example.org,Pat Office,office,LEEDS;YORK,",
        ),
    )
    assert "2 added, 0 updated, 0 unchanged" in staff

    carer_done = staff.split(CARER, 1)[1]  # the row of the carer's own link
    carer = _carer_chooses_a_password(app, carer_done)
    reference = carer.get("/api/v1/reference").get_json()
    assert {p["ref"] for p in reference["people"]} == {"LD-001", "LD-002"}  # Leeds only

    accepted = _report(carer, "LD-002")
    assert accepted.status_code == 201, accepted.get_json()
    body = accepted.get_json()
    assert body["reference"].startswith("INC-")

    record = manager.get(f"/incidents/{body['id']}")
    assert record.status_code == 200
    assert body["reference"] in _text(record)
    with app.app_context():
        incident = db.session.get_one(Incident, body["id"])
        assert incident.person is not None
        assert incident.person.ref == "LD-002"
        db.session.remove()
