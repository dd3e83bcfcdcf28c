/* Sending from the page: what the triggers call (page load, back online, app
 * visible again, "send now"; the worker adds Background Sync), and the timer
 * that tries again with the queue's back-off while anything waits. */
(() => {
  'use strict';

  const P = window.CandourOffline?.pageParts;
  if (!P) return;
  const { doc, store, laterParts, userId, replayOwner, toWorker, askForBackgroundSync } = P;
  // Entries whose sending changes a page kept on the phone (a bulletin's "read").
  const KEPT_STATE_KINDS = new Set(['acknowledgement']);

  let timer = null;
  let lastResult = null;

  async function kick(force, waitMs) {
    if (!userId) return null;
    let queue;
    try {
      ({ queue } = await laterParts());
    } catch {
      return null; // no signal and no worker to answer: nothing could be sent now either
    }
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
    if ((result.sent || []).some((s) => KEPT_STATE_KINDS.has(s.kind)))
      toWorker({ type: 'signed-in', userId, force: true });
    await P.refreshBadge();
    await P.renderNotices(result);
    if (doc.querySelector('[data-outbox]')) await P.renderOutbox();
    const c = await store.counts(userId);
    if ((!c.waiting && !c.photosDue) || result.stopped === 'signed-out') return;
    let delay;
    // Another tab or the worker was sending: look again soon, still forced if
    // this was (the network just came back, or "send now").
    let again = false;
    if (result.stopped === 'busy') {
      delay = 1000 + Math.random() * 1000;
      again = Boolean(force);
    } else {
      const at = await (await laterParts()).queue.nextTryAt();
      delay = at ? Math.max(500, at - Date.now()) : 3000 + Math.random() * 2000;
    }
    if (result.stopped === 'trouble') askForBackgroundSync();
    timer = setTimeout(() => kick(again), delay);
  }

  /* After the form's own post was answered 200/201: the phone lets the entry go
   * only once the sync API confirms it has exactly this content. */
  async function confirmAfterForm(entry) {
    const { queue } = await laterParts();
    const result = await queue.replay({ force: true, only: [entry.id], owner: replayOwner() });
    await afterReplay(result);
  }

  Object.assign(P, { kick, afterReplay, confirmAfterForm, lastResult: () => lastResult });
})();
