/* The start of the outbox in the page, the last of its scripts (page-common.js
 * says what each part does): the triggers that replay the outbox (page load,
 * back online, app visible again, a timer with back-off, "send now"; the worker
 * adds Background Sync), the forms made ready, and CandourOffline.page.
 */
(() => {
  'use strict';

  const NS = window.CandourOffline;
  if (!NS?.store || !window.indexedDB) return;

  // The parts before this file, in order: core/static_build.py PAGE_BUNDLE lists
  // the same (tests/pwa checks); pages load them, with this file, as that one
  // bundle. A page kept on a phone before the page's outbox was split into parts
  // names only this file, and the worker answers it with this version: such a
  // page loads the parts here, one by one (the worker's shell keeps each).
  const PARTS = [
    'page-common.js',
    'badge.js',
    'replay-triggers.js',
    'form-messages.js',
    'drafts.js',
    'checks.js',
    'form-capture.js',
    'notices.js',
    'sign-out.js',
  ];

  // The outbox page's own part: the outbox page names it after this file; an
  // outbox page kept before it was a part of its own does not, so it is loaded
  // here (the worker answers it from its shell).
  const OUTBOX_PART = '/static/js/offline/outbox-page.js';

  function loadScript(src) {
    return new Promise((resolve) => {
      const script = document.createElement('script');
      script.src = src;
      script.addEventListener('load', resolve);
      script.addEventListener('error', resolve);
      document.head.append(script);
    });
  }

  function loadParts(then) {
    const here = document.currentScript?.src;
    if (!here) return;
    let last = null;
    for (const name of PARTS) {
      const script = document.createElement('script');
      // No revision: the worker answers any revision of a file from its shell.
      script.src = new URL(name, here).href;
      script.async = false; // run in this order, as the page's own scripts do
      document.head.append(script);
      last = script;
    }
    last.addEventListener('load', then);
  }

  function begin() {
    const P = NS.pageParts;
    if (!P) return;
    const { doc, store, userId, pageOwner, toWorker } = P;

    async function start() {
      if (!userId) return;
      if (doc.querySelector('[data-outbox]') && !P.renderOutbox) await loadScript(OUTBOX_PART);
      // A page the server has just sent says how long this sign-in can last at
      // most (a copy the worker kept does not): the server has confirmed who is
      // signed in here, now.
      const left = doc.querySelector('meta[name="candour-sign-in-left"]');
      if (left) {
        const now = Date.now();
        await store.setMeta('device-user', { userId, at: now, endsAt: now + Number(left.content) * 1000 });
      }
      await store.releaseOwner(pageOwner);
      if ('serviceWorker' in navigator && !navigator.serviceWorker.controller) toWorker({ type: 'claim' });
      toWorker({ type: 'signed-in', userId });
      store.listen(() => {
        P.refreshBadge();
        if (doc.querySelector('[data-outbox]')) P.renderOutbox();
      });
      await P.initForms(doc, true);
      doc.documentElement.dataset.offlineForms = 'ready';
      doc.body.addEventListener('htmx:load', (event) => P.initForms(event.detail.elt, false));
      const sendButton = doc.querySelector('[data-outbox-send-now]');
      if (sendButton) sendButton.addEventListener('click', () => P.sendNow(sendButton));
      if (doc.querySelector('[data-outbox]')) {
        P.requestPersistence();
        await P.renderOutbox();
      }
      await P.refreshBadge();
      await P.renderNotices(null);
      P.showInstall();
      window.addEventListener('online', () => P.kick(true));
      // Nothing of this user's waits and the server has just sent this page, so
      // they are signed in: nothing to send, and no need to ask who is signed in
      // (what a replay would do, then find nothing).
      const c = await store.counts(userId);
      if (left && !c.waiting && !c.photosDue) await store.setMeta('signin-needed', null);
      else await P.kick(false);
    }

    NS.page = {
      kick: P.kick,
      refreshBadge: P.refreshBadge,
      renderOutbox: () => P.renderOutbox?.(),
      fill: P.fill,
      userId,
      owner: pageOwner,
      lastResult: P.lastResult,
    };
    if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', start);
    else start();
  }

  if (NS.pageParts) begin();
  else loadParts(begin);
})();
