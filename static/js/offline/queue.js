/* Sending the outbox to the sync API: in creation order, one at a time, under a
 * lock, and deleting an entry only after the server confirmed it (201 or 200
 * naming the same id). Runs in pages and in the service worker alike.
 *
 * What each answer means for an entry:
 *   201, 200 (same id)          sent: deleted, receipt kept
 *   401                         the whole queue waits for sign-in
 *   400 CSRF                    fetch a fresh token once and try again
 *   403 404 409 422 413 415 400 "needs attention": kept with the server's reasons
 *   408 425 429 5xx, no answer, anything else
 *                               kept; the queue backs off (with jitter, at least
 *                               as long as Retry-After) and tries again
 * Entries never expire. After the entries, the photos of those the server has
 * (photo-outbox.js), each as its own upload.
 */
((root) => {
  'use strict';

  root.CandourOffline = root.CandourOffline || {};
  const NS = root.CandourOffline;
  const store = NS.store;

  const SESSION_URL = '/api/v1/session';
  const LOCK_NAME = 'candour-outbox-replay';
  const SEND_TIMEOUT_MS = 30 * 1000;
  const SESSION_TIMEOUT_MS = 15 * 1000;
  const BACKOFF_BASE_MS = 2 * 1000;
  const BACKOFF_MAX_MS = 5 * 60 * 1000;
  const RETRY_AFTER_MAX_MS = 60 * 60 * 1000;
  const ATTENTION = new Set([400, 403, 404, 409, 410, 413, 415, 422]);

  const tuning = { backoffBaseMs: BACKOFF_BASE_MS, backoffMaxMs: BACKOFF_MAX_MS };

  const newOwner = store.newOwner;

  async function fetchWithTimeout(url, init, ms) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    try {
      return await root.fetch(url, Object.assign({}, init, { signal: controller.signal }));
    } finally {
      clearTimeout(timer);
    }
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }

  /* Retry-After as milliseconds from now (seconds or an HTTP date), or 0. */
  function retryAfterMs(header, now) {
    if (!header) return 0;
    const text = header.trim();
    let ms = 0;
    if (/^\d+$/.test(text)) ms = Number(text) * 1000;
    else {
      const at = Date.parse(text);
      if (!Number.isNaN(at)) ms = at - now;
    }
    return Math.max(0, Math.min(ms, RETRY_AFTER_MAX_MS));
  }

  /* Exponential back-off with jitter: half fixed, half random, so phones that
   * lost signal together do not all come back at the same moment. */
  function backoffDelay(failures) {
    const ceiling = Math.min(tuning.backoffMaxMs, tuning.backoffBaseMs * 2 ** Math.max(0, failures - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  async function noteTrouble(reason, retryAfter) {
    const now = Date.now();
    const previous = (await store.getMeta('backoff')) || { failures: 0 };
    const failures = (previous.failures || 0) + 1;
    const wait = Math.max(backoffDelay(failures), retryAfter || 0);
    const state = { failures, reason, nextAt: now + wait, retryAfterUntil: retryAfter ? now + retryAfter : null };
    await store.setMeta('backoff', state);
    return state;
  }

  /* When the next automatic try may happen (ms since epoch), or null. A time
   * further ahead than any back-off could be means the clock was moved back:
   * then it is due now. */
  async function nextTryAt() {
    const state = await store.getMeta('backoff');
    if (!state) return null;
    const now = Date.now();
    return store.stillAhead(state.nextAt, now, RETRY_AFTER_MAX_MS) ? state.nextAt : now;
  }

  /* Until when the server itself asked us to wait (Retry-After), or null. Even
   * "Send now" and the network coming back honour it: the server said when. */
  async function serverAskedUntil() {
    const state = await store.getMeta('backoff');
    const until = state?.retryAfterUntil;
    return store.stillAhead(until, Date.now(), RETRY_AFTER_MAX_MS) ? until : null;
  }

  function describeTrouble(status) {
    if (status === 0) return 'No signal, or the server could not be reached.';
    if (status === 429) return 'The server asked us to wait before sending more.';
    if (status >= 500) return `The server had a problem (${status}).`;
    if (status === 408) return 'The server took too long to answer.';
    return `The server gave an unexpected answer (${status}).`;
  }

  /* Who the browser is signed in as, and a fresh CSRF token. */
  async function session(timeoutMs) {
    let response;
    try {
      response = await fetchWithTimeout(
        SESSION_URL,
        { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } },
        timeoutMs || SESSION_TIMEOUT_MS,
      );
    } catch {
      return { state: 'trouble', status: 0 };
    }
    if (response.status === 401) return { state: 'signed-out' };
    const body = response.ok && !response.redirected ? await readJson(response) : null;
    if (!body?.user || typeof body.csrf_token !== 'string') {
      return { state: 'trouble', status: response.status || 0, retryAfter: response.headers.get('Retry-After') };
    }
    return { state: 'ok', user: body.user, token: body.csrf_token };
  }

  async function send(entry, token) {
    let response;
    try {
      response = await fetchWithTimeout(
        entry.apiUrl,
        {
          method: 'POST',
          credentials: 'same-origin',
          cache: 'no-store',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': token },
          body: JSON.stringify(entry.payload),
        },
        SEND_TIMEOUT_MS,
      );
    } catch {
      return { status: 0, body: null };
    }
    return {
      status: response.status,
      redirected: response.redirected,
      body: await readJson(response),
      retryAfter: response.headers.get('Retry-After'),
    };
  }

  /* A 2xx only counts when it is the sync API naming this entry: a captive
   * portal or a proxy's page also says 200. */
  function confirmed(answer, entry) {
    return (
      (answer.status === 200 || answer.status === 201) &&
      !answer.redirected &&
      answer.body &&
      answer.body.id === entry.id
    );
  }

  /* What a replay resolves to, whichever way it ends (callers read every field). */
  function outcome(stopped) {
    return { sent: [], photosSent: [], attention: [], stopped, user: null };
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /* AbortSignal.timeout, also where it is missing (Safari before 16 has Web Locks). */
  function timeoutSignal(ms) {
    if (typeof AbortSignal.timeout === 'function') return AbortSignal.timeout(ms);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), ms);
    return controller.signal;
  }

  /* Run fn holding the outbox, or resolve 'busy' when another window or the
   * worker holds it: at once, or after waiting up to waitMs for it. */
  async function withLock(owner, fn, waitMs) {
    const locks = root.navigator?.locks;
    if (locks && typeof locks.request === 'function') {
      if (!waitMs) return locks.request(LOCK_NAME, { ifAvailable: true }, (lock) => (lock ? fn() : outcome('busy')));
      try {
        return await locks.request(LOCK_NAME, { signal: timeoutSignal(waitMs) }, fn);
      } catch (err) {
        if (err && (err.name === 'TimeoutError' || err.name === 'AbortError')) return outcome('busy');
        throw err;
      }
    }
    const deadline = Date.now() + (waitMs || 0);
    while (!(await store.takeReplayLease(owner, Date.now()))) {
      if (Date.now() >= deadline) return outcome('busy');
      await sleep(250);
    }
    try {
      return await fn();
    } finally {
      await store.dropReplayLease(owner);
    }
  }

  /* Send what is due. Options:
   *   force   ignore the back-off (the network just came back, "send now")
   *   only    ids to send (a form confirming its own entry)
   *   owner   the lease owner (a form passes its own, to send what it holds)
   *   waitMs  how long to wait for another window or the worker to finish
   *           first (a person tapped "Send now"); 0 means answer 'busy' at once
   * Resolves to {sent: [...], attention: [...], stopped: null | 'busy' |
   * 'backoff' | 'trouble' | 'signed-out', until, user}; until (ms since epoch)
   * says when a 'backoff' ends. Never rejects. */
  async function replay(options) {
    const opts = options || {};
    const owner = opts.owner || newOwner(root.document ? 'page' : 'worker');
    try {
      return await withLock(owner, () => run(opts, owner), opts.waitMs || 0);
    } catch (err) {
      return Object.assign(outcome('error'), { error: String(err) });
    } finally {
      store.announce({ type: 'replayed' });
    }
  }

  async function run(opts, owner) {
    const result = outcome(null);
    const at = opts.force ? await serverAskedUntil() : await nextTryAt();
    if (at !== null && at > Date.now()) {
      result.stopped = 'backoff';
      result.until = at;
      return result;
    }
    let who = await session();
    if (who.state === 'signed-out') {
      await store.setMeta('signin-needed', { at: Date.now() });
      store.announce();
      result.stopped = 'signed-out';
      return result;
    }
    if (who.state !== 'ok') {
      await noteTrouble(describeTrouble(who.status), retryAfterMs(who.retryAfter, Date.now()));
      result.stopped = 'trouble';
      return result;
    }
    await store.setMeta('signin-needed', null);
    result.user = who.user.id;
    const tried = new Set();
    let csrfRetried = false;

    for (;;) {
      const mine = await store.entriesFor(who.user.id);
      const next = mine.find(
        (e) => e.status !== 'attention' && !tried.has(e.id) && (!opts.only || opts.only.includes(e.id)),
      );
      if (!next) break;
      tried.add(next.id);
      const entry = await store.claim(next.id, owner, Date.now());
      if (!entry) continue; // another tab, the worker or the form holds it
      const answer = await send(entry, who.token);
      const now = Date.now();
      const record = { status: answer.status, at: new Date(now).toISOString() };
      const attempts = (entry.attempts || 0) + 1;

      if (confirmed(answer, entry)) {
        await store.settle(entry.id, 'delete', {
          id: entry.id,
          userId: entry.userId,
          kind: entry.kind,
          title: entry.title,
          reference: answer.body.reference || null,
          sentAt: record.at,
          createdAt: entry.createdAt,
        });
        await store.setMeta('backoff', null);
        result.sent.push({ id: entry.id, kind: entry.kind, reference: answer.body.reference || null });
        continue;
      }
      if (answer.status === 401) {
        await store.settle(entry.id, {
          attempts,
          lastAnswer: Object.assign(record, { message: 'Your sign-in has expired.' }),
        });
        await store.setMeta('signin-needed', { at: now });
        store.announce();
        result.stopped = 'signed-out';
        return result;
      }
      const body = answer.body || {};
      if (answer.status === 400 && body.reason === 'csrf' && !csrfRetried) {
        // The token went stale between reading it and sending: read it again once.
        csrfRetried = true;
        await store.release(entry.id, owner);
        tried.delete(entry.id);
        who = await session();
        if (who.state !== 'ok') {
          result.stopped = who.state === 'signed-out' ? 'signed-out' : 'trouble';
          return result;
        }
        continue;
      }
      if (ATTENTION.has(answer.status) && answer.body) {
        await store.settle(entry.id, {
          status: 'attention',
          attempts,
          lastAnswer: Object.assign(record, {
            message: body.error || null,
            errors: body.errors || null,
            existing: body.existing || null,
          }),
        });
        result.attention.push(entry.id);
        continue;
      }
      // No answer, or the server (or something in between) is in trouble: keep
      // it, keep the order, and come back later.
      const state = await noteTrouble(describeTrouble(answer.status), retryAfterMs(answer.retryAfter, now));
      await store.settle(entry.id, {
        attempts,
        lastAnswer: Object.assign(record, { message: state.reason }),
      });
      result.stopped = 'trouble';
      return result;
    }
    if (NS.photoOutbox) {
      result.stopped = await NS.photoOutbox.sendDue({
        userId: who.user.id,
        token: who.token,
        only: opts.only || null,
        result,
        fetchWithTimeout,
        session,
        noteTrouble,
        describeTrouble,
        retryAfterMs,
      });
      if (result.stopped === 'signed-out') store.announce();
    }
    return result;
  }

  NS.queue = { replay, nextTryAt, retryAfterMs, backoffDelay, newOwner, session, tuning, SESSION_URL };
})(typeof self !== 'undefined' ? self : this);
