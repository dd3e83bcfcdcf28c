/* The phone's own check of a report before it is saved: the server's rules
 * (incidents/schemas.py IncidentInSchema) read from the table the server makes
 * of them (incidents/offline_checks.py), so a report the server would refuse is
 * caught here with the server's own messages, keyed as its 422 keys them
 * ("thresholds.safeguarding", "people_informed.0.at"). The same cases run on
 * both sides: tests/parity/check_cases.json. No DOM needed.
 */
((root) => {
  'use strict';

  root.CandourOffline = root.CandourOffline || {};
  const NS = root.CandourOffline;

  const MINUTE = 60 * 1000;
  const DAY = 24 * 60 * MINUTE;
  const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$/;
  const UUID_TEXT =
    /^(?:urn:uuid:)?\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/;

  function chars(text) {
    return Array.from(text).length;
  }

  /* An ISO 8601 moment as the server reads one: {ms, day} or a problem. */
  function readMoment(value) {
    const m = typeof value === 'string' ? ISO.exec(value) : null;
    if (!m) return { problem: 'invalid' };
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v || 0));
    const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    if (
      probe.getUTCFullYear() !== year ||
      probe.getUTCMonth() !== month - 1 ||
      probe.getUTCDate() !== day ||
      hour > 23 ||
      minute > 59 ||
      second > 59
    ) {
      return { problem: 'invalid' };
    }
    if (!m[8]) return { problem: 'naive' };
    let offset = 0;
    if (m[8] !== 'Z') {
      const digits = m[8].replace(':', '');
      offset = (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))) * (digits[0] === '-' ? -1 : 1);
    }
    const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
    return { ms: probe.getTime() + fraction - offset * MINUTE, day: `${m[1]}-${m[2]}-${m[3]}` };
  }

  function isPlainObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  }

  /* One field's own rules (marshmallow's order: missing, null, type, validators). */
  function checkField(rule, value, present, key, errors, table) {
    const fail = (message) => {
      errors[key] = [message];
      return undefined;
    };
    if (!present) {
      if (rule.required) errors[key] = [rule.required];
      return undefined;
    }
    if (value === null) {
      if (!rule.nullable) errors[key] = [rule.null];
      return null;
    }
    let read = value;
    if (rule.type === 'string') {
      if (typeof value !== 'string') return fail(rule.invalid);
    } else if (rule.type === 'boolean') {
      if (typeof value !== 'boolean') return fail(rule.invalid);
    } else if (rule.type === 'integer') {
      // A whole JSON number (not a string, not true or false), within the column's range.
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail(rule.invalid);
      if (value < rule.minimum || value > rule.maximum) return fail(rule.invalid);
    } else if (rule.type === 'uuid') {
      if (typeof value !== 'string' || !UUID_TEXT.test(value)) return fail(rule.invalid);
    } else if (rule.type === 'moment') {
      const moment = readMoment(value);
      if (moment.problem) return fail(rule[moment.problem]);
      if (moment.day < table.range[0] || moment.day > table.range[1]) return fail(rule.out_of_range);
      read = moment.ms;
    } else if (rule.type === 'object') {
      if (!isPlainObject(value)) return fail(rule.invalid);
      const inner = checkObject(rule.fields, value, key, errors, table);
      if (!inner) return undefined;
      read = inner;
    } else if (rule.type === 'list') {
      if (!Array.isArray(value)) return fail(rule.invalid);
      let ok = true;
      read = value.map((item, n) => {
        if (rule.item) {
          // A list of plain values: each by the item's own rule.
          const before = Object.keys(errors).length;
          const one = checkField(rule.item, item, true, `${key}.${n}`, errors, table);
          if (Object.keys(errors).length > before) ok = false;
          return one;
        }
        if (!isPlainObject(item)) {
          errors[`${key}.${n}._schema`] = [rule.item_invalid];
          ok = false;
          return null;
        }
        const inner = checkObject(rule.fields, item, `${key}.${n}`, errors, table);
        if (!inner) ok = false;
        // A list item's schema takes no other fields (as the server's, for the body map's marks).
        if (rule.unknown) {
          for (const name of Object.keys(item)) {
            if (!Object.hasOwn(rule.fields, name)) {
              errors[`${key}.${n}.${name}`] = [rule.unknown];
              ok = false;
            }
          }
        }
        return inner;
      });
      if (!ok) return undefined;
    }
    if (rule.choices && !rule.choices.includes(value)) return fail(rule.choice_message);
    if (rule.length) {
      const size = typeof value === 'string' ? chars(value) : value.length;
      const { min, max } = rule.length;
      if (min !== null && size < min) return fail(rule.length.message || rule.length.min_message);
      if (max !== null && size > max) return fail(rule.length.message || rule.length.max_message);
    }
    return read;
  }

  /* A nested object's fields: the read values, or null when any was refused. */
  function checkObject(rules, value, prefix, errors, table) {
    const read = {};
    let ok = true;
    for (const [name, rule] of Object.entries(rules)) {
      const key = prefix ? `${prefix}.${name}` : name;
      const before = Object.keys(errors).length;
      read[name] = checkField(rule, value[name], Object.hasOwn(value, name), key, errors, table);
      if (Object.keys(errors).length > before) ok = false;
    }
    return ok ? read : null;
  }

  function blank(text) {
    return !(text || '').trim();
  }

  /* The rules across fields (incidents/schemas.py _rules), only once every field
   * passed its own, as the server does. */
  function acrossFields(table, data, now) {
    const say = table.rules;
    const fields = table.fields;
    const errors = {};
    for (const key of ['what_happened', 'immediate_actions']) {
      if (blank(data[key])) errors[key] = [fields[key].length.message];
    }
    const isMedication = data.category === 'medication';
    if (isMedication && !data.medication_error) errors.medication_error = [say.medication_error_missing];
    if (!isMedication && data.medication_error) errors.medication_error = [say.medication_error_not_medication];
    if (data.kind === 'near_miss' && data.harm !== 'none') errors.harm = [say.near_miss_harm];

    const clock = now.getTime();
    const skew = table.clock_skew_minutes * MINUTE;
    const earliest = Date.parse(table.earliest);
    const occurred = data.occurred_at;
    const reported = data.reported_at;
    if (reported > clock + skew) errors.reported_at = [say.reported_future];
    if (reported < earliest) errors.reported_at = [say.reported_early];
    if (occurred < earliest) errors.occurred_at = [say.occurred_early];
    else if (occurred > reported) errors.occurred_at = [say.occurred_after_reported];
    else if (reported - occurred > table.late_after_days * DAY && blank(data.late_reason)) {
      errors.late_reason = [say.late_reason];
    }
    (data.people_informed || []).forEach((row, n) => {
      const key = `people_informed.${n}.at`;
      if (row.at < earliest) errors[key] = [say.informed_early];
      else if (row.at > clock + skew) errors[key] = [say.informed_future];
      else if (occurred >= earliest && row.at < occurred - 60 * MINUTE) errors[key] = [say.informed_before];
    });
    Object.assign(errors, bodyMapErrors(table, data.body_map || []));
    return errors;
  }

  /* Each body map mark across its fields (incidents/body_map.py mark_errors): the
   * side is its place's, and only pressure damage has (and must have) a category
   * and an answer to "did it develop in our care". */
  function bodyMapErrors(table, marks) {
    const say = table.rules;
    const errors = {};
    marks.forEach((mark, n) => {
      const key = `body_map.${n}`;
      if (table.body_regions[mark.region] !== mark.side) errors[`${key}.side`] = [say.body_side];
      const pressure = mark.kind === table.pressure_kind;
      const category = mark.pressure_category ?? null;
      const inCare = mark.developed_in_care ?? null;
      if (pressure && category === null) errors[`${key}.pressure_category`] = [say.pressure_category_missing];
      else if (!pressure && category !== null) {
        errors[`${key}.pressure_category`] = [say.pressure_category_not_pressure];
      }
      if (pressure && inCare === null) errors[`${key}.developed_in_care`] = [say.developed_in_care_missing];
      else if (!pressure && inCare !== null) errors[`${key}.developed_in_care`] = [say.developed_in_care_not_pressure];
    });
    return errors;
  }

  /* What the server's 422 would say about this body: {} when it would take it.
   * context.branchChoice: the form offers a branch (the reporter works in several),
   * so one must be named when no person is (the service's rule, after the schema's). */
  function checkIncident(table, body, now, context = {}) {
    const errors = {};
    const data = checkObject(table.fields, body, '', errors, table);
    if (!data) return errors;
    const across = acrossFields(table, data, now);
    if (Object.keys(across).length) return across;
    if (context.branchChoice && !data.person_ref && !data.branch) return { branch: [table.rules.branch_needed] };
    return {};
  }

  NS.checks = { checkIncident, readMoment };
})(typeof window !== 'undefined' ? window : globalThis);
