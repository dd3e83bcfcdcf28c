/* Signing out with reports still waiting on this phone: say so, and offer to
 * send them first or to keep them here for the next sign-in. Signing out also
 * forgets this user's kept pages on the phone, and their photos not yet sent
 * (a shared phone keeps no one's photos); their reports stay in the outbox. */
(() => {
  'use strict';

  const P = window.CandourOffline?.pageParts;
  if (!P) return;
  const { doc, store, userId, OUTBOX_URL, TAP_WAIT_MS, el, plural, toWorker } = P;

  async function forgetHere() {
    await P.laterParts().catch(() => {}); // photo-outbox, to forget their photos
    await store.setMeta('device-user', null).catch(() => {});
    await window.CandourOffline.photoOutbox?.forgetPhotosOf(userId).catch(() => {});
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
      if ((!c.total && !c.photos) || form.dataset.confirmed) {
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
      text: c.photos ? 'Sign out: keep the reports, remove the photos' : 'Sign out and keep them on this phone',
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
          text: c.total
            ? `${plural(c.total, 'report has', 'reports have')} not been sent yet`
            : `${plural(c.photos, 'photo has', 'photos have')} not been sent yet`,
        }),
        c.total
          ? el('p', {
              text: 'They are saved on this phone. If you sign out now they stay here, and are sent the next time you sign in on this phone. Nobody else who signs in here can see or send them.',
            })
          : null,
        c.photos
          ? el('p', {
              'data-signout-photos': true,
              text: `${plural(c.photos, 'photo is', 'photos are')} waiting to be sent. Photos do not stay on a phone after signing out: send them now, or they are removed from this phone when you sign out.`,
            })
          : null,
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
      if (!left.total && !left.photos) {
        progress.textContent = 'All sent. Signing you out…';
        await signOut();
      } else {
        const what = left.total ? plural(left.total, 'report', 'reports') : plural(left.photos, 'photo', 'photos');
        progress.textContent = `${what} still waiting${left.waiting || left.photos ? ' (no signal yet)' : ''}. You can wait here, or sign out.`;
      }
    });
    anyway.addEventListener('click', signOut);
    stay.addEventListener('click', () => box.remove());
    const main = doc.querySelector('main') || doc.body;
    main.prepend(box);
    box.focus();
  }
})();
