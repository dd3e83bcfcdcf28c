/* The outbox badge in the header of every signed-in page: how many reports wait
 * on this phone, and whether any needs the carer (read by screen readers too). */
(() => {
  'use strict';

  const P = window.CandourOffline?.pageParts;
  if (!P) return;
  const { doc, store, userId, plural } = P;

  async function refreshBadge() {
    if (!userId) return;
    const c = await store.counts(userId);
    for (const badge of doc.querySelectorAll('[data-outbox-count]')) {
      badge.textContent = String(c.total);
      badge.hidden = c.total === 0;
      badge.classList.toggle('app-badge--attention', c.attention > 0);
    }
    for (const words of doc.querySelectorAll('[data-outbox-words]')) {
      let text =
        c.total === 0 ? 'nothing waiting to be sent' : `${plural(c.total, 'report', 'reports')} waiting to be sent`;
      if (c.attention) text += `, ${c.attention} ${c.attention === 1 ? 'needs' : 'need'} your attention`;
      words.textContent = `: ${text}`;
    }
    doc.documentElement.dataset.outboxTotal = String(c.total);
  }

  P.refreshBadge = refreshBadge;
})();
