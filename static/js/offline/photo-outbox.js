/* Photos in the outbox (the `photos` store of store.js): each was taken in a
 * form, made smaller on the phone and kept beside its entry; it is sent once the
 * server has confirmed its entry, as its own upload to
 * POST /api/v1/incidents/<entry id>/attachments with the id it was given when
 * taken, so sending it again is safe (200, the same photo). Runs in pages and in
 * the service worker alike, inside queue.js's replay (under its lock).
 *
 * What each answer means for a photo (as for entries, queue.js):
 *   201, 200 (same id)          sent: deleted from the phone
 *   401                         everything waits for sign-in
 *   400 CSRF                    a fresh token once, then again
 *   403 404 409 413 415 422 400 "needs attention": kept with the server's reason
 *                               (the carer may remove it from the outbox page)
 *   no answer, 5xx, anything else
 *                               kept; the queue backs off and tries again
 */
((root) => {
  'use strict';

  root.CandourOffline = root.CandourOffline || {};
  const NS = root.CandourOffline;
  const store = NS.store;

  const SEND_TIMEOUT_MS = 60 * 1000;
  const ATTENTION = new Set([400, 403, 404, 409, 410, 413, 415, 422]);

  function uploadUrl(photo) {
    return `/api/v1/incidents/${encodeURIComponent(photo.entryId)}/attachments`;
  }

  async function photosFor(userId) {
    const db = await store.open();
    const mine = await db.getAllFromIndex('photos', 'by_user', userId);
    // In the order they were taken (photos.js stamps each).
    return mine.sort((a, b) => (a.takenAt || 0) - (b.takenAt || 0) || a.id.localeCompare(b.id));
  }

  async function photosOf(entryId) {
    const db = await store.open();
    return db.getAllFromIndex('photos', 'by_entry', entryId);
  }

  async function update(id, changes) {
    await store.inTransaction(['photos'], 'readwrite', async (tx) => {
      const photos = tx.objectStore('photos');
      const photo = await photos.get(id);
      if (!photo) return;
      if (changes === 'delete') await photos.delete(id);
      else await photos.put(Object.assign(photo, changes));
    });
    store.announce();
  }

  /* A photo the carer removes (one that needs attention), only their own. */
  async function removePhoto(id, userId) {
    await store.inTransaction(['photos'], 'readwrite', async (tx) => {
      const photos = tx.objectStore('photos');
      const photo = await photos.get(id);
      if (photo && photo.userId === userId) await photos.delete(id);
    });
    store.announce();
  }

  /* Signing out on a shared phone: none of this user's photos stay on it. */
  async function forgetPhotosOf(userId) {
    await store.inTransaction(['photos'], 'readwrite', async (tx) => {
      const photos = tx.objectStore('photos');
      for (const key of await photos.index('by_user').getAllKeys(userId)) await photos.delete(key);
    });
    store.announce();
  }

  async function upload(photo, token, fetchWithTimeout) {
    const body = new FormData();
    body.append('id', photo.id);
    body.append('consent_by', photo.consentBy || '');
    body.append('file', new Blob([photo.data], { type: photo.type || 'image/jpeg' }), `photo-${photo.id}.jpg`);
    let response;
    try {
      response = await fetchWithTimeout(
        uploadUrl(photo),
        {
          method: 'POST',
          credentials: 'same-origin',
          cache: 'no-store',
          headers: { Accept: 'application/json', 'X-CSRFToken': token },
          body,
        },
        SEND_TIMEOUT_MS,
      );
    } catch {
      return { status: 0, body: null };
    }
    let answer = null;
    try {
      answer = await response.json();
    } catch {
      answer = null;
    }
    return {
      status: response.status,
      redirected: response.redirected,
      body: answer,
      retryAfter: response.headers.get('Retry-After'),
    };
  }

  /* Send the photos whose entries the server has, one at a time, oldest first.
   * `ctx` comes from queue.js: {userId, token, only, result, fetchWithTimeout,
   * session, noteTrouble, describeTrouble, retryAfterMs}. Resolves to null when
   * all that could go went, else why it stopped ('signed-out', 'trouble'). */
  async function sendDue(ctx) {
    const tried = new Set();
    let token = ctx.token;
    let csrfRetried = false;
    for (;;) {
      const photo = (await photosFor(ctx.userId)).find(
        (p) =>
          p.entrySent && p.status !== 'attention' && !tried.has(p.id) && (!ctx.only || ctx.only.includes(p.entryId)),
      );
      if (!photo) return null;
      tried.add(photo.id);
      const answer = await upload(photo, token, ctx.fetchWithTimeout);
      const now = Date.now();
      const record = { status: answer.status, at: new Date(now).toISOString() };
      const attempts = (photo.attempts || 0) + 1;
      const body = answer.body || {};
      if ((answer.status === 201 || answer.status === 200) && !answer.redirected && body.id === photo.id) {
        await update(photo.id, 'delete');
        await store.setMeta('backoff', null);
        ctx.result.photosSent.push({ id: photo.id, entryId: photo.entryId });
        continue;
      }
      if (answer.status === 401) {
        await update(photo.id, {
          attempts,
          lastAnswer: Object.assign(record, { message: 'Your sign-in has expired.' }),
        });
        await store.setMeta('signin-needed', { at: now });
        return 'signed-out';
      }
      if (answer.status === 400 && body.reason === 'csrf' && !csrfRetried) {
        csrfRetried = true;
        tried.delete(photo.id);
        const who = await ctx.session();
        if (who.state !== 'ok') return who.state === 'signed-out' ? 'signed-out' : 'trouble';
        token = who.token;
        continue;
      }
      if (ATTENTION.has(answer.status) && answer.body) {
        const reasons = body.errors ? Object.values(body.errors).flat().join(' ') : null;
        await update(photo.id, {
          status: 'attention',
          attempts,
          lastAnswer: Object.assign(record, { message: body.error || reasons || null }),
        });
        ctx.result.attention.push(photo.id);
        continue;
      }
      const state = await ctx.noteTrouble(ctx.describeTrouble(answer.status), ctx.retryAfterMs(answer.retryAfter, now));
      await update(photo.id, { attempts, lastAnswer: Object.assign(record, { message: state.reason }) });
      return 'trouble';
    }
  }

  NS.photoOutbox = { photosFor, photosOf, removePhoto, forgetPhotosOf, sendDue, uploadUrl };
})(typeof self !== 'undefined' ? self : this);
