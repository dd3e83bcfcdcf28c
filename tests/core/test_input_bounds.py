"""Numbers a client can send never overflow the database: every whole number an
input schema loads, every `<int:…>` in a URL and every id typed into a query is
bounded, so the answer is a 4xx (or "not found"), never a 500."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields

from core.forms import MAX_ID, record_id

HUGE = 10**20

# Schemas that only describe answers (dumped, never loaded from a client).
ANSWER_ONLY = (
    "Out",
    "Receipt",
    "Page",
    "Ref",
    "Session",
    "Reference",
    "Errors",
    "Message",
    "Choice",
)


SCHEMA_MODULES = (
    "core.schemas",
    "incidents.schemas",
    "audits.schemas",
    "learning.schemas",
    "people.schemas",
)


def _input_fields(module_names: tuple[str, ...]) -> Iterator[tuple[str, str, fields.Field[Any]]]:
    """(module.Schema, field name, field) for every field a client's input loads."""
    for module_name in module_names:
        module = importlib.import_module(module_name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, Schema) or cls.__module__ != module_name:
                continue
            if any(word in name for word in ANSWER_ONLY) or name.startswith("_"):
                continue
            for field_name, field in cls().load_fields.items():
                yield f"{module_name}.{name}", field.data_key or field_name, field


def _inner(field: fields.Field[Any]) -> fields.Field[Any]:
    return field.inner if isinstance(field, fields.List) else field


def _input_integer_fields() -> list[tuple[str, str, bool]]:
    return [
        (schema, key, isinstance(field, fields.List))
        for schema, key, field in _input_fields(SCHEMA_MODULES)
        if isinstance(_inner(field), fields.Integer)
    ]


INPUT_INTEGERS = _input_integer_fields()


def test_the_scan_finds_the_schemas_it_guards():
    assert ("learning.schemas.BulletinInSchema", "review_ids", True) in INPUT_INTEGERS
    assert ("incidents.schemas.TriageSchema", "reviewer_id", False) in INPUT_INTEGERS


@pytest.mark.parametrize(("schema", "key", "many"), INPUT_INTEGERS)
def test_a_huge_number_is_refused_by_the_field_itself(schema, key, many):
    module_name, _, class_name = schema.rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    with pytest.raises(ValidationError) as caught:
        cls().load({key: [HUGE] if many else HUGE}, partial=True)
    assert key in caught.value.messages


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", 1), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("0", None), ("²", None),
     ("-3", None), ("", None), (None, None), ("12a", None), ("٣", None)],
)  # fmt: skip
def test_record_id(raw, expected):
    assert record_id(raw) == expected


@pytest.mark.parametrize(
    "url",
    [
        "/actions/99999999999999999999",
        "/reviews/2147483648",
        "/bulletins/99999999999999999999",
        "/case-studies/99999999999999999999",
        "/audits/reaudit/99999999999999999999",
        "/users/99999999999999999999",
        "/bulletins/new?review=99999999999999999999",
        "/bulletins/new?review=%C2%B2",
        "/actions/new?source_type=review&source_id=99999999999999999999",
        "/actions/new?source_type=review&source_id=%C2%B2",
        "/api/v1/actions?cursor=YTk5OTk5OTk5OTk5OTk5OTk5OTk5",
    ],
)
def test_a_huge_id_in_a_url_is_not_a_server_error(sign_in, url):
    response = sign_in("manager").get(url)
    assert response.status_code in (200, 404, 422)


def test_a_huge_bulletin_id_in_the_api_is_404(sign_in):
    response = sign_in("carer1").post_json(
        "/api/v1/bulletins/28978802265252621050707968/acknowledgements",
        {"id": "e3e70682-c209-4cac-a29f-6fbed82c07cd"},
    )
    assert response.status_code == 404


def _input_date_fields() -> list[tuple[str, str]]:
    return [
        (schema, key)
        for schema, key, field in _input_fields((*SCHEMA_MODULES, "governance.schemas"))
        if isinstance(_inner(field), fields.Date | fields.DateTime)
    ]


INPUT_DATES = _input_date_fields()


def test_the_date_scan_finds_the_schemas_it_guards():
    assert ("incidents.schemas.IncidentFilterSchema", "date_to") in INPUT_DATES
    assert ("incidents.schemas.IncidentInSchema", "occurred_at") in INPUT_DATES
    assert ("learning.schemas.ActionInSchema", "due") in INPUT_DATES


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01"])
@pytest.mark.parametrize(("schema", "key"), INPUT_DATES)
def test_a_year_no_record_can_have_is_refused_by_the_field_itself(schema, key, text):
    """Issue 12, finding 6: /incidents?date_to=9999-12-31 overflowed (500)."""
    module_name, _, class_name = schema.rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    field = cls().load_fields[key]
    value = text if isinstance(field, fields.Date) else f"{text}T12:00:00+00:00"
    with pytest.raises(ValidationError) as caught:
        cls().load({key: value}, partial=True)
    assert key in caught.value.messages
