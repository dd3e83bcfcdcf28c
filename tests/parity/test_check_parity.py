"""The shared check cases (check_cases.json) loaded by the API's own schema: each
body must give exactly the expected 422 errors ({} when the server takes it). The
same cases run through the phone's checks in tests/js/check_parity.test.js, so a
report the server would refuse is caught on the phone with the same messages.
No database, no app."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from marshmallow import ValidationError

from core.forms import flatten_errors
from incidents import offline_checks
from incidents.schemas import RULE_MESSAGES, IncidentInSchema

CASES: dict[str, Any] = json.loads(
    Path(__file__).with_name("check_cases.json").read_text(encoding="utf-8")
)


def body_of(case: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(case["body"])
    for name, (char, times) in (case.get("fill") or {}).items():
        body[name] = char * times
    return body


def server_errors(body: dict[str, Any]) -> dict[str, list[str]]:
    try:
        IncidentInSchema().load(body)
    except ValidationError as err:
        return flatten_errors(err.messages)
    return {}


PLAIN = [c for c in CASES["cases"] if "context" not in c]
# Cases for a reporter in several branches: the schema takes the body, then the
# service asks for the branch (tests/sync/test_incidents_api.py shows the 422).
SEVERAL_BRANCHES = [c for c in CASES["cases"] if c.get("context", {}).get("branch_choice")]


@pytest.mark.parametrize("case", PLAIN, ids=[c["name"] for c in PLAIN])
def test_the_server_says_what_each_check_case_expects(case: dict[str, Any]) -> None:
    assert server_errors(body_of(case)) == case["expected"]


@pytest.mark.parametrize("case", SEVERAL_BRANCHES, ids=[c["name"] for c in SEVERAL_BRANCHES])
def test_several_branches_cases_pass_the_schema_and_say_the_services_message(
    case: dict[str, Any],
) -> None:
    assert server_errors(body_of(case)) == {}
    body = case["body"]
    needed = {"branch": [RULE_MESSAGES["branch_needed"]]}
    assert case["expected"] == (needed if not body["person_ref"] and not body["branch"] else {})


def test_the_cases_cover_every_rule_the_server_has() -> None:
    expected = [m for c in CASES["cases"] for ms in c["expected"].values() for m in ms]
    for message in offline_checks.incident_rules()["rules"].values():
        assert message in expected, message
    keys = {k for c in CASES["cases"] for k in c["expected"]}
    for field, rule in offline_checks.incident_rules()["fields"].items():
        if rule["required"]:
            assert any(k == field or k.startswith(f"{field}.") for k in keys), field
    assert any(c["expected"] == {} for c in CASES["cases"])


def test_the_phones_rules_file_is_the_one_the_schema_makes() -> None:
    # After changing incidents/schemas.py: `flask --app app offline-rules`.
    on_disk = offline_checks.RULES_FILE.read_text(encoding="utf-8")
    assert on_disk == offline_checks.rules_json()
