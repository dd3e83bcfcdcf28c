/* Form capture: every form[data-offline-form] saves its entry on this phone
 * before anything is sent. Online, htmx (or the browser) posts the form and the
 * server's answer is shown; the saved entry then leaves the phone once the sync
 * API confirms it. With no signal, a weak one or trouble on the server, the
 * entry waits in the outbox and the form says so. */
(() => {
  'use strict';

  const P = window.CandourOffline?.pageParts;
  if (!P) return;
  const { doc, store, laterParts, S, userId, pageOwner, UUID, el, unsaved } = P;
  const FORM_TIMEOUT_MS = 20 * 1000;
  // How long a submit waits to learn whether there is signal before saving on
  // the phone instead (a weak signal must not leave the carer waiting).
  const SIGNAL_CHECK_MS = 8 * 1000;

  const requests = new WeakMap(); // htmx's xhr -> {form, entryId}

  function offlineForm(node) {
    return node instanceof HTMLFormElement && node.matches('form[data-offline-form]') ? node : null;
  }

  function setField(form, name, value) {
    let input = form.querySelector(`input[name="${name}"]`);
    if (!input) {
      input = el('input', { type: 'hidden', name });
      form.prepend(input);
    }
    input.value = value;
    return input;
  }

  function formTitle(form) {
    if (form.dataset.offlineLabel) return form.dataset.offlineLabel;
    const kind = form.dataset.offlineForm;
    if (kind === 'incident') return 'Incident or near miss report';
    if (kind === 'audit') return 'Spot-check audit';
    const heading = doc.querySelector('main h1');
    return heading ? heading.textContent.trim() : 'Report';
  }

  async function initForm(form, fresh) {
    if (form.dataset.offlineInit) return;
    form.dataset.offlineInit = '1';
    if (!userId) return;
    const idField = form.querySelector('input[name="entry_id"]') || setField(form, 'entry_id', '');
    const waiting = await waitingEntryFor(form);
    if (waiting) return P.showWaiting(form, waiting);
    if (fresh) {
      const wanted = new URLSearchParams(location.search).get('outbox_entry');
      const rendered = idField.value;
      const mine = UUID.test(rendered) ? await store.getEntry(rendered) : null;
      if (mine && mine.userId === userId) {
        // The server's answer to this entry's own post, shown again with its
        // reasons (422) or a conflict (409): the entry is on this form now.
        const status = navigationStatus();
        if (status === 422) await store.deleteEntry(mine.id, userId);
        else form.dataset.correcting = mine.id;
        return P.watchForm(form);
      }
      // A page served from the cache carries the id it was cached with: every
      // opening of a form must make its own.
      idField.value = S.uuid();
      if (wanted) await P.loadCorrection(form, wanted, idField);
      else await P.restoreDraft(form, idField);
    } else if (!UUID.test(idField.value)) {
      idField.value = S.uuid();
    }
    P.watchForm(form);
  }

  function navigationStatus() {
    const nav = performance.getEntriesByType?.('navigation')[0];
    return nav && typeof nav.responseStatus === 'number' ? nav.responseStatus : null;
  }

  /* Store the entry on this phone before anything is sent. */
  async function writeAhead(form, now) {
    const idField = form.querySelector('input[name="entry_id"]');
    if (!UUID.test(idField.value)) idField.value = S.uuid();
    const shape = S.describeForm(form);
    const kind = form.dataset.offlineForm;
    const { payloads } = await laterParts();
    const payload = payloads.payloadFor(kind, new S.FormValues(shape.pairs), now, shape);
    const entry = {
      id: payload.id,
      userId,
      kind,
      apiUrl: form.dataset.apiUrl,
      formUrl: location.pathname,
      payload,
      fields: shape.pairs.filter(([name]) => name !== 'csrf_token'),
      questions: shape.questions,
      choices: shape.choices,
      title: formTitle(form),
      summary: payloads.summaryFor(kind, payload, shape),
      createdAt: S.deviceTime(now),
      status: 'waiting',
      lastAnswer: null,
      draftKey: P.draftKey(form),
      lease: { owner: pageOwner, until: Date.now() + store.LEASE_MS },
    };
    // Photos taken in the form (static/js/photos.js) are kept with the entry.
    return store.saveEntry(entry, { replaces: form.dataset.correcting || null, photos: form.candourPhotos || [] });
  }

  /* What the server would refuse in this form, checked on the phone before the
   * entry is saved (the form carries the server's rules: incidents/offline_checks.py),
   * as {name: [messages]} in the form's own order, or null. A check that cannot
   * run never stands in the way: the server still checks. */
  function checkFirst(form, now) {
    const { checks, payloads } = window.CandourOffline;
    const node = form.querySelector('script[data-offline-rules]');
    if (!checks || !node) return null;
    try {
      if (!form.candourRules) form.candourRules = JSON.parse(node.textContent);
      const shape = S.describeForm(form);
      const payload = payloads.payloadFor(form.dataset.offlineForm, new S.FormValues(shape.pairs), now, shape);
      const context = { branchChoice: Boolean(form.querySelector('select[name="branch"]')) };
      const errors = checks.checkIncident(form.candourRules, payload, now, context);
      const names = Array.from(form.elements, (field) => field.name).filter(Boolean);
      const place = (key) => {
        const name = key === 'id' ? 'entry_id' : key;
        const at = names.findIndex((n) => n === name || n.startsWith(`${name}.`));
        return at < 0 ? -1 : at;
      };
      const keys = Object.keys(errors).sort((a, b) => place(a) - place(b));
      return keys.length ? Object.fromEntries(keys.map((key) => [key, errors[key]])) : null;
    } catch {
      return null;
    }
  }

  /* The entry already made with a small form, if it still waits in the outbox
   * (a page kept on the phone from before it was tapped shows the form again). */
  async function waitingEntryFor(form) {
    if (!P.isInline(form) || !form.dataset.apiUrl) return null;
    const mine = await store.entriesFor(userId);
    return mine.find((e) => e.apiUrl === form.dataset.apiUrl) || null;
  }

  /* Send a form's entry through the sync API and show what happened (forms that
   * htmx does not post, and when the form's own post was refused as expired). */
  async function sendThroughApi(form, entry) {
    // Another window or this page's own start may be sending: wait a little for
    // it rather than tell a carer with signal that it is only saved on the phone.
    const { queue } = await laterParts();
    const result = await queue.replay({ force: true, only: [entry.id], owner: pageOwner, waitMs: SIGNAL_CHECK_MS });
    const sent = (result.sent || []).find((s) => s.id === entry.id);
    if (sent) {
      await store.deleteDraft(entry.draftKey).catch(() => {});
      P.showSent(form, sent.reference);
      await P.refreshBadge();
      return;
    }
    const after = await store.getEntry(entry.id);
    if (after && after.status === 'attention') {
      // The form is on screen: correct it here. The entry stays in the outbox
      // (as "needs attention") in case the carer leaves the page.
      form.dataset.correcting = after.id;
      const answer = after.lastAnswer || {};
      const errors = Object.assign({}, answer.errors || {});
      if (answer.status === 409) {
        form.querySelector('input[name="entry_id"]').value = S.uuid();
        errors.entry_id = [
          'A report with this number was already received with different answers. Sending again sends this as a new report; compare both in your outbox.',
        ];
      }
      P.showErrors(form, errors, answer.message);
      await P.refreshBadge();
      return;
    }
    P.showSaved(form, entry, result.stopped === 'signed-out' ? 'signed-out' : 'trouble');
  }

  async function prepare(form, issue) {
    form.dataset.offlineTouched = '1';
    const now = new Date();
    // When the entry was made, on the phone's clock: kept once set, so sending
    // the same entry again sends the same content.
    // (Only forms that carry these fields: a form's reader decides what it sends.)
    const made = form.querySelector('input[name="reported_at"]');
    if (made && !made.value) made.value = S.deviceTime(now);
    const offset = form.querySelector('input[name="tz_offset"]');
    if (offset) offset.value = String(S.deviceOffset(now));
    const problem = form.parentNode?.querySelector('[data-offline-problem]');
    if (problem) problem.remove();
    // The incident form's saving parts, the first time (see page-common.js): with
    // neither signal nor a worker to answer, the form goes as it would with no
    // script (prepareOrSend) and what was typed stays, on screen and as a draft.
    const { queue } = await laterParts();
    // What the server would refuse is shown now, as it would show it, and
    // nothing is saved: a carer must not be told "saved" for a report that
    // would come back refused once they are off shift.
    const refused = checkFirst(form, now);
    if (refused) return P.showErrors(form, refused);
    let entry;
    try {
      entry = await writeAhead(form, now);
      P.requestPersistence();
    } catch (err) {
      unsaved.add(form);
      if (store.isQuotaError(err)) {
        P.loudProblem(form, 'Not saved: this phone is out of space', [
          'Your report is still on this screen. Do not close Candour or go back.',
          'Free some space on the phone (delete photos, videos or apps you do not need), then press the button to send again.',
        ]);
      } else {
        P.loudProblem(form, 'Not saved on this phone', [
          `This phone would not keep the report (${err?.name ? err.name : 'storage error'}). Your report is still on this screen: do not close Candour.`,
        ]);
      }
      // With signal it can still go straight to the server.
      if (issue && navigator.onLine !== false) issue();
      return;
    }
    if (navigator.onLine === false) return P.showSaved(form, entry, 'offline');
    const who = await queue.session(SIGNAL_CHECK_MS);
    if (who.state === 'signed-out') return P.showSaved(form, entry, 'signed-out');
    if (who.state !== 'ok') return P.showSaved(form, entry, 'trouble');
    if (who.user.id !== userId) return P.showSaved(form, entry, 'other-user');
    setField(form, 'csrf_token', who.token);
    form.candourEntry = entry;
    if (issue) issue();
    else await sendThroughApi(form, entry);
  }

  /* Never let the outbox stand between a carer and the send button: if saving
   * here fails in a way nobody foresaw, the form still goes as it would without
   * this script. */
  function prepareOrSend(form, issue) {
    let issued = false;
    const once = issue
      ? () => {
          if (!issued) {
            issued = true;
            issue();
          }
        }
      : null;
    prepare(form, once).catch(() => {
      if (once) once();
    });
  }

  doc.addEventListener('htmx:confirm', (event) => {
    const form = offlineForm(event.detail.elt);
    if (!form || !userId) return;
    event.preventDefault();
    prepareOrSend(form, () => event.detail.issueRequest(true));
  });

  doc.addEventListener('htmx:configRequest', (event) => {
    const form = offlineForm(event.detail.elt);
    if (form && !event.detail.timeout) event.detail.timeout = FORM_TIMEOUT_MS;
  });

  doc.addEventListener('htmx:beforeRequest', (event) => {
    const form = offlineForm(event.detail.elt);
    if (form && event.detail.xhr) {
      requests.set(event.detail.xhr, { form, entry: form.candourEntry || null });
      form.candourEntry = null;
    }
  });

  // The server answered (before htmx swaps anything in).
  doc.addEventListener('htmx:beforeOnLoad', (event) => {
    const info = event.detail.xhr && requests.get(event.detail.xhr);
    if (!info) return;
    requests.delete(event.detail.xhr);
    const { form, entry } = info;
    const status = event.detail.xhr.status;
    if (!entry) {
      if (status >= 200 && status < 300) unsaved.delete(form);
      return;
    }
    if (status === 200 || status === 201) {
      // The page shows the server's answer; the phone lets the entry go only
      // once the sync API confirms it has exactly this content.
      unsaved.delete(form);
      store.deleteDraft(entry.draftKey).catch(() => {});
      store.release(entry.id, pageOwner).then(() => P.confirmAfterForm(entry));
      return;
    }
    if (status === 401 || status === 400 || status === 0 || status === 408 || status === 429 || status >= 500) {
      // Not the server's verdict on the report: the phone keeps it and says so
      // (htmx neither swaps nor follows a redirect here).
      event.preventDefault();
    }
    if (status === 401) {
      P.showSaved(form, entry, 'signed-out');
    } else if (status === 400) {
      // Usually an expired form: the sync API, with a fresh token, decides.
      sendThroughApi(form, entry);
    } else if (status === 0 || status === 408 || status === 429 || status >= 500) {
      P.showSaved(form, entry, 'trouble');
    } else {
      // 422, 403, 404, 409: the form shows the server's reasons and keeps the
      // answers (and the draft is still there): nothing waits in the outbox.
      store.deleteEntry(entry.id, userId).then(P.refreshBadge);
    }
  });

  for (const type of ['htmx:sendError', 'htmx:timeout', 'htmx:sendAbort']) {
    doc.addEventListener(type, (event) => {
      const info = event.detail.xhr && requests.get(event.detail.xhr);
      if (!info) return;
      requests.delete(event.detail.xhr);
      if (info.entry) P.showSaved(info.form, info.entry, 'trouble');
    });
  }

  // Forms that htmx does not post: saved here first, then posted the normal way
  // (the server's own page answers; the worker answers "saved on this phone" if
  // the post fails on the way). A form with data-offline-send="api" has no page
  // route of its own: the sync API takes it directly.
  doc.addEventListener('submit', (event) => {
    const form = offlineForm(event.target);
    if (!form || !userId || form.hasAttribute('hx-post')) return;
    event.preventDefault();
    if (form.dataset.offlineSend === 'api') prepareOrSend(form, null);
    else prepareOrSend(form, () => HTMLFormElement.prototype.submit.call(form));
  });

  doc.addEventListener(
    'input',
    (event) => {
      const form = event.target?.form;
      if (offlineForm(form)) form.dataset.offlineTouched = '1';
    },
    true,
  );

  window.addEventListener('beforeunload', (event) => {
    if (Array.from(unsaved).some((form) => form.isConnected)) {
      event.preventDefault();
      event.returnValue = '';
    }
  });

  function initForms(root, fresh) {
    const forms = root.matches?.('form[data-offline-form]')
      ? [root]
      : Array.from(root.querySelectorAll('form[data-offline-form]'));
    return Promise.all(forms.map((form) => initForm(form, fresh)));
  }

  P.initForms = initForms;
})();
