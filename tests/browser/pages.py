"""Test-only pages (never part of the product): a plain form that follows the
offline-form convention without htmx, without a page route of its own
(data-offline-send="api") and without its own reader in payloads.js, to prove
the outbox works for any `form[data-offline-form]`."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template_string
from flask_login import login_required

bp = Blueprint("offline_test_pages", __name__, url_prefix="/test-only")

NOTE_FORM = """
{% extends "base.html" %}
{% block content %}
<h1 class="nhsuk-heading-l">Test note</h1>
<form method="post" action="/test-only/nowhere" data-offline-form="test-note"
      data-api-url="{{ url_for('sync.create_incident') }}" data-offline-send="api" novalidate>
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <input type="hidden" name="entry_id" value="00000000-0000-4000-8000-000000000000">
  <input type="hidden" name="reported_at" value="">
  <input type="hidden" name="tz_offset" value="">
  <input type="hidden" name="kind" value="near_miss">
  <input type="hidden" name="category" value="fall">
  <input type="hidden" name="harm" value="none">
  <input type="hidden" name="thresholds.safeguarding" value="no">
  <input type="hidden" name="thresholds.clinical_escalation" value="no">
  <input type="hidden" name="thresholds.family_contact" value="not_applicable">
  <div class="nhsuk-form-group">
    <label class="nhsuk-label" for="field-person-ref">Person</label>
    <input class="nhsuk-input" id="field-person-ref" name="person_ref" value="P-0001">
  </div>
  <div class="nhsuk-form-group">
    <label class="nhsuk-label" for="field-occurred-at">When</label>
    <input class="nhsuk-input" id="field-occurred-at" name="occurred_at" type="datetime-local">
  </div>
  <div class="nhsuk-form-group">
    <label class="nhsuk-label" for="field-what-happened">What happened?</label>
    <textarea class="nhsuk-textarea" id="field-what-happened" name="what_happened"></textarea>
  </div>
  <div class="nhsuk-form-group">
    <label class="nhsuk-label" for="field-immediate-actions">What was done?</label>
    <textarea class="nhsuk-textarea" id="field-immediate-actions" name="immediate_actions"></textarea>
  </div>
  <div class="nhsuk-checkboxes__item">
    <input class="nhsuk-checkboxes__input" id="field-staff-injured" name="staff_injured" type="checkbox" value="true">
    <label class="nhsuk-label nhsuk-checkboxes__label" for="field-staff-injured">Staff hurt</label>
  </div>
  <button class="nhsuk-button" type="submit">Send</button>
</form>
{% endblock %}
"""


@bp.get("/note")
@login_required
def note() -> str:
    return render_template_string(NOTE_FORM)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
