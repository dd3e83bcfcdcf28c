"""Whatever a carer types is shown as text, never as markup: on the confirmation page,
the htmx confirmation and the form shown again with errors."""

from __future__ import annotations

import pytest
from markupsafe import escape

from tests.factories import incident_form

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}} {% raw %}",
    "\u202egnp.exe",  # right-to-left override
    "</textarea><script>alert(2)</script>",
    "x" * 4900 + "<b>bold</b>",
]
FREE_TEXT = ["what_happened", "immediate_actions", "location", "late_reason"]
# Markup that must never reach the page as markup.
RAW = ["<script>alert", "<img src=x", "<svg onload", "</textarea><script", "<b>bold</b>"]


def _bounded(field: str, text: str) -> str:
    limits = {"location": 200, "late_reason": 1000}
    return text[-limits[field] :] if field in limits else text


def _assert_escaped(html: str, texts: list[str]) -> None:
    for raw in RAW:
        assert raw not in html, raw
    assert 'href="javascript:' not in html
    for text in texts:
        assert str(escape(text)) in html, text[:40]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_the_confirmation_shows_every_free_text_field_escaped(sign_in, text):
    carer = sign_in("carer1")
    fields = incident_form(**{field: _bounded(field, text) for field in FREE_TEXT})
    response = carer.post_form("/incidents/new", fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    html = carer.get(response.headers["Location"]).get_data(as_text=True)
    _assert_escaped(html, [_bounded(field, text) for field in FREE_TEXT])


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_the_htmx_confirmation_shows_every_free_text_field_escaped(sign_in, text):
    fields = incident_form(**{field: _bounded(field, text) for field in FREE_TEXT})
    response = sign_in("carer1").post_form("/incidents/new", fields, headers={"HX-Request": "true"})
    assert response.status_code == 201
    _assert_escaped(response.get_data(as_text=True), [_bounded(field, text) for field in FREE_TEXT])


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_the_form_shown_again_keeps_every_typed_value_escaped(sign_in, text):
    # Every field the page echoes back, including the hidden ones a client controls.
    echoed = [*FREE_TEXT, "entry_id", "reported_at", "tz_offset", "occurred_at"]
    fields = incident_form(
        category=None,  # one error, so the form comes back
        people_informed__0__at=text,
        **dict.fromkeys(echoed, text),
    )
    response = sign_in("carer1").post_form("/incidents/new", fields)
    assert response.status_code == 422
    _assert_escaped(response.get_data(as_text=True), [text])


def test_user_text_is_isolated_from_the_page_direction(sign_in):
    """A right-to-left override in one answer cannot reorder the text around it."""
    carer = sign_in("carer1")
    fields = incident_form(what_happened="\u202eevil")
    location = carer.post_form("/incidents/new", fields).headers["Location"]
    html = carer.get(location).get_data(as_text=True)
    assert '<dd class="nhsuk-summary-list__value app-user-text" dir="auto">\u202eevil</dd>' in html
