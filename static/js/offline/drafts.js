/* Drafts: what a person typed is kept on this phone as they type (and when the
 * phone locks or the page goes), and put back when the form is opened again; a
 * saved entry that needs correcting is put back into its form the same way. */
(() => {
  'use strict';

  const P = window.CandourOffline?.pageParts;
  if (!P) return;
  const { doc, store, S, userId, UUID, el, when } = P;
  const DRAFT_DELAY_MS = 400;

  function draftKey(form) {
    return `${userId}|${form.dataset.offlineForm}|${location.pathname}`;
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
      const add = addButtonFor(form, missing);
      if (!add) break;
      add.click();
      const before = missing.length;
      missing = fillOnce(form, pairs);
      if (missing.length >= before && tries > 2) break;
    }
    return missing;
  }

  /* The "add another" button for the rows still missing: one that names the
   * rows it adds (data-add-row="body_map.") if any is missing, else the first
   * that names none. Only buttons of the page (not ones that would post it). */
  function addButtonFor(form, missing) {
    const buttons = Array.from(form.querySelectorAll('[data-add-informed], [data-add-row]')).filter(
      (button) => button.type === 'button',
    );
    const named = buttons.find((b) => b.dataset.addRow && missing.some((name) => name.startsWith(b.dataset.addRow)));
    return named || buttons.find((b) => !b.dataset.addRow) || null;
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
        const on = Boolean(values?.includes(field.value));
        if (field.checked !== on) {
          field.checked = on;
          field.dispatchEvent(new Event('change', { bubbles: true }));
        }
      } else if (field.tagName === 'SELECT' && field.multiple) {
        for (const option of Array.from(field.options)) option.selected = Boolean(values?.includes(option.value));
      } else if (values?.length) {
        field.value = values.shift();
        field.dispatchEvent(new Event(field.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
      } else {
        continue;
      }
      placed.add(field.name);
    }
    return Array.from(byName.keys()).filter((name) => !placed.has(name));
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
        P.loudProblem(form, 'This phone is out of space', [
          'What you type cannot be kept if Candour is closed. Keep this page open, send the report when you can, and free some space on the phone.',
        ]);
      }
    }
  }

  async function restoreDraft(form, idField) {
    // A sign-in known to have ended: what was typed stays, shown only after sign-in.
    if (await store.signInEnded(userId, Date.now())) return;
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
    const again = el('button', {
      type: 'button',
      className: 'app-link-button',
      'data-draft-discard': true,
      text: 'Start again with an empty form',
    });
    again.addEventListener('click', async () => {
      await store.deleteDraft(draftKey(form));
      location.assign(location.pathname);
    });
    P.notice(form, 'draft', [
      el('p', { text: `We kept what you had typed (${when(draft.savedAt)}). Check it, then send it.` }),
      el('p', {}, [again]),
    ]);
  }

  async function loadCorrection(form, id, idField) {
    if (await store.signInEnded(userId, Date.now())) return;
    const entry = await store.getEntry(id);
    if (!entry || entry.userId !== userId || entry.kind !== form.dataset.offlineForm) {
      P.notice(form, 'correction', [
        el('p', {
          text: 'That saved report is not on this phone any more: it may have been sent already. This is a new, empty form.',
        }),
      ]);
      return;
    }
    fill(form, entry.fields || []);
    form.dataset.correcting = entry.id;
    form.dataset.offlineTouched = '1';
    const answer = entry.lastAnswer || {};
    if (answer.status === 409) {
      // That id is taken on the server by other content: this becomes a new report.
      P.notice(form, 'correction', [
        el('p', {
          text: 'A report with this number was already received with different answers. If you send this, it goes as a new report.',
        }),
      ]);
    } else {
      idField.value = entry.id;
    }
    P.showErrors(form, answer.errors || {}, answer.message || 'Check the answers below, then send again.');
  }

  function saveAllDrafts() {
    for (const form of doc.querySelectorAll('form[data-offline-form]')) {
      if (form.candourSaveDraft) form.candourSaveDraft();
    }
  }

  // The phone locks or the app is put away: keep what was typed now. (Back in
  // view: look at the outbox again.)
  doc.addEventListener('visibilitychange', () => {
    if (doc.visibilityState === 'hidden') saveAllDrafts();
    else P.kick(false);
  });
  window.addEventListener('pagehide', saveAllDrafts);

  Object.assign(P, { draftKey, fill, watchForm, restoreDraft, loadCorrection });
})();
