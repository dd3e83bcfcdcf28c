/* Signing out with reports still waiting on this phone: say so, and offer to
 * send them first or to keep them here for the next sign-in. Signing out also
 * forgets this user's kept pages on the phone (never their outbox). */
(() => {
  'use strict';

  const P = window.CandourOffline?.pageParts;
  if (!P) return;
  const { doc, store, userId, OUTBOX_URL, TAP_WAIT_MS, el, plural, toWorker } = P;

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
    const send = el('button', {
      type: 'button',
      className: 'nhsuk-button',
      'data-signout-send': true,
      text: 'Send them now, then sign out',
    });
    const anyway = el('button', {
      type: 'button',
      className: 'nhsuk-button nhsuk-button--secondary',
      'data-signout-anyway': true,
      text: 'Sign out and keep them on this phone',
    });
    const stay = el('button', {
      type: 'button',
      className: 'app-link-button',
      'data-signout-stay': true,
      text: 'Stay signed in',
    });
    const box = el(
      'div',
      {
        className: 'nhsuk-error-summary app-signout-warning',
        role: 'alertdialog',
        'aria-labelledby': 'signout-warning-title',
        tabindex: '-1',
        'data-signout-warning': true,
      },
      [
        el('h2', {
          className: 'nhsuk-error-summary__title',
          id: 'signout-warning-title',
          text: `${plural(c.total, 'report has', 'reports have')} not been sent yet`,
        }),
        el('p', {
          text: 'They are saved on this phone. If you sign out now they stay here, and are sent the next time you sign in on this phone. Nobody else who signs in here can see or send them.',
        }),
        c.attention
          ? el('p', {}, [
              `${plural(c.attention, 'report needs', 'reports need')} your attention first: `,
              el('a', { href: OUTBOX_URL, text: 'see your outbox' }),
              '.',
            ])
          : null,
        el('div', { className: 'app-outbox-actions' }, [send, anyway, stay]),
        progress,
      ],
    );
    send.addEventListener('click', async () => {
      send.disabled = true;
      progress.textContent = 'Sending…';
      await P.kick(true, TAP_WAIT_MS);
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
})();
