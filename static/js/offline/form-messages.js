/* What a form shows about its entry: notices above it, the server's reasons
 * shown as the server shows its own, a loud problem when the phone cannot keep
 * it, and the panels that take its place once it is saved here or sent. */
(() => {
  'use strict';

  const P = window.CandourOffline?.pageParts;
  if (!P) return;
  const { store, userId, pageOwner, OUTBOX_URL, el, askForBackgroundSync, unsaved } = P;

  function fieldId(name) {
    return `field-${name.replace(/\./g, '-').replace(/_/g, '-')}`;
  }

  function notice(form, kind, children) {
    const old = form.parentNode?.querySelector(`[data-offline-notice="${kind}"]`);
    if (old) old.remove();
    const box = el(
      'div',
      { className: 'nhsuk-inset-text app-offline-notice', 'data-offline-notice': kind, role: 'status' },
      children,
    );
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
      const group = field?.closest('.nhsuk-form-group');
      if (group) {
        group.classList.add('nhsuk-form-group--error', 'app-offline-error-group');
        const msg = el(
          'span',
          { className: 'nhsuk-error-message', 'data-offline-error': name, id: `${fieldId(name)}-error` },
          [el('span', { className: 'nhsuk-u-visually-hidden', text: 'Error:' }), ` ${[].concat(messages).join(' ')}`],
        );
        const anchor = group.querySelector('input, select, textarea, .nhsuk-radios, .nhsuk-checkboxes, fieldset > div');
        if (anchor?.parentNode) anchor.parentNode.insertBefore(msg, anchor);
        else group.prepend(msg);
      }
    }
    if (message && !items.length) items.push(el('li', { text: message }));
    const summary = el(
      'div',
      {
        className: 'nhsuk-error-summary',
        role: 'alert',
        tabindex: '-1',
        'data-error-summary': true,
        'data-offline-errors': true,
      },
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
    const old = form.parentNode?.querySelector('[data-offline-problem]');
    if (old) old.remove();
    const box = el(
      'div',
      {
        className: 'nhsuk-error-summary app-offline-problem',
        role: 'alert',
        tabindex: '-1',
        'data-offline-problem': true,
      },
      [
        el('h2', { className: 'nhsuk-error-summary__title', text: title }),
        el(
          'div',
          { className: 'nhsuk-error-summary__body' },
          body.map((text) => el('p', { text })),
        ),
      ],
    );
    form.before(box);
    box.focus();
  }

  /* A small form within a page (data-offline-inline, like a bulletin's "I have
   * read this"): its answer takes its place where it is, with no "Report another". */
  function isInline(form) {
    return form.hasAttribute('data-offline-inline');
  }

  function showWaiting(form, entry) {
    const attention = entry.status === 'attention';
    const panel = el('div', { className: 'app-saved-panel', role: 'status', 'data-offline-saved': 'earlier' }, [
      el('h2', {
        className: 'nhsuk-heading-s',
        text: attention
          ? 'Done on this phone, but it needs your attention'
          : 'Done on this phone — it will be sent when you have signal',
      }),
      el('p', {}, [el('a', { href: OUTBOX_URL, text: 'See what is waiting to be sent' })]),
    ]);
    form.replaceWith(panel);
  }

  function replaceWithPanel(form, panel) {
    const container = form.parentNode;
    if (container) {
      for (const node of container.querySelectorAll(
        '[data-error-summary], [data-offline-notice], [data-offline-problem]',
      ))
        node.remove();
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
    const panel = el(
      'div',
      { className: 'app-saved-panel', role: 'status', tabindex: '-1', 'data-offline-saved': why },
      [
        el('h2', { className: 'nhsuk-heading-m', text: 'Saved on this phone — it will be sent when you have signal' }),
        el('p', {
          text: lines[why] || 'You do not need to do anything else. Keep Candour on this phone until it has been sent.',
        }),
        why === 'signed-out'
          ? el('p', {}, [el('a', { href: `/login?next=${encodeURIComponent(OUTBOX_URL)}`, text: 'Sign in again' })])
          : null,
        isInline(form)
          ? null
          : el('p', {}, [
              el('a', {
                className: 'nhsuk-button',
                href: location.pathname,
                'data-report-another': true,
                text: 'Report another',
              }),
            ]),
        el('p', {}, [el('a', { href: OUTBOX_URL, text: `See what is waiting to be sent (${c.total})` })]),
      ],
    );
    replaceWithPanel(form, panel);
    askForBackgroundSync();
    await P.refreshBadge();
    if (why === 'trouble') P.afterReplay({ stopped: 'trouble' });
  }

  function showSent(form, reference) {
    unsaved.delete(form);
    const panel = el(
      'div',
      {
        className: 'app-saved-panel app-saved-panel--sent',
        role: 'status',
        tabindex: '-1',
        'data-offline-sent': reference || '',
      },
      [
        el('h2', { className: 'nhsuk-heading-m', text: 'Sent' }),
        el('p', {
          text:
            form.dataset.offlineSentText ||
            (reference ? `The office has it. Its reference is ${reference}.` : 'The office has it.'),
        }),
        isInline(form)
          ? null
          : el('p', {}, [el('a', { className: 'nhsuk-button', href: location.pathname, text: 'Report another' })]),
      ],
    );
    replaceWithPanel(form, panel);
  }

  Object.assign(P, { notice, showErrors, loudProblem, isInline, showWaiting, showSaved, showSent });
})();
