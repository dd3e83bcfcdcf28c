/* Each offline form's own reading of its fields, line for line the same as the
 * server's (so an entry sent later from the outbox is the same content the page
 * would have sent, and the server answers 200, not 409). Keyed by the form's
 * data-offline-form. tests/browser/test_offline_serialise.py runs both on the
 * same forms and compares the JSON.
 */
((root) => {
  'use strict';

  root.CandourOffline = root.CandourOffline || {};
  const NS = root.CandourOffline;
  const S = NS.serialise;

  // --- incidents/forms.py form_to_payload -----------------------------------------

  const THRESHOLDS = ['safeguarding', 'clinical_escalation', 'family_contact'];
  const INFORMED_FIELDS = ['who', 'at', 'method'];
  const INFORMED_KEY = /^people_informed\.(\d{1,3})\.(who|at|method)$/;

  function informedRows(values) {
    const byIndex = new Map();
    for (const [key, value] of values.items()) {
      const m = INFORMED_KEY.exec(key);
      if (m) {
        const index = Number(m[1]);
        if (!byIndex.has(index)) byIndex.set(index, {});
        byIndex.get(index)[m[2]] = value;
      }
    }
    const rows = [];
    for (const index of Array.from(byIndex.keys()).sort((a, b) => a - b)) {
      const row = {};
      for (const field of INFORMED_FIELDS) row[field] = byIndex.get(index)[field] || '';
      if (S.strip(row.who) || S.strip(row.at)) rows.push(row);
    }
    return rows;
  }

  // A chosen id as a JSON number (up to 15 ASCII digits, exact here too); anything
  // else as typed, so the server names the field (incidents/forms.py _int_or_raw).
  function idOrRaw(value) {
    const text = S.strip(value);
    return /^[0-9]{1,15}$/.test(text) ? Number(text) : text;
  }

  const STAFF_LISTS = ['other_staff_ids', 'witness_ids'];

  /* The staff questions (incidents/forms.py _staff_answers): only when answered. */
  function staffAnswers(values) {
    const answers = {};
    const injured = S.trimmed(values, 'injured_staff_id');
    if (injured) answers.injured_staff_id = idOrRaw(injured);
    const injury = S.trimmed(values, 'staff_injury');
    if (injury) answers.staff_injury = injury;
    const specified = S.trimmed(values, 'specified_injury');
    if (specified) answers.specified_injury = specified;
    if (values.has('non_worker_hospital')) answers.non_worker_hospital = S.flag(values, 'non_worker_hospital');
    for (const name of STAFF_LISTS) {
      const chosen = values
        .getAll(name)
        .filter((v) => S.strip(v))
        .map(idOrRaw);
      if (chosen.length) answers[name] = chosen;
    }
    return answers;
  }

  function incident(values, now) {
    const zone = S.deviceZone(values);
    const payload = {};
    if (values.has('entry_id')) payload.id = S.strip(values.get('entry_id'));
    for (const key of ['kind', 'category', 'harm', 'what_happened', 'immediate_actions']) {
      if (values.has(key)) payload[key] = values.get(key);
    }
    if (values.get('category') === 'medication') {
      payload.medication_error = values.get('medication_error') || null;
      payload.time_critical = S.flag(values, 'time_critical');
    } else {
      payload.medication_error = null;
      payload.time_critical = false;
    }
    const occurred = S.trimmed(values, 'occurred_at');
    if (occurred) payload.occurred_at = S.localToIso(occurred, zone);
    const reported = S.trimmed(values, 'reported_at');
    payload.reported_at = reported ? S.localToIso(reported, zone) : S.nowInZone(now, zone);
    payload.late_reason = S.trimmed(values, 'late_reason') || null;
    payload.person_ref = S.trimmed(values, 'person_ref') || null;
    payload.branch = S.trimmed(values, 'branch') || null;
    payload.location = S.trimmed(values, 'location');
    payload.place = S.trimmed(values, 'place') || null;
    payload.staff_injured = S.flag(values, 'staff_injured');
    Object.assign(payload, staffAnswers(values));
    payload.people_informed = informedRows(values).map((row) => {
      const item = {};
      for (const field of INFORMED_FIELDS) {
        if (S.strip(row[field])) item[field] = S.strip(row[field]);
      }
      if ('at' in item) item.at = S.localToIso(item.at, zone);
      return item;
    });
    payload.thresholds = {};
    for (const name of THRESHOLDS) {
      if (values.has(`thresholds.${name}`)) payload.thresholds[name] = values.get(`thresholds.${name}`);
    }
    // Only when a mark was made, so a report without any is the same body as before.
    const marks = bodyMarks(values);
    if (marks.length) payload.body_map = marks;
    return payload;
  }

  // --- incidents/body_map.py form_marks ------------------------------------------------

  const MARK_FIELDS = ['region', 'kind', 'size', 'pressure_category', 'developed_in_care', 'note'];
  const MARK_KEY = /^body_map\.(\d{1,3})\.([a-z_]+)$/;
  const SIDES = ['front', 'back'];

  /* The marks as typed, in page order; a row with no place chosen is left out. */
  function markRows(values) {
    const byIndex = new Map();
    for (const [key, value] of values.items()) {
      const m = MARK_KEY.exec(key);
      if (m && MARK_FIELDS.includes(m[2])) {
        const index = Number(m[1]);
        if (!byIndex.has(index)) byIndex.set(index, {});
        byIndex.get(index)[m[2]] = value;
      }
    }
    const rows = [];
    for (const index of Array.from(byIndex.keys()).sort((a, b) => a - b)) {
      const row = {};
      for (const field of MARK_FIELDS) row[field] = byIndex.get(index)[field] || '';
      if (S.strip(row.region)) rows.push(row);
    }
    return rows;
  }

  function sideOf(region) {
    const side = region.split('_')[0];
    return SIDES.includes(side) ? side : null;
  }

  function inCare(value) {
    if (value === 'true') return true;
    if (value === 'false') return false;
    return value || null;
  }

  function bodyMarks(values) {
    return markRows(values).map((row) => {
      const region = S.strip(row.region);
      const pressure = row.kind === 'pressure_damage';
      const mark = { region, side: sideOf(region) };
      if (row.kind) mark.kind = row.kind;
      mark.pressure_category = pressure ? row.pressure_category || null : null;
      mark.developed_in_care = pressure ? inCare(row.developed_in_care) : null;
      mark.size = S.strip(row.size);
      mark.note = S.strip(row.note);
      return mark;
    });
  }

  // --- audits/schemas.py audit_form_to_json ------------------------------------------

  const ANSWER_KEY = /^answers\.(\d{1,3})\.(item|answer|note)$/;

  // A number typed or chosen as a JSON number; anything else as typed (ASCII
  // digits only, as the server checks).
  function intOrRaw(value) {
    if (value === null || S.strip(value) === '') return null;
    const text = S.strip(value);
    return /^[0-9]+$/.test(text) ? Number(text) : text;
  }

  function audit(values) {
    const body = {
      id: values.get('entry_id') || null,
      template: values.get('template') || null,
      template_version: intOrRaw(values.get('template_version')),
      conducted_at: values.get('conducted_at') ? S.localToIso(values.get('conducted_at'), S.deviceZone(values)) : null,
      observed_user_id: intOrRaw(values.get('observed_user_id')),
      person_ref: values.get('person_ref') || null,
      reaudit_of_action: intOrRaw(values.get('reaudit_of_action')),
    };
    if (values.has('feedback')) body.feedback = values.get('feedback') || '';
    const rows = new Map();
    for (const [key, value] of values.items()) {
      const m = ANSWER_KEY.exec(key);
      if (m) {
        const index = Number(m[1]);
        if (!rows.has(index)) rows.set(index, {});
        rows.get(index)[m[2]] = value;
      }
    }
    body.answers = Array.from(rows.keys())
      .sort((a, b) => a - b)
      .map((index) => {
        const row = rows.get(index);
        const item = { item: row.item || '' };
        if (row.answer) item.answer = row.answer;
        item.note = row.note || '';
        return item;
      });
    return body;
  }

  // --- sync/routes.py acknowledge_bulletin (learning.schemas.AcknowledgementInSchema) ---

  /* "I have read and understood this", tapped perhaps with no signal: the time
   * it was tapped goes with it, on the phone's clock. */
  function acknowledgement(values, now) {
    return { id: S.strip(values.get('entry_id') || ''), read_at: S.deviceTime(now) };
  }

  const READERS = { incident, audit, acknowledgement };

  /* The API body for a form of this kind. `shape` (from describeForm) is only
   * needed by forms without their own reader. */
  function payloadFor(kind, values, now, shape) {
    const reader = READERS[kind];
    return reader ? reader(values, now) : S.genericPayload(values, now, shape || {});
  }

  /* What to call an entry in the outbox list: the form's own words. */
  function summaryFor(kind, payload, shape) {
    const words = (name, value) => shape.choices?.[name]?.[value] || value;
    const bits = [];
    if (kind === 'incident') {
      if (payload.category) bits.push(words('category', payload.category));
      if (payload.kind) bits.push(words('kind', payload.kind));
      if (payload.person_ref) bits.push(payload.person_ref);
      return { bits, text: (payload.what_happened || '').slice(0, 120) };
    }
    if (kind === 'audit') {
      const answered = (payload.answers || []).filter((a) => a.answer);
      const notMet = answered.filter((a) => a.answer === 'no').length;
      if (payload.observed_user_id) bits.push(words('observed_user_id', String(payload.observed_user_id)));
      if (payload.person_ref) bits.push(payload.person_ref);
      bits.push(
        `${answered.length} of ${(payload.answers || []).length} answered${notMet ? `, ${notMet} not met` : ''}`,
      );
      return { bits, text: payload.feedback || '' };
    }
    for (const [name, value] of Object.entries(payload)) {
      if (typeof value === 'string' && shape.choices?.[name] && bits.length < 3) bits.push(words(name, value));
    }
    return { bits, text: '' };
  }

  NS.payloads = { READERS, payloadFor, summaryFor, informedRows };
})(typeof self !== 'undefined' ? self : this);
