/* The outbox in the page: every form[data-offline-form] saves its entry on this
 * phone before anything is sent; the badge; the outbox page; drafts; the
 * sign-out warning; storage and install hints; and the triggers that replay the
 * outbox (page load, back online, app visible again, a timer with back-off,
 * "send now"; the worker adds Background Sync).
 *
 * The form itself stays the server's: online, htmx posts it and the server's
 * answer is shown. The entry saved beforehand is then confirmed through the sync
 * API (200, same content) before it leaves the phone, so nothing is ever lost
 * between the two.
 */
(function () {
  'use strict';

  const NS = window.CandourOffline;
  if (!NS || !NS.store || !window.indexedDB) return;
  const { store, queue, payloads } = NS;
  const S = NS.serialise;
  const doc = document;

  const userMeta = doc.querySelector('meta[name="candour-user"]');
  const userId = userMeta ? Number(userMeta.content) : null;
  // Who holds the lease on an entry while its form is being sent: this tab,
  // across its page loads. When the next page of the tab starts, the page that
  // was sending is gone, so its leases are let go (a form posted the normal way
  // is confirmed by the page that comes next).
  const pageOwner = (() => {
    try {
      const kept = sessionStorage.getItem('candour-tab');
      if (kept) return kept;
      const made = queue.newOwner('tab');
      sessionStorage.setItem('candour-tab', made);
      return made;
    } catch (err) {
      return queue.newOwner('tab');
    }
  })();
  // Each replay from this page has its own owner within the tab's, so two
  // replays of one page never share a lease, and the tab's next page can let go
  // of what this one held if it is unloaded mid-send.
  const replayOwner = () => `${pageOwner}#${S.uuid()}`;
  const SYNC_TAG = 'candour-outbox';
  const FORM_TIMEOUT_MS = 20 * 1000;
  // How long a submit waits to learn whether there is signal before saving on
  // the phone instead (a weak signal must not leave the carer waiting).
  const SIGNAL_CHECK_MS = 8 * 1000;
  const DRAFT_DELAY_MS = 400;
  const LOW_STORAGE_BYTES = 10 * 1024 * 1024;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const OUTBOX_URL = '/outbox';
  // Entries whose sending changes a page kept on the phone (a bulletin's "read").
  const KEPT_STATE_KINDS = new Set(['acknowledgement']);

  // --- small DOM helpers (no innerHTML with anything a person typed) -------------

  function el(tag, attrs, children) {
    const node = doc.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'text') node.textContent = value;
      else if (key === 'className') node.className = value;
      else node.setAttribute(key, value === true ? '' : value);
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : doc.createTextNode(String(child)));
    }
    return node;
  }

  function fieldId(name) {
    return `field-${name.replace(/\./g, '-').replace(/_/g, '-')}`;
  }

  function when(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso || '';
    return d.toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
  }

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  // --- the worker ------------------------------------------------------------------

  function toWorker(message) {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker.ready
      .then((reg) => reg.active && reg.active.postMessage(message))
      .catch(() => {});
  }

  function askForBackgroundSync() {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker.ready
      .then((reg) => (reg.sync ? reg.sync.register(SYNC_TAG) : null))
      .catch(() => {
        /* no Background Sync (Safari, Firefox): the page's triggers do the work */
      });
  }

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.addEventListener('message', (event) => {
      const data = event.data || {};
      if (data.type === 'offline-ready' && data.userId === userId) {
        doc.documentElement.dataset.offlineReady = (data.pages || []).join(' ') || 'none';
        doc.documentElement.dataset.workerVersion = data.version;
        renderReadiness(data.pages || []);
      }
    });
  }

  // --- the badge -------------------------------------------------------------------

  async function refreshBadge() {
    if (!userId) return;
    const c = await store.counts(userId);
    for (const badge of doc.querySelectorAll('[data-outbox-count]')) {
      badge.textContent = String(c.total);
      badge.hidden = c.total === 0;
      badge.classList.toggle('app-badge--attention', c.attention > 0);
    }
    for (const words of doc.querySelectorAll('[data-outbox-words]')) {
      let text = c.total === 0 ? 'nothing waiting to be sent' : `${plural(c.total, 'report', 'reports')} waiting to be sent`;
      if (c.attention) text += `, ${c.attention} ${c.attention === 1 ? 'needs' : 'need'} your attention`;
      words.textContent = `: ${text}`;
    }
    doc.documentElement.dataset.outboxTotal = String(c.total);
  }

  // --- replay triggers and the timer -------------------------------------------------

  let timer = null;
  let lastResult = null;

  // A tap on "Send now" waits this long for a send already under way.
  const TAP_WAIT_MS = 20 * 1000;

  async function kick(force, waitMs) {
    if (!userId) return null;
    const result = await queue.replay({ force, waitMs, owner: replayOwner() });
    lastResult = result;
    await afterReplay(result, force);
    return result;
  }

  async function afterReplay(result, force) {
    clearTimeout(timer);
    timer = null;
    // A kept page shows what was sent (a bulletin read): keep it again now, so
    // with no signal later it does not ask for the same thing twice.
    if ((result.sent || []).some((s) => KEPT_STATE_KINDS.has(s.kind))) toWorker({ type: 'signed-in', userId, force: true });
    await refreshBadge();
    await renderNotices(result);
    if (doc.querySelector('[data-outbox]')) await renderOutbox();
    const c = await store.counts(userId);
    if (!c.waiting || result.stopped === 'signed-out') return;
    let delay;
    // Another tab or the worker was sending: look again soon, still forced if
    // this was (the network just came back, or "send now").
    let again = false;
    if (result.stopped === 'busy') {
      delay = 1000 + Math.random() * 1000;
      again = Boolean(force);
    } else {
      const at = await queue.nextTryAt();
      delay = at ? Math.max(500, at - Date.now()) : 3000 + Math.random() * 2000;
    }
    if (result.stopped === 'trouble') askForBackgroundSync();
    timer = setTimeout(() => kick(again), delay);
  }

  // --- forms -----------------------------------------------------------------------

  const requests = new WeakMap(); // htmx's xhr -> {form, entryId}
  const unsaved = new Set(); // forms whose entry could not be stored here

  function offlineForm(node) {
    return node instanceof HTMLFormElement && node.matches('form[data-offline-form]') ? node : null;
  }

  function draftKey(form) {
    return `${userId}|${form.dataset.offlineForm}|${location.pathname}`;
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

  /* What a person typed (not the page's own fields), to keep as a draft or to
   * put back into the form. */
  function typedPairs(form) {
    const skip = new Set(['csrf_token', 'reported_at', 'tz_offset', 'entry_id']);
    return S.describeForm(form).pairs.filter(([name]) => !skip.has(name));
  }

  /* Put saved answers back into a form, adding repeated rows (the form's own
   * "add another" button) when there were more than the blank form shows. */
  function fill(form, pairs) {
    let missing = fillOnce(form, pairs);
    for (let tries = 0; missing.length && tries < 20; tries += 1) {
      const add = form.querySelector('[data-add-informed], [data-add-row]');
      if (!add) break;
      add.click();
      const before = missing.length;
      missing = fillOnce(form, pairs);
      if (missing.length >= before && tries > 2) break;
    }
    return missing;
  }

  function fillOnce(form, pairs) {
    const byName = new Map();
    for (const [name, value] of pairs) {
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name).push(value);
    }
    const placed = new Set();
    for (const field of Array.from(form.elements)) {
      if (!field.name || field.type === 'hidden' || field.type === 'submit' || field.type === 'button') continue;
      const values = byName.get(field.name);
      if (field.type === 'radio' || field.type === 'checkbox') {
        const on = Boolean(values && values.includes(field.value));
        if (field.checked !== on) {
          field.checked = on;
          field.dispatchEvent(new Event('change', { bubbles: true }));
        }
      } else if (field.tagName === 'SELECT' && field.multiple) {
        for (const option of Array.from(field.options)) option.selected = Boolean(values && values.includes(option.value));
      } else if (values && values.length) {
        field.value = values.shift();
        field.dispatchEvent(new Event(field.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
      } else {
        continue;
      }
      placed.add(field.name);
    }
    return Array.from(byName.keys()).filter((name) => !placed.has(name));
  }

  function notice(form, kind, children) {
    const old = form.parentNode && form.parentNode.querySelector(`[data-offline-notice="${kind}"]`);
    if (old) old.remove();
    const box = el('div', { className: 'nhsuk-inset-text app-offline-notice', 'data-offline-notice': kind, role: 'status' }, children);
    form.before(box);
    return box;
  }

  function clearClientErrors(form) {
    const scope = form.parentNode || form;
    for (const node of scope.querySelectorAll('[data-offline-errors], [data-offline-error]')) node.remove();
    for (const group of form.querySelectorAll('.app-offline-error-group')) {
      group.classList.remove('nhsuk-form-group--error', 'app-offline-error-group');
    }
  }

  /* The server's reasons, shown on the form the way the server shows its own
   * (an error summary linking to each field's message). */
  function showErrors(form, errors, message) {
    clearClientErrors(form);
    const items = [];
    for (const [rawName, messages] of Object.entries(errors || {})) {
      const name = rawName === 'id' ? 'entry_id' : rawName;
      for (const text of [].concat(messages)) {
        items.push(el('li', {}, [el('a', { href: `#${fieldId(name)}`, text })]));
      }
      const field = form.querySelector(`[name="${CSS.escape(name)}"]:not([type=hidden])`);
      const group = field && field.closest('.nhsuk-form-group');
      if (group) {
        group.classList.add('nhsuk-form-group--error', 'app-offline-error-group');
        const msg = el('span', { className: 'nhsuk-error-message', 'data-offline-error': name, id: `${fieldId(name)}-error` }, [
          el('span', { className: 'nhsuk-u-visually-hidden', text: 'Error:' }),
          ` ${[].concat(messages).join(' ')}`,
        ]);
        const anchor = group.querySelector('input, select, textarea, .nhsuk-radios, .nhsuk-checkboxes, fieldset > div');
        if (anchor && anchor.parentNode) anchor.parentNode.insertBefore(msg, anchor);
        else group.prepend(msg);
      }
    }
    if (message && !items.length) items.push(el('li', { text: message }));
    const summary = el(
      'div',
      { className: 'nhsuk-error-summary', role: 'alert', tabindex: '-1', 'data-error-summary': true, 'data-offline-errors': true },
      [
        el('h2', { className: 'nhsuk-error-summary__title', text: 'There is a problem' }),
        el('div', { className: 'nhsuk-error-summary__body' }, [
          message && items.length > 1 ? el('p', { text: message }) : null,
          el('ul', { className: 'nhsuk-list nhsuk-error-summary__list' }, items),
        ]),
      ],
    );
    form.before(summary);
    summary.focus();
  }

  function loudProblem(form, title, body) {
    const old = form.parentNode && form.parentNode.querySelector('[data-offline-problem]');
    if (old) old.remove();
    const box = el('div', { className: 'nhsuk-error-summary app-offline-problem', role: 'alert', tabindex: '-1', 'data-offline-problem': true }, [
      el('h2', { className: 'nhsuk-error-summary__title', text: title }),
      el('div', { className: 'nhsuk-error-summary__body' }, body.map((text) => el('p', { text }))),
    ]);
    form.before(box);
    box.focus();
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
    if (waiting) return showWaiting(form, waiting);
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
        return watchForm(form);
      }
      // A page served from the cache carries the id it was cached with: every
      // opening of a form must make its own.
      idField.value = S.uuid();
      if (wanted) await loadCorrection(form, wanted, idField);
      else await restoreDraft(form, idField);
    } else if (!UUID.test(idField.value)) {
      idField.value = S.uuid();
    }
    watchForm(form);
  }

  function navigationStatus() {
    const nav = performance.getEntriesByType && performance.getEntriesByType('navigation')[0];
    return nav && typeof nav.responseStatus === 'number' ? nav.responseStatus : null;
  }

  function watchForm(form) {
    let pending = null;
    const saveSoon = () => {
      clearTimeout(pending);
      pending = setTimeout(() => saveDraft(form), DRAFT_DELAY_MS);
    };
    form.addEventListener('input', saveSoon);
    form.addEventListener('change', saveSoon);
    form.candourSaveDraft = () => {
      clearTimeout(pending);
      return saveDraft(form);
    };
  }

  async function saveDraft(form) {
    if (!form.isConnected || !form.dataset.offlineTouched) return;
    const idField = form.querySelector('input[name="entry_id"]');
    try {
      await store.saveDraft({
        key: draftKey(form),
        userId,
        kind: form.dataset.offlineForm,
        entryId: idField ? idField.value : null,
        correcting: form.dataset.correcting || null,
        pairs: typedPairs(form),
        savedAt: new Date().toISOString(),
      });
      form.dataset.draftSaved = new Date().toISOString();
    } catch (err) {
      if (store.isQuotaError(err)) {
        loudProblem(form, 'This phone is out of space', [
          'What you type cannot be kept if Candour is closed. Keep this page open, send the report when you can, and free some space on the phone.',
        ]);
      }
    }
  }

  async function restoreDraft(form, idField) {
    const draft = await store.getDraft(draftKey(form));
    if (!draft || draft.userId !== userId || !draft.pairs || !draft.pairs.length) return;
    if (draft.entryId && (await store.getEntry(draft.entryId)) && !draft.correcting) {
      // Already in the outbox (the page closed just after saving it): that
      // entry holds these answers; this is a new report.
      await store.deleteDraft(draft.key);
      return;
    }
    fill(form, draft.pairs);
    if (draft.entryId && UUID.test(draft.entryId)) idField.value = draft.entryId;
    if (draft.correcting) form.dataset.correcting = draft.correcting;
    form.dataset.offlineTouched = '1';
    const again = el('button', { type: 'button', className: 'app-link-button', 'data-draft-discard': true, text: 'Start again with an empty form' });
    again.addEventListener('click', async () => {
      await store.deleteDraft(draftKey(form));
      location.assign(location.pathname);
    });
    notice(form, 'draft', [
      el('p', { text: `We kept what you had typed (${when(draft.savedAt)}). Check it, then send it.` }),
      el('p', {}, [again]),
    ]);
  }

  async function loadCorrection(form, id, idField) {
    const entry = await store.getEntry(id);
    if (!entry || entry.userId !== userId || entry.kind !== form.dataset.offlineForm) {
      notice(form, 'correction', [el('p', { text: 'That saved report is not on this phone any more: it may have been sent already. This is a new, empty form.' })]);
      return;
    }
    fill(form, entry.fields || []);
    form.dataset.correcting = entry.id;
    form.dataset.offlineTouched = '1';
    const answer = entry.lastAnswer || {};
    if (answer.status === 409) {
      // That id is taken on the server by other content: this becomes a new report.
      notice(form, 'correction', [
        el('p', { text: 'A report with this number was already received with different answers. If you send this, it goes as a new report.' }),
      ]);
    } else {
      idField.value = entry.id;
    }
    showErrors(form, answer.errors || {}, answer.message || 'Check the answers below, then send again.');
  }

  /* Store the entry on this phone before anything is sent. */
  async function writeAhead(form, now) {
    const idField = form.querySelector('input[name="entry_id"]');
    if (!UUID.test(idField.value)) idField.value = S.uuid();
    const shape = S.describeForm(form);
    const kind = form.dataset.offlineForm;
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
      draftKey: draftKey(form),
      lease: { owner: pageOwner, until: Date.now() + store.LEASE_MS },
    };
    return store.saveEntry(entry, { replaces: form.dataset.correcting || null });
  }

  /* A small form within a page (data-offline-inline, like a bulletin's "I have
   * read this"): its answer takes its place where it is, with no "Report another". */
  function isInline(form) {
    return form.hasAttribute('data-offline-inline');
  }

  /* The entry already made with a small form, if it still waits in the outbox
   * (a page kept on the phone from before it was tapped shows the form again). */
  async function waitingEntryFor(form) {
    if (!isInline(form) || !form.dataset.apiUrl) return null;
    const mine = await store.entriesFor(userId);
    return mine.find((e) => e.apiUrl === form.dataset.apiUrl) || null;
  }

  function showWaiting(form, entry) {
    const attention = entry.status === 'attention';
    const panel = el('div', { className: 'app-saved-panel', role: 'status', 'data-offline-saved': 'earlier' }, [
      el('h2', {
        className: 'nhsuk-heading-s',
        text: attention ? 'Done on this phone, but it needs your attention' : 'Done on this phone — it will be sent when you have signal',
      }),
      el('p', {}, [el('a', { href: OUTBOX_URL, text: 'See what is waiting to be sent' })]),
    ]);
    form.replaceWith(panel);
  }

  function replaceWithPanel(form, panel) {
    const container = form.parentNode;
    if (container) {
      for (const node of container.querySelectorAll('[data-error-summary], [data-offline-notice], [data-offline-problem]')) node.remove();
    }
    form.replaceWith(panel);
    panel.focus();
    if (!isInline(form)) window.scrollTo(0, 0);
  }

  async function showSaved(form, entry, why) {
    unsaved.delete(form);
    await store.release(entry.id, pageOwner).catch(() => {});
    await store.deleteDraft(entry.draftKey).catch(() => {});
    const c = await store.counts(userId);
    const lines = {
      'signed-out': 'Your sign-in has expired. Sign in again and it will be sent.',
      'other-user': 'Someone else is signed in on this phone now. It will be sent when you sign in again.',
    };
    const panel = el('div', { className: 'app-saved-panel', role: 'status', tabindex: '-1', 'data-offline-saved': why }, [
      el('h2', { className: 'nhsuk-heading-m', text: 'Saved on this phone — it will be sent when you have signal' }),
      el('p', { text: lines[why] || 'You do not need to do anything else. Keep Candour on this phone until it has been sent.' }),
      why === 'signed-out' ? el('p', {}, [el('a', { href: `/login?next=${encodeURIComponent(OUTBOX_URL)}`, text: 'Sign in again' })]) : null,
      isInline(form) ? null : el('p', {}, [el('a', { className: 'nhsuk-button', href: location.pathname, 'data-report-another': true, text: 'Report another' })]),
      el('p', {}, [el('a', { href: OUTBOX_URL, text: `See what is waiting to be sent (${c.total})` })]),
    ]);
    replaceWithPanel(form, panel);
    askForBackgroundSync();
    await refreshBadge();
    if (why === 'trouble') afterReplay({ stopped: 'trouble' });
  }

  function showSent(form, reference) {
    unsaved.delete(form);
    const panel = el('div', { className: 'app-saved-panel app-saved-panel--sent', role: 'status', tabindex: '-1', 'data-offline-sent': reference || '' }, [
      el('h2', { className: 'nhsuk-heading-m', text: 'Sent' }),
      el('p', { text: form.dataset.offlineSentText || (reference ? `The office has it. Its reference is ${reference}.` : 'The office has it.') }),
      isInline(form) ? null : el('p', {}, [el('a', { className: 'nhsuk-button', href: location.pathname, text: 'Report another' })]),
    ]);
    replaceWithPanel(form, panel);
  }

  /* Send a form's entry through the sync API and show what happened (forms that
   * htmx does not post, and when the form's own post was refused as expired). */
  async function sendThroughApi(form, entry) {
    // Another window or this page's own start may be sending: wait a little for
    // it rather than tell a carer with signal that it is only saved on the phone.
    const result = await queue.replay({ force: true, only: [entry.id], owner: pageOwner, waitMs: SIGNAL_CHECK_MS });
    const sent = (result.sent || []).find((s) => s.id === entry.id);
    if (sent) {
      await store.deleteDraft(entry.draftKey).catch(() => {});
      showSent(form, sent.reference);
      await refreshBadge();
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
        errors.entry_id = ['A report with this number was already received with different answers. Sending again sends this as a new report; compare both in your outbox.'];
      }
      showErrors(form, errors, answer.message);
      await refreshBadge();
      return;
    }
    showSaved(form, entry, result.stopped === 'signed-out' ? 'signed-out' : 'trouble');
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
    const problem = form.parentNode && form.parentNode.querySelector('[data-offline-problem]');
    if (problem) problem.remove();
    let entry;
    try {
      entry = await writeAhead(form, now);
      requestPersistence();
    } catch (err) {
      unsaved.add(form);
      if (store.isQuotaError(err)) {
        loudProblem(form, 'Not saved: this phone is out of space', [
          'Your report is still on this screen. Do not close Candour or go back.',
          'Free some space on the phone (delete photos, videos or apps you do not need), then press the button to send again.',
        ]);
      } else {
        loudProblem(form, 'Not saved on this phone', [
          `This phone would not keep the report (${err && err.name ? err.name : 'storage error'}). Your report is still on this screen: do not close Candour.`,
        ]);
      }
      // With signal it can still go straight to the server.
      if (issue && navigator.onLine !== false) issue();
      return;
    }
    if (navigator.onLine === false) return showSaved(form, entry, 'offline');
    const who = await queue.session(SIGNAL_CHECK_MS);
    if (who.state === 'signed-out') return showSaved(form, entry, 'signed-out');
    if (who.state !== 'ok') return showSaved(form, entry, 'trouble');
    if (who.user.id !== userId) return showSaved(form, entry, 'other-user');
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
      store.release(entry.id, pageOwner).then(() => confirmAfterForm(entry));
      return;
    }
    if (status === 401 || status === 400 || status === 0 || status === 408 || status === 429 || status >= 500) {
      // Not the server's verdict on the report: the phone keeps it and says so
      // (htmx neither swaps nor follows a redirect here).
      event.preventDefault();
    }
    if (status === 401) {
      showSaved(form, entry, 'signed-out');
    } else if (status === 400) {
      // Usually an expired form: the sync API, with a fresh token, decides.
      sendThroughApi(form, entry);
    } else if (status === 0 || status === 408 || status === 429 || status >= 500) {
      showSaved(form, entry, 'trouble');
    } else {
      // 422, 403, 404, 409: the form shows the server's reasons and keeps the
      // answers (and the draft is still there): nothing waits in the outbox.
      store.deleteEntry(entry.id, userId).then(refreshBadge);
    }
  });

  async function confirmAfterForm(entry) {
    const result = await queue.replay({ force: true, only: [entry.id], owner: replayOwner() });
    await afterReplay(result);
  }

  for (const type of ['htmx:sendError', 'htmx:timeout', 'htmx:sendAbort']) {
    doc.addEventListener(type, (event) => {
      const info = event.detail.xhr && requests.get(event.detail.xhr);
      if (!info) return;
      requests.delete(event.detail.xhr);
      if (info.entry) showSaved(info.form, info.entry, 'trouble');
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

  doc.addEventListener('input', (event) => {
    const form = event.target && event.target.form;
    if (offlineForm(form)) form.dataset.offlineTouched = '1';
  }, true);

  function saveAllDrafts() {
    for (const form of doc.querySelectorAll('form[data-offline-form]')) {
      if (form.candourSaveDraft) form.candourSaveDraft();
    }
  }

  // The phone locks or the app is put away: keep what was typed now.
  doc.addEventListener('visibilitychange', () => {
    if (doc.visibilityState === 'hidden') saveAllDrafts();
    else kick(false);
  });
  window.addEventListener('pagehide', saveAllDrafts);
  window.addEventListener('beforeunload', (event) => {
    if (Array.from(unsaved).some((form) => form.isConnected)) {
      event.preventDefault();
      event.returnValue = '';
    }
  });

  // --- the outbox page -------------------------------------------------------------

  const STATUS_WORDS = {
    waiting: 'Waiting for signal',
    sending: 'Sending now',
    attention: 'Needs your attention',
    signin: 'Waiting for you to sign in again',
  };

  function statusOf(entry, signinNeeded) {
    if (entry.status === 'attention') return 'attention';
    if (store.leaseHeld(entry.lease, Date.now())) return 'sending';
    return signinNeeded ? 'signin' : 'waiting';
  }

  function flatten(value, prefix, out) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    } else if (Array.isArray(value)) {
      if (!value.length) out[prefix] = '';
      value.forEach((v, i) => flatten(v, `${prefix}.${i}`, out));
    } else {
      out[prefix] = value;
    }
    return out;
  }

  const NOT_COMPARED = new Set(['id', 'reference', 'status', 'received_at', 'reporter_id']);

  function shown(entry, name, value) {
    if (value === null || value === undefined || value === '') return '—';
    if (value === true) return 'Yes';
    if (value === false) return 'No';
    const words = (entry.choices || {})[name.replace(/\.\d+\./, '.0.')] || (entry.choices || {})[name];
    if (words && words[value]) return words[value];
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return when(value);
    return String(value);
  }

  function sameMoment(a, b) {
    const x = Date.parse(a);
    const y = Date.parse(b);
    return !Number.isNaN(x) && x === y;
  }

  function comparison(entry) {
    const mine = flatten(entry.payload, '', {});
    const theirs = flatten(entry.lastAnswer.existing || {}, '', {});
    const names = Array.from(new Set(Object.keys(mine).concat(Object.keys(theirs)))).filter((n) => !NOT_COMPARED.has(n));
    const rows = names
      .filter((n) => {
        const a = mine[n] === undefined ? null : mine[n];
        const b = theirs[n] === undefined ? null : theirs[n];
        return a !== b && !sameMoment(a, b) && !((a === null || a === '') && (b === null || b === ''));
      })
      .map((n) => {
        const question = (entry.questions || {})[n] || n.replace(/[._]/g, ' ');
        return el('tr', { className: 'nhsuk-table__row' }, [
          el('th', { className: 'nhsuk-table__header', scope: 'row', text: question }),
          el('td', { className: 'nhsuk-table__cell', text: shown(entry, n, mine[n]) }),
          el('td', { className: 'nhsuk-table__cell', text: shown(entry, n, theirs[n]) }),
        ]);
      });
    return el('div', { className: 'app-table-wrap' }, [
      el('table', { className: 'nhsuk-table app-outbox-compare', 'data-outbox-compare': true }, [
        el('caption', { className: 'nhsuk-table__caption', text: 'What is different' }),
        el('thead', { className: 'nhsuk-table__head' }, [
          el('tr', {}, [
            el('th', { scope: 'col', text: 'Question' }),
            el('th', { scope: 'col', text: 'On this phone' }),
            el('th', { scope: 'col', text: `Already received${entry.lastAnswer.existing && entry.lastAnswer.existing.reference ? ` (${entry.lastAnswer.existing.reference})` : ''}` }),
          ]),
        ]),
        el('tbody', {}, rows.length ? rows : [el('tr', {}, [el('td', { colspan: '3', text: 'Only the times differ.' })])]),
      ]),
    ]);
  }

  function reasons(entry) {
    const answer = entry.lastAnswer || {};
    const items = [];
    for (const [name, messages] of Object.entries(answer.errors || {})) {
      const question = (entry.questions || {})[name === 'id' ? 'entry_id' : name];
      for (const text of [].concat(messages)) items.push(el('li', { text: question ? `${question} ${text}` : text }));
    }
    if (answer.message) items.unshift(el('li', { text: answer.message }));
    return items.length ? el('ul', { className: 'nhsuk-list nhsuk-list--bullet app-outbox-reasons', 'data-outbox-reasons': true }, items) : null;
  }

  function entryCard(entry, signinNeeded) {
    const status = statusOf(entry, signinNeeded);
    const answer = entry.lastAnswer;
    const summary = entry.summary || { bits: [] };
    const actions = [];
    if (status === 'attention') {
      actions.push(el('a', { className: 'nhsuk-button nhsuk-button--secondary', href: `${entry.formUrl}?outbox_entry=${encodeURIComponent(entry.id)}`, 'data-outbox-correct': true, text: 'Correct it and send again' }));
      if (answer && answer.status === 409) {
        const asNew = el('button', { type: 'button', className: 'nhsuk-button nhsuk-button--secondary', 'data-outbox-send-as-new': true, text: 'Send this as a new report' });
        asNew.addEventListener('click', () => sendAsNew(entry));
        actions.push(asNew);
        const existing = answer.existing || {};
        if (existing.reporter_id === userId) {
          const keep = el('button', { type: 'button', className: 'app-link-button', 'data-outbox-keep-theirs': true, text: `Keep the one already received${existing.reference ? ` (${existing.reference})` : ''} and remove this copy` });
          keep.addEventListener('click', async () => {
            await store.deleteEntry(entry.id, userId);
            await renderOutbox();
            await refreshBadge();
          });
          actions.push(keep);
        }
      }
    }
    return el('li', { className: `app-outbox-entry app-outbox-entry--${status}`, 'data-outbox-entry': entry.id, 'data-status': status }, [
      el('h2', { className: 'nhsuk-heading-s', text: entry.title || 'Report' }),
      summary.bits && summary.bits.length ? el('p', { className: 'nhsuk-body-s app-outbox-entry__what', text: summary.bits.join(' · ') }) : null,
      summary.text ? el('p', { className: 'nhsuk-body-s', text: summary.text }) : null,
      el('dl', { className: 'app-outbox-facts' }, [
        el('dt', { text: 'Made' }),
        el('dd', { text: when(entry.createdAt) }),
        el('dt', { text: 'Status' }),
        el('dd', {}, [el('strong', { className: `app-tag app-tag--${status}`, 'data-outbox-status-word': true, text: STATUS_WORDS[status] })]),
        el('dt', { text: 'Tries' }),
        el('dd', { text: String(entry.attempts || 0) }),
        answer ? el('dt', { text: 'Last answer' }) : null,
        answer ? el('dd', { 'data-outbox-last-error': true, text: `${when(answer.at)}: ${answer.message || (answer.status ? `code ${answer.status}` : 'no answer')}` }) : null,
      ]),
      status === 'attention' ? reasons(entry) : null,
      status === 'attention' && answer && answer.status === 409 ? comparison(entry) : null,
      actions.length ? el('div', { className: 'app-outbox-actions' }, actions) : null,
    ]);
  }

  async function sendAsNew(entry) {
    const id = S.uuid();
    const payload = Object.assign({}, entry.payload, { id });
    const fields = (entry.fields || []).map(([n, v]) => [n, n === 'entry_id' ? id : v]);
    const copy = Object.assign({}, entry, { id, payload, fields, status: 'waiting', lastAnswer: null, lease: null });
    await store.saveEntry(copy, { replaces: entry.id });
    await kick(true);
  }

  async function renderOutbox() {
    const root = doc.querySelector('[data-outbox]');
    if (!root || !userId) return;
    root.hidden = false;
    const entries = await store.entriesFor(userId);
    const signin = await store.getMeta('signin-needed');
    const c = await store.counts(userId);
    const list = root.querySelector('[data-outbox-list]');
    list.replaceChildren(
      ...(entries.length
        ? [el('ul', { className: 'nhsuk-list app-outbox-list' }, entries.map((e) => entryCard(e, Boolean(signin))))]
        : [el('p', { className: 'nhsuk-body', 'data-outbox-empty': true, text: 'Nothing is waiting: everything made on this phone has been sent.' })]),
    );
    const others = root.querySelector('[data-outbox-others]');
    others.textContent = c.others
      ? `${plural(c.others, 'report', 'reports')} made by someone else on this phone ${c.others === 1 ? 'is' : 'are'} waiting for them to sign in. Only they can see or send ${c.others === 1 ? 'it' : 'them'}.`
      : '';
    others.hidden = !c.others;
    const receipts = await store.receiptsFor(userId);
    const sent = root.querySelector('[data-outbox-receipts]');
    sent.replaceChildren(
      ...(receipts.length
        ? [el('ul', { className: 'nhsuk-list' }, receipts.map((r) => el('li', { 'data-outbox-receipt': r.id, text: `${r.title || 'Report'}${r.reference ? ` ${r.reference}` : ''}, sent ${when(r.sentAt)}` })))]
        : [el('p', { className: 'nhsuk-body-s', text: 'Nothing sent from this phone yet.' })]),
    );
    root.querySelector('[data-outbox-send-now]').hidden = !c.waiting;
    await renderStorage(root.querySelector('[data-outbox-storage]'));
  }

  async function sendNow(button) {
    const status = doc.querySelector('[data-outbox-progress]');
    button.disabled = true;
    if (status) status.textContent = 'Sending…';
    const ids = async () => new Set((await store.entriesFor(userId)).map((e) => e.id));
    const before = await ids();
    const result = await kick(true, TAP_WAIT_MS);
    button.disabled = false;
    if (!status || !result) return;
    // What left the phone since the tap, whether this window, another one or
    // the worker sent it: the carer asked for it to go, not who should send it.
    const after = await ids();
    const gone = [...before].filter((id) => !after.has(id)).length;
    const c = await store.counts(userId);
    const parts = [];
    if (gone) parts.push(`Sent ${plural(gone, 'report', 'reports')}.`);
    if (result.stopped === 'trouble') parts.push('No signal or the server is busy: we will keep trying.');
    if (result.stopped === 'signed-out') parts.push('Your sign-in has expired: sign in again to send.');
    if (result.stopped === 'busy') parts.push('Still sending from another window or in the background: we will keep trying.');
    if (result.stopped === 'backoff' && result.until) {
      const at = new Date(result.until).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
      parts.push(`The server asked us to wait: we will try again at ${at}.`);
    }
    if (c.attention) parts.push(`${plural(c.attention, 'report needs', 'reports need')} your attention.`);
    if (!c.total) parts.push('Nothing is waiting.');
    status.textContent = parts.join(' ');
  }

  // --- notices: sign-in needed, storage, install -------------------------------

  let storageState = null;

  async function readStorage() {
    const s = navigator.storage;
    if (!s || !s.estimate) return { supported: false };
    const state = { supported: true };
    try {
      state.persisted = s.persisted ? await s.persisted() : null;
      const est = await s.estimate();
      state.usage = est.usage;
      state.quota = est.quota;
      state.low = est.quota - est.usage < LOW_STORAGE_BYTES || est.usage / est.quota > 0.9;
    } catch (err) {
      state.supported = false;
    }
    storageState = state;
    return state;
  }

  let persistAsked = false;
  function requestPersistence() {
    if (persistAsked || !navigator.storage || !navigator.storage.persist) return;
    persistAsked = true;
    navigator.storage
      .persist()
      .then((granted) => store.setMeta('persist', { granted, at: Date.now() }))
      .then(readStorage)
      .catch(() => {});
  }

  function mb(bytes) {
    return `${Math.max(0, Math.round(bytes / (1024 * 1024)))} MB`;
  }

  async function renderStorage(box) {
    if (!box) return;
    const state = await readStorage();
    const lines = [];
    if (!state.supported) lines.push(el('p', { text: 'This browser does not say how much space it has.' }));
    else {
      lines.push(
        el('p', { 'data-storage-persisted': String(Boolean(state.persisted)) }, [
          state.persisted
            ? 'This phone keeps saved reports until they are sent, even when it is short of space.'
            : 'This phone may clear saved reports if it runs short of space. Send them as soon as you have signal; installing Candour on the home screen helps keep them.',
        ]),
      );
      lines.push(el('p', { className: 'nhsuk-body-s', text: `Space free for Candour: ${mb(state.quota - state.usage)}.` }));
      if (state.low) lines.push(el('p', { className: 'app-warning-text', 'data-storage-low': true, text: 'This phone is nearly out of space.' }));
    }
    box.replaceChildren(...lines);
  }

  function renderReadiness(pages) {
    const box = doc.querySelector('[data-offline-readiness]');
    if (!box) return;
    const forms = pages.filter((p) => p !== OUTBOX_URL);
    box.textContent = forms.length
      ? 'This phone is ready to work without signal: the forms you use are saved on it.'
      : 'The forms are not saved on this phone yet. Open Candour once with signal.';
  }

  async function renderNotices(result) {
    const box = doc.querySelector('[data-offline-notices]');
    if (!box || !userId) return;
    const c = await store.counts(userId);
    const items = [];
    if (result && result.stopped === 'signed-out' && c.total) {
      items.push(
        el('div', { className: 'app-offline-banner app-offline-banner--warning', role: 'alert', 'data-notice': 'signin' }, [
          el('p', {}, [
            `Your sign-in has expired. ${plural(c.total, 'report is', 'reports are')} saved on this phone and will be sent when you `,
            el('a', { href: `/login?next=${encodeURIComponent(location.pathname)}`, text: 'sign in again' }),
            '.',
          ]),
        ]),
      );
    }
    const state = storageState || (await readStorage());
    if (state.supported && state.low) {
      items.push(
        el('div', { className: 'app-offline-banner app-offline-banner--warning', role: 'alert', 'data-notice': 'storage-low' }, [
          el('p', { text: `This phone is nearly out of space (${mb(state.quota - state.usage)} left for Candour). Reports are kept on it until sent: free some space soon.` }),
        ]),
      );
    }
    box.replaceChildren(...items, ...Array.from(box.querySelectorAll('[data-notice="install"]')));
  }

  function isIos() {
    const ua = navigator.userAgent || '';
    return /iPhone|iPad|iPod/.test(ua) || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
  }

  function installed() {
    return navigator.standalone === true || (window.matchMedia && window.matchMedia('(display-mode: standalone)').matches);
  }

  let installPrompt = null;
  window.addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault();
    installPrompt = event;
    showInstall();
  });

  function showInstall() {
    const box = doc.querySelector('[data-offline-notices]');
    if (!box || !userId || installed() || box.querySelector('[data-notice="install"]')) return;
    if (localStorage.getItem('candour-install-hint') === 'dismissed') return;
    const dismiss = el('button', { type: 'button', className: 'app-link-button', text: 'Not now' });
    const parts = [];
    if (installPrompt) {
      const button = el('button', { type: 'button', className: 'nhsuk-button nhsuk-button--secondary', 'data-install-button': true, text: 'Install Candour on this phone' });
      button.addEventListener('click', async () => {
        installPrompt.prompt();
        await installPrompt.userChoice.catch(() => null);
        installPrompt = null;
        hint.remove();
      });
      parts.push(el('p', { text: 'Install Candour to open it from your home screen, with or without signal.' }), button);
    } else if (isIos()) {
      parts.push(
        el('p', {}, [
          el('strong', { text: 'Put Candour on your home screen. ' }),
          'In Safari, tap the Share button, then “Add to Home Screen”. Reports saved without signal are kept more safely when Candour is installed.',
        ]),
      );
    } else {
      return;
    }
    const hint = el('div', { className: 'app-offline-banner', 'data-notice': 'install', 'data-install-hint': installPrompt ? 'prompt' : 'ios' }, [...parts, dismiss]);
    dismiss.addEventListener('click', () => {
      localStorage.setItem('candour-install-hint', 'dismissed');
      hint.remove();
    });
    box.append(hint);
  }

  // --- signing out -------------------------------------------------------------

  async function forgetHere() {
    await store.setMeta('device-user', null).catch(() => {});
    if (window.caches) await caches.delete(`candour-pages-u${userId}`).catch(() => {});
    toWorker({ type: 'signed-out', userId });
  }

  doc.addEventListener(
    'submit',
    async (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.matches('form[data-sign-out]') || !userId) return;
      event.preventDefault();
      const c = await store.counts(userId);
      if (!c.total || form.dataset.confirmed) {
        await forgetHere();
        form.submit();
        return;
      }
      showSignOutWarning(form, c);
    },
    true,
  );

  function showSignOutWarning(form, c) {
    const old = doc.querySelector('[data-signout-warning]');
    if (old) old.remove();
    const progress = el('p', { role: 'status', 'data-signout-progress': true });
    const signOut = async () => {
      form.dataset.confirmed = '1';
      await forgetHere();
      form.submit();
    };
    const send = el('button', { type: 'button', className: 'nhsuk-button', 'data-signout-send': true, text: 'Send them now, then sign out' });
    const anyway = el('button', { type: 'button', className: 'nhsuk-button nhsuk-button--secondary', 'data-signout-anyway': true, text: 'Sign out and keep them on this phone' });
    const stay = el('button', { type: 'button', className: 'app-link-button', 'data-signout-stay': true, text: 'Stay signed in' });
    const box = el('div', { className: 'nhsuk-error-summary app-signout-warning', role: 'alertdialog', 'aria-labelledby': 'signout-warning-title', tabindex: '-1', 'data-signout-warning': true }, [
      el('h2', { className: 'nhsuk-error-summary__title', id: 'signout-warning-title', text: `${plural(c.total, 'report has', 'reports have')} not been sent yet` }),
      el('p', { text: 'They are saved on this phone. If you sign out now they stay here, and are sent the next time you sign in on this phone. Nobody else who signs in here can see or send them.' }),
      c.attention ? el('p', {}, [`${plural(c.attention, 'report needs', 'reports need')} your attention first: `, el('a', { href: OUTBOX_URL, text: 'see your outbox' }), '.']) : null,
      el('div', { className: 'app-outbox-actions' }, [send, anyway, stay]),
      progress,
    ]);
    send.addEventListener('click', async () => {
      send.disabled = true;
      progress.textContent = 'Sending…';
      await kick(true, TAP_WAIT_MS);
      const left = await store.counts(userId);
      send.disabled = false;
      if (!left.total) {
        progress.textContent = 'All sent. Signing you out…';
        await signOut();
      } else {
        progress.textContent = `${plural(left.total, 'report is', 'reports are')} still waiting${left.waiting ? ' (no signal yet)' : ''}. You can wait here, or sign out and keep them on this phone.`;
      }
    });
    anyway.addEventListener('click', signOut);
    stay.addEventListener('click', () => box.remove());
    const main = doc.querySelector('main') || doc.body;
    main.prepend(box);
    box.focus();
  }

  // --- start ---------------------------------------------------------------------

  function initForms(root, fresh) {
    const forms = root.matches && root.matches('form[data-offline-form]') ? [root] : Array.from(root.querySelectorAll('form[data-offline-form]'));
    return Promise.all(forms.map((form) => initForm(form, fresh)));
  }

  async function start() {
    if (!userId) return;
    await store.setMeta('device-user', { userId, at: Date.now() });
    await store.releaseOwner(pageOwner);
    if ('serviceWorker' in navigator && !navigator.serviceWorker.controller) toWorker({ type: 'claim' });
    toWorker({ type: 'signed-in', userId });
    store.listen(() => {
      refreshBadge();
      if (doc.querySelector('[data-outbox]')) renderOutbox();
    });
    await initForms(doc, true);
    doc.documentElement.dataset.offlineForms = 'ready';
    doc.body.addEventListener('htmx:load', (event) => initForms(event.detail.elt, false));
    const sendButton = doc.querySelector('[data-outbox-send-now]');
    if (sendButton) sendButton.addEventListener('click', () => sendNow(sendButton));
    if (doc.querySelector('[data-outbox]')) {
      requestPersistence();
      await renderOutbox();
    }
    await refreshBadge();
    await renderNotices(null);
    showInstall();
    window.addEventListener('online', () => kick(true));
    await kick(false);
  }

  NS.page = { kick, refreshBadge, renderOutbox, fill, userId, owner: pageOwner, lastResult: () => lastResult };
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', start);
  else start();
})();
