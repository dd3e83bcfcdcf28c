"""GET /api/v1/openapi.json: a valid OpenAPI document of every call in docs/api.md,
built from the schemas the routes use, so real answers match what it says."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.factories import audit_payload, incident_payload

CONTRACT = [
    ("get", "/session"),
    ("get", "/reference"),
    ("post", "/incidents"),
    ("get", "/incidents"),
    ("get", "/incidents/{id}"),
    ("post", "/incidents/{id}/attachments"),
    ("post", "/audits"),
    ("get", "/audits"),
    ("get", "/audits/{id}"),
    ("get", "/actions"),
    ("get", "/openapi.json"),
]


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _properties(document, name):
    return set(document["components"]["schemas"][name]["properties"])


def test_it_is_a_valid_openapi_document(document):
    validate(document)  # raises on any error
    assert document["openapi"].startswith("3.")


@pytest.mark.parametrize(("method", "path"), CONTRACT)
def test_every_call_of_the_contract_is_described(document, method, path):
    assert method in document["paths"][path]


def test_the_incident_body_has_the_contract_fields(document):
    assert _properties(document, "IncidentIn") == {
        "id", "kind", "category", "medication_error", "time_critical", "occurred_at",
        "reported_at", "late_reason", "person_ref", "location", "what_happened",
        "immediate_actions", "harm", "staff_injured", "people_informed", "thresholds",
        "branch",  # added to the contract (docs/changelog.md)
        "place",  # added in issue 15 (docs/api.md), optional for older clients
        "body_map",  # added in issue 15 (docs/api.md), optional: absent means none
        # added in issue 15 (docs/api.md), all optional: the staff injury, staff named
        "injured_staff_id", "staff_injury", "specified_injury", "non_worker_hospital",
        "other_staff_ids", "witness_ids",
    }  # fmt: skip


def test_the_audit_body_has_the_contract_fields(document):
    assert {
        "id", "template", "template_version", "conducted_at", "observed_user_id",
        "person_ref", "answers", "reaudit_of_action",
    } <= _properties(document, "AuditIn")  # fmt: skip


def test_unknown_fields_are_refused_as_the_document_says(document):
    assert document["components"]["schemas"]["IncidentIn"]["additionalProperties"] is False


@pytest.mark.parametrize(
    ("url", "schema"),
    [("/api/v1/session", "Session"), ("/api/v1/reference", "Reference")],
)
def test_real_answers_have_the_described_fields(document, sign_in, url, schema):
    body = sign_in("carer1").get(url).get_json()
    assert set(body) == _properties(document, schema)


def test_a_created_incident_answers_with_the_described_receipt(document, sign_in):
    body = sign_in("carer1").post_json("/api/v1/incidents", incident_payload()).get_json()
    assert set(body) == _properties(document, "IncidentReceipt")


def test_a_stored_incident_has_the_described_fields(document, sign_in):
    carer = sign_in("carer1")
    made = carer.post_json("/api/v1/incidents", incident_payload()).get_json()
    record = carer.get(f"/api/v1/incidents/{made['id']}").get_json()
    assert set(record) == _properties(document, "Incident")


def test_a_created_audit_answers_with_the_described_receipt(document, sign_in, templates):
    body = audit_payload(templates["carer1"].id)
    answer = sign_in("supervisor").post_json("/api/v1/audits", body).get_json()
    assert set(answer) == _properties(document, "AuditReceipt")


def test_the_document_needs_no_sign_in(client):
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_an_acknowledgement_is_described(document):
    operation = document["paths"]["/bulletins/{id}/acknowledgements"]["post"]
    assert {"200", "201", "401", "403", "404", "422"} <= set(operation["responses"])
    assert _properties(document, "AcknowledgementIn") == {"id", "read_at"}
