/* The outbox in the page, in parts (each a plain script, in the order
 * core/static_build.py PAGE_BUNDLE gives, ending with page.js, which starts
 * them; pages load them as that one bundle, built by `make setup`):
 *   page-common.js     who is signed in, this tab's lease owner, DOM helpers,
 *                      messages to the worker (this file)
 *   badge.js           the outbox count in the header
 *   replay-triggers.js sending from the page: kick(), the timer with back-off
 *   form-messages.js   what a form shows: notices, errors, saved/sent panels
 *   drafts.js          what was typed, kept and put back; corrections
 *   form-capture.js    every form[data-offline-form] saves its entry on this
 *                      phone before anything is sent
 *   outbox-page.js     the outbox page (not in PAGE_BUNDLE: only /outbox
 *                      loads it, after the bundle)
 *   notices.js         sign-in needed, storage (persistence, space), install hint
 *   sign-out.js        the warning before signing out with reports waiting
 *   page.js            the start: wires the parts and sends what waits
 *
 * The form itself stays the server's: online, htmx posts it and the server's
 * answer is shown. The entry saved beforehand is then confirmed through the sync
 * API (200, same content) before it leaves the phone, so nothing is ever lost
 * between the two.
 *
 * The parts share CandourOffline.pageParts. Each takes what this file gives when
 * it loads; anything from another part it calls through the namespace (P.kick()),
 * so the order of the files matters only for this one.
 */
(() => {
  'use strict';

  const NS = window.CandourOffline;
  // No outbox scripts or no IndexedDB: the forms work as they would with no script.
  if (!NS?.store || !window.indexedDB) return;
  const { store } = NS;
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
      const made = store.newOwner('tab');
      sessionStorage.setItem('candour-tab', made);
      return made;
    } catch {
      return store.newOwner('tab');
    }
  })();
  // Each replay from this page has its own owner within the tab's, so two
  // replays of one page never share a lease, and the tab's next page can let go
  // of what this one held if it is unloaded mid-send.
  const replayOwner = () => `${pageOwner}#${S.uuid()}`;
  const SYNC_TAG = 'candour-outbox';
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const OUTBOX_URL = '/outbox';
  // A tap on "Send now" waits this long for a send already under way.
  const TAP_WAIT_MS = 20 * 1000;

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

  function when(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso || '';
    return d.toLocaleString('en-GB', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    });
  }

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  // --- the worker ------------------------------------------------------------------

  function toWorker(message) {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker.ready.then((reg) => reg.active?.postMessage(message)).catch(() => {});
  }

  function askForBackgroundSync() {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker.ready
      .then((reg) => (reg.sync ? reg.sync.register(SYNC_TAG) : null))
      .catch(() => {
        /* no Background Sync (Safari, Firefox): the page's triggers do the work */
      });
  }

  // --- what is needed only once something is saved or sent ------------------------

  // The incident form loads the outbox's payloads, queue, photo-outbox and checks
  // only when first needed (a save, something to send, signing out): the page
  // names them in this meta (core/static_build.py REPORT_LATER_BUNDLE; with no
  // signal the worker answers them from its shell). Other pages load them up front.
  const LATER = ['payloads', 'queue', 'photoOutbox', 'checks'];
  let later = null;

  function laterParts() {
    if (LATER.every((name) => NS[name])) return Promise.resolve(NS);
    if (!later) {
      const meta = doc.querySelector('meta[name="candour-later-scripts"]');
      const urls = meta ? meta.content.split(' ').filter(Boolean) : [];
      later = new Promise((resolve, reject) => {
        if (!urls.length) reject(new Error('the outbox is not on this page'));
        let last = null;
        for (const url of urls) {
          last = el('script', { src: url });
          last.async = false; // in this order
          last.addEventListener('error', reject);
          doc.head.append(last);
        }
        last?.addEventListener('load', () => resolve(NS));
      }).catch((err) => {
        later = null; // try again next time (the signal may be back)
        throw err;
      });
    }
    return later;
  }

  NS.pageParts = {
    doc,
    store,
    laterParts,
    S,
    userId,
    pageOwner,
    replayOwner,
    UUID,
    OUTBOX_URL,
    TAP_WAIT_MS,
    el,
    when,
    plural,
    toWorker,
    askForBackgroundSync,
    // Forms whose entry could not be stored here (leaving the page warns).
    unsaved: new Set(),
  };
})();
