/* The outbox on this device: IndexedDB (through idb), shared by pages and the
 * service worker (a classic script: pages load it with <script>, the worker with
 * importScripts). Nothing here talks to the network.
 *
 * Stores:
 *   entries  one per report waiting to be sent, keyed by its device UUID
 *   drafts   half-filled forms, one per user, form and page
 *   meta     small facts: the next sequence number, who is signed in here, the
 *            replay back-off, whether sign-in is needed, recent receipts
 *   photos   photos taken in a form, made smaller on the phone, kept beside
 *            their entry and sent after it (photo-outbox.js); never anywhere else
 */
((root) => {
  'use strict';

  root.CandourOffline = root.CandourOffline || {};
  const NS = root.CandourOffline;
  const DB_NAME = 'candour-outbox';
  // The schema has its own version, independent of the worker's: a new app
  // version upgrades the database in place and never drops a store with entries.
  const DB_VERSION = 2;
  const MIGRATIONS = {
    1(db) {
      const entries = db.createObjectStore('entries', { keyPath: 'id' });
      entries.createIndex('by_user_seq', ['userId', 'seq']);
      db.createObjectStore('drafts', { keyPath: 'key' });
      db.createObjectStore('meta');
    },
    2(db) {
      const photos = db.createObjectStore('photos', { keyPath: 'id' });
      photos.createIndex('by_entry', 'entryId');
      photos.createIndex('by_user', 'userId');
    },
  };

  // A claim on an entry (or on the replay itself) lasts this long: longer than
  // one send may take, short enough that a closed tab does not hold it for long.
  const LEASE_MS = 60 * 1000;
  const CHANNEL = 'candour-outbox';
  const RECEIPTS_KEPT = 20;

  let dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = root.idb
        .openDB(DB_NAME, DB_VERSION, {
          upgrade(db, oldVersion, newVersion, tx) {
            for (let v = oldVersion + 1; v <= newVersion; v += 1) MIGRATIONS[v](db, tx);
          },
          blocking(_currentVersion, _blockedVersion, event) {
            // A newer page or worker wants to upgrade: step aside; the next call reopens.
            event.target.close();
            dbPromise = null;
          },
          terminated() {
            dbPromise = null;
          },
        })
        .catch((err) => {
          dbPromise = null;
          throw err;
        });
    }
    return dbPromise;
  }

  function announce(message) {
    if (typeof root.BroadcastChannel !== 'function') return;
    const channel = new root.BroadcastChannel(CHANNEL);
    channel.postMessage(message || { type: 'changed' });
    channel.close();
  }

  function listen(handler) {
    if (typeof root.BroadcastChannel !== 'function') return () => {};
    const channel = new root.BroadcastChannel(CHANNEL);
    channel.onmessage = (event) => handler(event.data || {});
    return () => channel.close();
  }

  /* A stored time is only believed within `horizon` of now: if the phone's clock
   * is moved back, a lease or a back-off would otherwise last for weeks. */
  function stillAhead(until, now, horizon) {
    return typeof until === 'number' && until > now && until - now <= horizon;
  }

  /* A lease owner: a tab, one replay, the worker (prefix), each unique. */
  function newOwner(prefix) {
    return `${prefix || 'replay'}:${NS.serialise.uuid()}`;
  }

  function leaseHeld(lease, now) {
    return Boolean(lease) && stillAhead(lease.until, now, LEASE_MS);
  }

  function isQuotaError(err) {
    if (!err) return false;
    if (err.name === 'QuotaExceededError' || err.code === 22) return true;
    return Boolean(err.inner && isQuotaError(err.inner));
  }

  /* Run fn(tx) in one transaction and wait until it has committed: a write is
   * only "saved" once IndexedDB says so (quota errors surface here). */
  async function inTransaction(stores, mode, fn) {
    const db = await open();
    const tx = db.transaction(stores, mode);
    let result;
    try {
      result = await fn(tx);
    } catch (err) {
      try {
        tx.abort();
      } catch {
        /* already finished */
      }
      await tx.done.catch(() => {});
      throw err;
    }
    try {
      await tx.done;
    } catch (err) {
      throw tx.error || err;
    }
    return result;
  }

  // --- entries --------------------------------------------------------------------

  /* Save (or replace, when corrected) an entry. A new entry takes the next
   * sequence number, which is the order of sending, so a clock change cannot
   * reorder the queue. `replaces` removes an older entry in the same transaction. */
  async function saveEntry(entry, options) {
    const opts = options || {};
    const result = await inTransaction(['entries', 'meta', 'drafts', 'photos'], 'readwrite', async (tx) => {
      const entries = tx.objectStore('entries');
      const meta = tx.objectStore('meta');
      const existing = await entries.get(entry.id);
      const saved = Object.assign({}, entry);
      if (existing) {
        saved.seq = existing.seq;
        saved.createdAt = existing.createdAt;
        saved.attempts = existing.attempts || 0;
        saved.history = (existing.history || []).concat(existing.lastAnswer ? [existing.lastAnswer] : []).slice(-5);
      } else {
        const seq = ((await meta.get('seq')) || 0) + 1;
        await meta.put(seq, 'seq');
        saved.seq = seq;
        saved.attempts = saved.attempts || 0;
      }
      if (opts.replaces && opts.replaces !== entry.id) {
        const old = await entries.get(opts.replaces);
        if (old && old.userId === entry.userId) {
          saved.seq = old.seq;
          saved.createdAt = old.createdAt;
          await entries.delete(opts.replaces);
        }
      }
      await entries.put(saved);
      await keepPhotos(tx, saved, opts);
      if (opts.dropDraft) {
        const draft = await tx.objectStore('drafts').get(opts.dropDraft);
        if (draft) await tx.objectStore('drafts').delete(opts.dropDraft);
      }
      return saved;
    });
    announce();
    return result;
  }

  /* The form's photos go in with their entry (one transaction: both or neither);
   * a corrected entry's photos follow it to its new id. */
  async function keepPhotos(tx, entry, opts) {
    const photos = tx.objectStore('photos');
    if (opts.replaces && opts.replaces !== entry.id) {
      for (const photo of await photos.index('by_entry').getAll(opts.replaces)) {
        if (photo.userId === entry.userId) await photos.put(Object.assign(photo, { entryId: entry.id }));
      }
    }
    for (const photo of opts.photos || []) {
      const kept = await photos.get(photo.id);
      await photos.put(
        Object.assign({ status: 'waiting', attempts: 0, lastAnswer: null, createdAt: entry.createdAt }, kept, photo, {
          entryId: entry.id,
          userId: entry.userId,
          entrySent: false,
        }),
      );
    }
  }

  async function dropPhotosOf(tx, entryId) {
    const photos = tx.objectStore('photos');
    for (const key of await photos.index('by_entry').getAllKeys(entryId)) await photos.delete(key);
  }

  async function getEntry(id) {
    const db = await open();
    return db.get('entries', id);
  }

  /* Every entry of one user, in the order they were made. */
  async function entriesFor(userId) {
    const db = await open();
    const range = root.IDBKeyRange.bound([userId, -Infinity], [userId, Infinity]);
    return db.getAllFromIndex('entries', 'by_user_seq', range);
  }

  async function allEntries() {
    const db = await open();
    const all = await db.getAll('entries');
    return all.sort((a, b) => a.seq - b.seq);
  }

  async function counts(userId) {
    const all = await allEntries();
    const mine = all.filter((e) => e.userId === userId);
    const db = await open();
    const photos = await db.getAllFromIndex('photos', 'by_user', userId);
    return {
      waiting: mine.filter((e) => e.status !== 'attention').length,
      attention: mine.filter((e) => e.status === 'attention').length,
      total: mine.length,
      others: all.length - mine.length,
      all: all.length,
      photos: photos.length,
      photoAttention: photos.filter((p) => p.status === 'attention').length,
      // Photos that could go now: their entry is on the server, the server has not refused them.
      photosDue: photos.filter((p) => p.entrySent && p.status !== 'attention').length,
    };
  }

  /* Whether this phone knows that `userId`'s sign-in here has ended, with no
   * signal too: the server said so (a 401 after the sign-in was last confirmed
   * by a page it sent), or the longest the sign-in could last has passed (the
   * page's candour-sign-in-left). An unknown or other user: ended. Then what the
   * user left on this phone stays, but is not shown (counts only). */
  async function signInEnded(userId, now) {
    const who = await getMeta('device-user');
    if (!who || who.userId !== userId) return true;
    if (typeof who.endsAt === 'number' && now >= who.endsAt) return true;
    const needed = await getMeta('signin-needed');
    return Boolean(needed && typeof needed.at === 'number' && needed.at >= (who.at || 0));
  }

  /* Take an entry for sending: atomically, nobody else may hold it. Returns the
   * entry, or null when another tab, the worker or a form is sending it. */
  async function claim(id, owner, now) {
    return inTransaction(['entries'], 'readwrite', async (tx) => {
      const store = tx.objectStore('entries');
      const entry = await store.get(id);
      if (!entry) return null;
      if (leaseHeld(entry.lease, now) && entry.lease.owner !== owner) return null;
      entry.lease = { owner, until: now + LEASE_MS };
      await store.put(entry);
      return entry;
    });
  }

  async function release(id, owner) {
    await inTransaction(['entries'], 'readwrite', async (tx) => {
      const store = tx.objectStore('entries');
      const entry = await store.get(id);
      if (entry?.lease && entry.lease.owner === owner) {
        entry.lease = null;
        await store.put(entry);
      }
    });
    announce();
  }

  /* Whether a lease holder is this owner or one of its replays ("owner#…"). */
  function heldBy(holder, owner) {
    return holder === owner || (typeof holder === 'string' && holder.startsWith(`${owner}#`));
  }

  /* Drop every lease one owner and its replays hold, on entries and on the
   * outbox itself: a tab's previous page is gone, and a page that was unloaded
   * mid-send could not let go itself. */
  async function releaseOwner(owner) {
    const freed = await inTransaction(['entries', 'meta'], 'readwrite', async (tx) => {
      const store = tx.objectStore('entries');
      let count = 0;
      for (const entry of await store.getAll()) {
        if (entry.lease && heldBy(entry.lease.owner, owner)) {
          entry.lease = null;
          await store.put(entry);
          count += 1;
        }
      }
      const meta = tx.objectStore('meta');
      const lease = await meta.get('replay-lease');
      if (lease && heldBy(lease.owner, owner)) await meta.delete('replay-lease');
      return count;
    });
    if (freed) announce();
    return freed;
  }

  /* Record what the server said. `changes` === 'delete' removes the entry (only
   * ever after a confirmed 201 or 200). */
  async function settle(id, changes, receipt) {
    await inTransaction(['entries', 'meta', 'drafts', 'photos'], 'readwrite', async (tx) => {
      const store = tx.objectStore('entries');
      const entry = await store.get(id);
      if (!entry) return;
      if (changes === 'delete') {
        await store.delete(id);
        // The server has the entry: its photos may follow it now.
        const photos = tx.objectStore('photos');
        for (const photo of await photos.index('by_entry').getAll(id)) {
          await photos.put(Object.assign(photo, { entrySent: true }));
        }
        if (entry.draftKey) {
          const drafts = tx.objectStore('drafts');
          const draft = await drafts.get(entry.draftKey);
          if (draft && draft.entryId === id) await drafts.delete(entry.draftKey);
        }
        if (receipt) {
          const meta = tx.objectStore('meta');
          const recent = (await meta.get('receipts')) || [];
          recent.unshift(receipt);
          await meta.put(recent.slice(0, RECEIPTS_KEPT), 'receipts');
        }
        return;
      }
      Object.assign(entry, changes, { lease: null });
      await store.put(entry);
    });
    announce();
  }

  /* An entry let go unsent (discarded, or the form shows the server's refusal)
   * takes its photos with it: they have nothing to be sent after. */
  async function deleteEntry(id, userId) {
    await inTransaction(['entries', 'photos'], 'readwrite', async (tx) => {
      const store = tx.objectStore('entries');
      const entry = await store.get(id);
      if (entry && entry.userId === userId) {
        await store.delete(id);
        await dropPhotosOf(tx, id);
      }
    });
    announce();
  }

  // --- meta -----------------------------------------------------------------------

  async function getMeta(key) {
    const db = await open();
    return db.get('meta', key);
  }

  async function setMeta(key, value) {
    const db = await open();
    if (value === undefined || value === null) await db.delete('meta', key);
    else await db.put('meta', value, key);
  }

  async function receiptsFor(userId) {
    return ((await getMeta('receipts')) || []).filter((r) => r.userId === userId);
  }

  /* The fallback lock when the Web Locks API is missing: a lease in IndexedDB,
   * taken and checked in one transaction so two tabs cannot both win. */
  async function takeReplayLease(owner, now) {
    return inTransaction(['meta'], 'readwrite', async (tx) => {
      const meta = tx.objectStore('meta');
      const lease = await meta.get('replay-lease');
      if (leaseHeld(lease, now) && lease.owner !== owner) return false;
      await meta.put({ owner, until: now + LEASE_MS }, 'replay-lease');
      return true;
    });
  }

  async function dropReplayLease(owner) {
    await inTransaction(['meta'], 'readwrite', async (tx) => {
      const meta = tx.objectStore('meta');
      const lease = await meta.get('replay-lease');
      if (lease && lease.owner === owner) await meta.delete('replay-lease');
    });
  }

  // --- drafts ---------------------------------------------------------------------

  async function saveDraft(draft) {
    const db = await open();
    await db.put('drafts', draft);
  }

  async function getDraft(key) {
    const db = await open();
    return db.get('drafts', key);
  }

  async function deleteDraft(key) {
    const db = await open();
    await db.delete('drafts', key);
  }

  NS.store = {
    LEASE_MS,
    open,
    inTransaction,
    announce,
    listen,
    stillAhead,
    newOwner,
    leaseHeld,
    isQuotaError,
    saveEntry,
    getEntry,
    entriesFor,
    allEntries,
    counts,
    signInEnded,
    claim,
    release,
    releaseOwner,
    settle,
    deleteEntry,
    getMeta,
    setMeta,
    receiptsFor,
    takeReplayLease,
    dropReplayLease,
    saveDraft,
    getDraft,
    deleteDraft,
  };
})(typeof self !== 'undefined' ? self : this);
