/* The incident report form: progressive enhancement only. Without this script every
   question is on screen and the form posts normally; with it the form shows only what
   applies, fills in sensible times, and fills the device's own clock in at sending. */
'use strict';

(() => {
  const FORM = 'form[data-incident-form]';

  function pad(n) {
    return String(n).padStart(2, '0');
  }

  // What a datetime-local input shows for a moment, on this phone's clock.
  function localValue(date) {
    return (
      date.getFullYear() +
      '-' +
      pad(date.getMonth() + 1) +
      '-' +
      pad(date.getDate()) +
      'T' +
      pad(date.getHours()) +
      ':' +
      pad(date.getMinutes())
    );
  }

  // The moment with this phone's offset, e.g. 2026-11-20T08:15:03+00:00.
  function isoWithOffset(date) {
    const east = -date.getTimezoneOffset();
    const sign = east >= 0 ? '+' : '-';
    const abs = Math.abs(east);
    return `${localValue(date)}:${pad(date.getSeconds())}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }

  function setDeviceClock(form) {
    const offset = form.querySelector('input[name="tz_offset"]');
    if (offset) offset.value = String(-new Date().getTimezoneOffset());
  }

  // Show a group of questions only for the answer they belong to; hidden questions
  // are disabled so they are not sent.
  function updateReveals(form) {
    form.querySelectorAll('[data-reveal-when]').forEach((group) => {
      const chosen = form.querySelector(`input[name="${group.dataset.revealWhen}"]:checked`);
      const show = Boolean(chosen && chosen.value === group.dataset.revealValue);
      group.hidden = !show;
      group.querySelectorAll('input, select, textarea').forEach((el) => {
        el.disabled = !show;
      });
    });
    const branch = form.querySelector('[data-branch-choice]');
    const person = form.querySelector('select[name="person_ref"]');
    if (branch && person) {
      const needed = person.value === '' || Boolean(branch.querySelector('.nhsuk-form-group--error'));
      branch.hidden = !needed;
      branch.querySelectorAll('select').forEach((el) => {
        el.disabled = !needed;
      });
    }
  }

  // A near miss caused no harm: answer that question for the carer if still open.
  function onKindChange(form, input) {
    if (input.value !== 'near_miss') return;
    if (form.querySelector('input[name="harm"]:checked')) return;
    const none = form.querySelector('input[name="harm"][value="none"]');
    if (none) none.checked = true;
  }

  function rowIndex(row) {
    const who = row.querySelector('[name^="people_informed."]');
    return who ? Number(who.name.split('.')[1]) : 0;
  }

  function renumber(row, from, to) {
    const namePart = `people_informed.${from}.`;
    const idPart = `field-people-informed-${from}-`;
    row.querySelectorAll('[name]').forEach((el) => {
      el.name = el.name.replace(namePart, `people_informed.${to}.`);
    });
    row.querySelectorAll('[id]').forEach((el) => {
      el.id = el.id.replace(idPart, `field-people-informed-${to}-`);
    });
    row.querySelectorAll('label[for]').forEach((el) => {
      el.htmlFor = el.htmlFor.replace(idPart, `field-people-informed-${to}-`);
    });
  }

  function clearRow(row) {
    for (const el of row.querySelectorAll('.nhsuk-error-message')) el.remove();
    for (const el of row.querySelectorAll('.nhsuk-form-group--error')) el.classList.remove('nhsuk-form-group--error');
    row.querySelectorAll('.nhsuk-select--error, .nhsuk-input--error').forEach((el) => {
      el.classList.remove('nhsuk-select--error', 'nhsuk-input--error');
      el.removeAttribute('aria-describedby');
    });
    row.querySelectorAll('select').forEach((el) => {
      el.value = el.name.endsWith('.method') ? 'phone' : '';
    });
    row.querySelectorAll('input').forEach((el) => {
      el.value = '';
    });
  }

  function addInformedRow(form) {
    const list = form.querySelector('[data-informed-rows]');
    const rows = list.querySelectorAll('[data-informed-row]');
    const last = rows[rows.length - 1];
    const next = Math.max(...Array.from(rows, rowIndex)) + 1;
    const copy = last.cloneNode(true);
    renumber(copy, rowIndex(last), next);
    clearRow(copy);
    copy.setAttribute('data-blank', '');
    list.appendChild(copy);
    const who = copy.querySelector('select');
    if (who) who.focus();
  }

  function enhanceInformed(form) {
    const list = form.querySelector('[data-informed-rows]');
    if (!list) return;
    // One empty row to start from; "Add someone else" makes more.
    const blanks = list.querySelectorAll('[data-informed-row][data-blank]');
    const filled = list.querySelectorAll('[data-informed-row]').length - blanks.length;
    blanks.forEach((row, n) => {
      if (n > 0 || filled > 0) row.remove();
    });
    const add = form.querySelector('[data-add-informed]');
    if (add) add.hidden = false;
  }

  function enhance(form) {
    if (form.dataset.enhanced) return;
    form.dataset.enhanced = 'true';
    setDeviceClock(form);
    // A page kept on the phone shows the time it was fetched: "now" is now.
    const occurred = form.querySelector('input[name="occurred_at"][data-default-now]');
    if (occurred?.dataset.defaultNow && occurred.value === occurred.dataset.defaultNow) {
      occurred.value = localValue(new Date());
      occurred.dataset.defaultNow = occurred.value;
    }
    enhanceInformed(form);
    updateReveals(form);

    form.addEventListener('change', (event) => {
      const el = event.target;
      if (el.name === 'kind') onKindChange(form, el);
      if (/^people_informed\.\d+\.who$/.test(el.name) && el.value) {
        // Told just now, unless the carer says otherwise.
        const at = form.querySelector(`input[name="${el.name.replace('.who', '.at')}"]`);
        if (at && !at.value) at.value = localValue(new Date());
      }
      updateReveals(form);
    });
    form.addEventListener('click', (event) => {
      if (event.target.closest('[data-add-informed]')) {
        event.preventDefault();
        addInformedRow(form);
      }
    });
  }

  function enhanceAll(root) {
    if (root.matches?.(FORM)) enhance(root);
    root.querySelectorAll(FORM).forEach(enhance);
  }

  // Before anything else sees the submit (htmx, or the offline outbox): the time the
  // entry was made, on the phone's clock. Kept once set, so sending twice sends the same.
  document.addEventListener(
    'submit',
    (event) => {
      const form = event.target;
      if (!form.matches?.(FORM)) return;
      setDeviceClock(form);
      const made = form.querySelector('input[name="reported_at"]');
      if (made && !made.value) made.value = isoWithOffset(new Date());
    },
    true,
  );

  // The element that sent the request (the form), whichever element the event is on.
  function sender(detail) {
    const elt = detail.requestConfig?.elt || detail.elt;
    return elt?.matches?.(FORM) ? elt : null;
  }

  // "Already sent" (409) comes back as the form to show, like a 422.
  document.body.addEventListener('htmx:beforeSwap', (event) => {
    if (event.detail.xhr.status === 409 && sender(event.detail)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Any other refusal: say so beside the button and keep every answer on screen.
  document.body.addEventListener('htmx:responseError', (event) => {
    const form = sender(event.detail);
    if (!form) return;
    const problem = form.querySelector('[data-form-problem]');
    if (!problem) return;
    const status = event.detail.xhr.status;
    let text = 'Not sent: something went wrong on our side. Your answers are still here; try again in a moment.';
    if (status === 400) text = 'Not sent: this form has expired. Copy what you wrote, reload the page and try again.';
    if (status === 403) text = 'Not sent: your role cannot report incidents. Ask your manager.';
    if (status === 413) text = 'Not sent: the report is too long. Shorten the longest answer and try again.';
    problem.textContent = text;
    problem.hidden = false;
    problem.setAttribute('tabindex', '-1');
    problem.focus();
  });

  document.body.addEventListener('htmx:load', (event) => {
    const root = event.detail?.elt ? event.detail.elt : event.target;
    enhanceAll(root);
    if (root.id === 'incident-report') {
      const target = root.querySelector('[data-error-summary]') || root.querySelector('[data-sent-heading]');
      if (target) {
        window.scrollTo(0, 0);
        target.focus();
      }
    }
  });

  enhanceAll(document);
})();
