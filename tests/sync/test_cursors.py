"""Keyset cursors a client sends back (core/pagination.py): anything that is not
a cursor the server made is 422 naming the cursor, never a 500 (issue 12,
finding 6: a moment out of the databases' range overflowed)."""

from __future__ import annotations

import base64

import pytest


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


CURSORS = [
    "MDAwMS0wMS0wMVQwMDowMDowMCsyMzo1OXx4",  # the attack test's: 0001-01-01T00:00+23:59|x
    _cursor("9999-12-31T23:59:59-23:59|x"),
    _cursor("1899-12-31T23:59:59+00:00|x"),
    _cursor("2101-01-01T00:00:00+00:00|x"),
    _cursor("2026-11-20T08:15:00+00:00"),
    _cursor("2026-11-20|x"),
    _cursor("\u00b2|x"),
    "////",
]


@pytest.mark.parametrize("path", ["/api/v1/incidents", "/api/v1/audits"])
@pytest.mark.parametrize("cursor", CURSORS)
def test_a_cursor_the_server_did_not_make_is_422(sign_in, path, cursor):
    response = sign_in("manager").get(f"{path}?cursor={cursor}")
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"cursor": ["This cursor is not valid."]}}


def test_a_cursor_in_range_is_followed(sign_in):
    cursor = _cursor("2026-11-20T08:15:00+00:00|x")
    response = sign_in("manager").get(f"/api/v1/incidents?cursor={cursor}")
    assert response.status_code == 200
