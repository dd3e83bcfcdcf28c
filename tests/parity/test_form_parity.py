"""The shared form cases (form_cases.json) read by the server's serialisers: each
form, as a browser submits it, must give exactly the expected JSON body. The same
cases run through the browser's serialisers in tests/js/form_parity.test.js, so
the page, the outbox and the server agree on every one. No database, no app."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from audits.schemas import audit_form_to_json
from incidents.forms import form_to_payload

CASES_FILE = Path(__file__).with_name("form_cases.json")
CASES: dict[str, Any] = json.loads(CASES_FILE.read_text(encoding="utf-8"))


def serialise(case: dict[str, Any]) -> Any:
    # A list of pairs, as the browser sends it: order and repeated names kept.
    form: MultiDict[str, str] = MultiDict([(name, value) for name, value in case["fields"]])
    if case["serialiser"] == "incident":
        return form_to_payload(form, datetime.fromisoformat(case.get("now", CASES["now"])))
    if case["serialiser"] == "audit":
        return audit_form_to_json(form)
    raise AssertionError(f"unknown serialiser {case['serialiser']!r}")


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_the_server_reads_each_form_case_as_expected(case: dict[str, Any]) -> None:
    # Through JSON, as the body goes over the wire.
    assert json.loads(json.dumps(serialise(case))) == case["expected"]


def test_the_cases_cover_both_forms_and_their_awkward_fields() -> None:
    cases = CASES["cases"]
    names = {name for case in cases for name, _ in case["fields"]}
    assert {c["serialiser"] for c in cases} == {"incident", "audit"}
    assert len({c["name"] for c in cases}) == len(cases)
    for wanted in ("people_informed.0.at", "thresholds.safeguarding", "tz_offset", "reported_at"):
        assert wanted in names, wanted
    for part in ("item", "answer", "note"):
        assert any(n.startswith("answers.") and n.endswith(f".{part}") for n in names), part
    # Repeated fields, and forms with no tz_offset (the server's UK time).
    assert any(len({n for n, _ in c["fields"]}) < len(c["fields"]) for c in cases)
    assert any(all(n != "tz_offset" for n, _ in c["fields"]) for c in cases)
