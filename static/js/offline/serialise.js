/* Turning a form into the sync API's JSON, in the browser, exactly as the server
 * turns the same form into the same JSON (incidents/forms.py form_to_payload and
 * its siblings). The outbox stores this JSON, never the raw form request, so a
 * replay never carries a stale CSRF token or cookie.
 *
 * The generic pieces live here; what each form adds (which fields, which rules)
 * is in payloads.js. No DOM is needed except by describeForm.
 */
((root) => {
  'use strict';

  root.CandourOffline = root.CandourOffline || {};
  const NS = root.CandourOffline;
  // Real time zones lie between UTC-12 and UTC+14 (as the server checks).
  const MAX_OFFSET_MINUTES = 14 * 60;
  // The years a record may have (core/dates.py EARLIEST and LATEST).
  const EARLIEST_YEAR = 1900;
  const LATEST_YEAR = 2100;
  // Fields only the page uses; never part of a record.
  const PAGE_ONLY = new Set(['csrf_token']);

  /* The submitted values as Werkzeug's MultiDict sees them: get() is the first
   * value, has() is "the key was sent". */
  class FormValues {
    constructor(pairs) {
      this.pairs = pairs.map(([name, value]) => [String(name), String(value)]);
    }

    has(name) {
      return this.pairs.some(([key]) => key === name);
    }

    get(name) {
      const hit = this.pairs.find(([key]) => key === name);
      return hit ? hit[1] : null;
    }

    // Every value sent under this name, in page order (MultiDict.getlist()).
    getAll(name) {
      return this.pairs.filter(([key]) => key === name).map(([, value]) => value);
    }

    // First value per key, in first-seen order (MultiDict.items()).
    items() {
      const seen = new Set();
      const out = [];
      for (const [key, value] of this.pairs) {
        if (!seen.has(key)) {
          seen.add(key);
          out.push([key, value]);
        }
      }
      return out;
    }
  }

  function pad(n, width) {
    return String(Math.abs(n)).padStart(width || 2, '0');
  }

  function formatOffset(minutes) {
    const sign = minutes < 0 ? '-' : '+';
    return `${sign}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
  }

  /* Minutes east of UTC, as the form's tz_offset field carries it. */
  function deviceOffset(date) {
    return -(date || new Date()).getTimezoneOffset();
  }

  /* The device's clock as ISO 8601 with its offset, to the second
   * ("2026-11-20T08:15:02+00:00"): what reported_at carries. */
  function deviceTime(date) {
    const d = date || new Date();
    const local = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    return local + formatOffset(deviceOffset(d));
  }

  /* The value of a datetime-local input for this moment, to the minute. */
  function localInputValue(date) {
    const d = date || new Date();
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  // --- the form's time zone (incidents/forms.py device_zone) ----------------------

  /* A fixed offset from tz_offset, or "uk" (Europe/London, with summer time)
   * when the page sent none, as the server reads it. */
  function deviceZone(values) {
    const raw = trimmed(values, 'tz_offset');
    if (/^[+-]?\d{1,4}$/.test(raw) && Math.abs(parseInt(raw, 10)) <= MAX_OFFSET_MINUTES) {
      return parseInt(raw, 10);
    }
    return 'uk';
  }

  const UK_PARTS = (() => {
    try {
      return new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/London',
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      return null;
    }
  })();

  /* The offset UK clocks had at a UK wall-clock time, choosing as Python's
   * zoneinfo does with fold=0: the first of two (autumn) and the earlier offset
   * for a time that does not exist (spring). */
  function ukOffsetAt(parts) {
    const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    if (!UK_PARTS) return 0;
    for (const offset of [60, 0]) {
      const shown = {};
      for (const p of UK_PARTS.formatToParts(new Date(wall - offset * 60000))) shown[p.type] = p.value;
      if (
        Number(shown.year) === parts.year &&
        Number(shown.month) === parts.month &&
        Number(shown.day) === parts.day &&
        Number(shown.hour) === parts.hour &&
        Number(shown.minute) === parts.minute
      ) {
        return offset;
      }
    }
    return 0;
  }

  const ISO_LOCAL =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

  function daysIn(year, month) {
    return new Date(Date.UTC(year, month, 0)).getUTCDate();
  }

  /* A datetime-local value as ISO 8601 with its offset, exactly as Python's
   * datetime.fromisoformat(...).isoformat() writes it (incidents/forms.py
   * local_to_iso). A value that already has an offset keeps it; anything
   * unreadable is passed on as typed so the server names the field. */
  function localToIso(value, zone) {
    const text = strip(value);
    const m = ISO_LOCAL.exec(text);
    if (!m) return value;
    const parts = {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4] || 0),
      minute: Number(m[5] || 0),
      second: Number(m[6] || 0),
    };
    const fraction = m[7] ? m[7].padEnd(6, '0') : '';
    if (
      parts.month < 1 ||
      parts.month > 12 ||
      parts.day < 1 ||
      parts.day > daysIn(parts.year, parts.month) ||
      parts.hour > 23 ||
      parts.minute > 59 ||
      parts.second > 59 ||
      parts.year < 1
    ) {
      return value;
    }
    let offset;
    if (m[8]) {
      if (m[8] === 'Z') offset = 0;
      else {
        const digits = m[8].replace(':', '');
        const sign = digits[0] === '-' ? -1 : 1;
        const hours = Number(digits.slice(1, 3));
        const minutes = Number(digits.slice(3, 5));
        if (hours > 23 || minutes > 59) return value;
        offset = sign * (hours * 60 + minutes);
      }
    } else if (zone !== 'uk') {
      offset = zone;
    } else {
      // Outside the years a record may have, GMT (as the server reads it) and
      // the server names the year.
      const inRange = parts.year >= EARLIEST_YEAR && parts.year <= LATEST_YEAR;
      offset = inRange ? ukOffsetAt(parts) : 0;
    }
    const micro = fraction && Number(fraction) !== 0 ? `.${fraction}` : '';
    return (
      `${pad(parts.year, 4)}-${pad(parts.month)}-${pad(parts.day)}T` +
      `${pad(parts.hour)}:${pad(parts.minute)}:${pad(parts.second)}${micro}` +
      formatOffset(offset)
    );
  }

  /* "now" in the form's zone, to the second (the server's fallback for an
   * entry with no reported_at). */
  function nowInZone(now, zone) {
    if (zone !== 'uk') {
      const shifted = new Date(now.getTime() + zone * 60000);
      const local = `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}`;
      return local + formatOffset(zone);
    }
    const shown = {};
    if (UK_PARTS) for (const p of UK_PARTS.formatToParts(now)) shown[p.type] = p.value;
    const local = `${shown.year}-${shown.month}-${shown.day}T${shown.hour}:${shown.minute}:${shown.second}`;
    return localToIso(local, 'uk');
  }

  /* A checkbox: absent is false, "true" is true; anything else goes to the
   * server as sent, so its schema names the field. */
  function flag(values, name) {
    const value = values.get(name);
    if (value === null) return false;
    return value === 'true' ? true : value;
  }

  // Python's str.strip() (what the server uses), which is not quite JS trim().
  const PY_SPACE =
    '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
  const PY_STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'g');

  function strip(text) {
    return text.replace(PY_STRIP, '');
  }

  function trimmed(values, name) {
    return strip(values.get(name) || '');
  }

  function uuid() {
    if (root.crypto && typeof root.crypto.randomUUID === 'function') return root.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    root.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // --- generic forms ---------------------------------------------------------------

  /* Any form following the convention (dotted names nest, numbered segments make
   * lists, checkboxes are "true" or absent, datetime-local inputs get the
   * device's offset, entry_id is the id, empty answers are left out), for forms
   * without their own reader in payloads.js. */
  function genericPayload(values, now, shape) {
    const zone = deviceZone(values);
    const out = {};
    const place = (path, value) => {
      const keys = path.split('.');
      let node = out;
      keys.forEach((key, i) => {
        if (i === keys.length - 1) node[key] = value;
        else {
          if (node[key] === undefined) node[key] = {};
          node = node[key];
        }
      });
    };
    for (const [name, value] of values.items()) {
      if (PAGE_ONLY.has(name) || name === 'tz_offset') continue;
      if (name === 'entry_id') {
        out.id = strip(value);
        continue;
      }
      if (name === 'reported_at') continue;
      if ((shape.checkboxes || []).includes(name)) continue;
      if ((shape.datetimes || []).includes(name)) {
        if (strip(value)) place(name, localToIso(value, zone));
        continue;
      }
      // An unanswered question is left out, so the schema's default (or its
      // "required" message) applies.
      if (value !== '') place(name, value);
    }
    for (const name of shape.checkboxes || []) place(name, flag(values, name));
    const reported = trimmed(values, 'reported_at');
    if (values.has('reported_at') || shape.reported) {
      out.reported_at = reported ? localToIso(reported, zone) : nowInZone(now, zone);
    }
    // Numbered objects become lists in index order.
    const listify = (node) => {
      if (node && typeof node === 'object') {
        const keys = Object.keys(node);
        for (const key of keys) node[key] = listify(node[key]);
        if (keys.length && keys.every((k) => /^\d+$/.test(k))) {
          return keys.sort((a, b) => a - b).map((k) => node[k]);
        }
      }
      return node;
    };
    return listify(out);
  }

  // --- reading a form in the page ----------------------------------------------------

  /* The words a person reads on a label: no hints, no decorative ticks. */
  function words(node) {
    const copy = node.cloneNode(true);
    for (const extra of copy.querySelectorAll('[aria-hidden="true"], .nhsuk-hint, [class*="__hint"]')) extra.remove();
    return copy.textContent.trim().replace(/\s+/g, ' ');
  }

  function labelFor(form, el) {
    if (el.id) {
      const label = form.ownerDocument.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (label) return words(label);
    }
    const fieldset = el.closest('fieldset');
    const legend = fieldset?.querySelector('legend');
    return legend ? words(legend) : el.name;
  }

  /* What the page knows about a form that the values alone do not say: the
   * current values (as htmx would send them), which fields are checkboxes and
   * datetimes, each field's question and each choice's words (to show an entry
   * in the outbox, and both versions of a conflict, in the carer's words). */
  function describeForm(form) {
    const pairs = [];
    for (const [name, value] of new FormData(form).entries()) {
      if (typeof value === 'string') pairs.push([name, value]);
    }
    const checkboxes = new Set();
    const datetimes = new Set();
    const questions = {};
    const choices = {};
    for (const el of Array.from(form.elements)) {
      if (!el.name || el.disabled || el.type === 'hidden' || el.type === 'submit' || el.type === 'button') continue;
      if (el.type === 'checkbox') checkboxes.add(el.name);
      if (el.type === 'datetime-local') datetimes.add(el.name);
      if (!questions[el.name]) {
        const group = el.type === 'radio' ? el.closest('fieldset') : null;
        const legend = group?.querySelector('legend');
        questions[el.name] = legend ? words(legend) : labelFor(form, el);
      }
      if (el.type === 'radio' || el.type === 'checkbox') {
        const label = el.id && form.querySelector(`label[for="${CSS.escape(el.id)}"]`);
        if (label) {
          choices[el.name] = choices[el.name] || {};
          choices[el.name][el.value] = words(label);
        }
      } else if (el.tagName === 'SELECT') {
        choices[el.name] = choices[el.name] || {};
        const options = choices[el.name];
        for (const option of Array.from(el.options)) options[option.value] = option.textContent.trim();
      }
    }
    return {
      pairs,
      checkboxes: Array.from(checkboxes),
      datetimes: Array.from(datetimes),
      questions,
      choices,
    };
  }

  NS.serialise = {
    FormValues,
    deviceOffset,
    deviceTime,
    localInputValue,
    deviceZone,
    localToIso,
    nowInZone,
    flag,
    strip,
    trimmed,
    uuid,
    genericPayload,
    describeForm,
    formatOffset,
  };
})(typeof self !== 'undefined' ? self : this);
