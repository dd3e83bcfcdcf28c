/* The no-signal page (/offline, kept in the app shell): how many reports wait on
 * this phone, as a count only. Whose they are and what they say is shown only to
 * the person who made them, signed in (a sign-in that has ended, on a shared
 * phone, shows this page instead of the kept forms and outbox). */
(() => {
  'use strict';

  const store = window.CandourOffline?.store;
  const out = document.querySelector('[data-offline-waiting]');
  if (!store || !window.indexedDB || !out) return;
  store
    .counts(null)
    .then((c) => {
      if (!c.all) return;
      const one = c.all === 1;
      out.textContent = `${c.all} ${one ? 'report' : 'reports'} from an earlier sign-in ${one ? 'is' : 'are'} waiting on this phone. ${one ? 'It is' : 'They are'} safe here: sign in when you have signal to send ${one ? 'it' : 'them'}. Only the person who made ${one ? 'it' : 'them'} can see ${one ? 'it' : 'them'}.`;
      out.hidden = false;
    })
    .catch(() => {
      /* no count: the page says the rest */
    });
})();
