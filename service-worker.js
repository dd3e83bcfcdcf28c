/* Candour's service worker. The server puts SW_VERSION, PRECACHE (the app shell,
 * with content revisions), SW_IMPORTS (the outbox scripts it shares with pages)
 * and OFFLINE_PAGES (the blank forms and the outbox page) in front of this file,
 * so any deploy that changes an asset changes these bytes and phones pick up the
 * new version.
 *
 * What the phone keeps: the app shell; per signed-in user, the blank forms and
 * the reference data they need (people of the user's scope, audit templates),
 * refreshed in the background; and the outbox (IndexedDB, its own schema
 * version, never touched by a worker update). Record pages and lists are never
 * cached: personal data stays on the server. Photos likewise: the only copies on
 * the phone are those waiting in the outbox (its `photos` store) to be sent;
 * /attachments/… is never answered from or put in a cache here.
 *
 * Alerts (web push, notifications/push on the server): a push shows a
 * notification (title, text and the record's path; never personal data), and a
 * tap opens the record, or the outbox.
 */
/* global SW_VERSION, PRECACHE, SW_IMPORTS, OFFLINE_PAGES, CandourOffline */
'use strict';

importScripts(...SW_IMPORTS);

const SHELL_CACHE = `candour-shell-${SW_VERSION}`;
const PAGES_CACHE_PREFIX = 'candour-pages-u';
const OFFLINE_URL = '/offline';
const SAVED_URL = '/saved';
const REFERENCE_URL = '/api/v1/reference';
const SYNC_TAG = 'candour-outbox';
const AUDIT_FORM = '/audits/new';
// A page that is cached waits this long for the network before the cached copy
// is shown: a "one bar" connection must not leave a carer staring at a blank page.
const NAVIGATION_TIMEOUT_MS = 6000;
const REFRESH_EVERY_MS = 10 * 60 * 1000;
const USER_META = /<meta\s+name="candour-user"\s+content="(\d+)"/;

const { store, queue } = CandourOffline;

function pagesCache(userId) {
  return `${PAGES_CACHE_PREFIX}${userId}`;
}

function isOfflinePage(pathname) {
  return OFFLINE_PAGES.includes(pathname) || pathname.startsWith(`${AUDIT_FORM}/`);
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // A file named by its revision (`?v=`) cannot be stale in the HTTP cache
      // (the server caches only such URLs for good), so the copy the page just
      // loaded is taken from there; anything else with `cache: 'reload'`, so a
      // stale HTTP cache never poisons the new shell.
      // No cookies: the shell is the same for everyone, and an answer carrying
      // the session from before a sign-in finished would overwrite the new one.
      await cache.addAll(
        PRECACHE.map(
          (entry) =>
            new Request(entry.url, { cache: entry.url.includes('?v=') ? 'default' : 'reload', credentials: 'omit' }),
        ),
      );
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith('candour-shell-') && name !== SHELL_CACHE)
          .map((name) => caches.delete(name)),
      );
      // Opening the outbox here runs any schema upgrade before pages use it.
      await store.open();
      await self.clients.claim();
      // The cached forms name the old shell's files: fetch them again now (in the
      // background; they still work meanwhile, see the static handler below).
      const who = await store.getMeta('device-user');
      if (who) refreshOffline(who.userId, true).catch(() => {});
    })(),
  );
});

// --- answering requests -------------------------------------------------------------

async function fromShell(request) {
  const exact = await caches.match(request, { cacheName: SHELL_CACHE });
  if (exact) return exact;
  try {
    return await fetch(request);
  } catch (err) {
    // A page cached by an older version asks for an older revision of a file:
    // the current one is the right answer (Enketo lost its forms here).
    const any = await caches.match(request, { cacheName: SHELL_CACHE, ignoreSearch: true });
    if (any) return any;
    throw err;
  }
}

/* The kept page for a URL: the one whose query is all in the URL asked for
 * (most specific first), so /audits/new?template=x&person_ref=y opens the kept
 * /audits/new?template=x, and /incidents/new?outbox_entry=z the blank form. */
async function cachedPageFor(url) {
  const who = await store.getMeta('device-user');
  if (!who) return null;
  // A sign-in this phone knows has ended (the server said so, or its time is
  // up): its kept pages (forms listing the people supported, drafts, the outbox)
  // are not shown to whoever holds the phone now. Its outbox stays, to be sent
  // when that person signs in again; the no-signal page counts what waits.
  if (await store.signInEnded(who.userId, Date.now())) return null;
  const cache = await caches.open(pagesCache(who.userId));
  let best = null;
  let bestSize = -1;
  for (const request of await cache.keys()) {
    const kept = new URL(request.url);
    if (kept.pathname !== url.pathname) continue;
    const params = Array.from(kept.searchParams.entries());
    if (params.every(([key, value]) => url.searchParams.getAll(key).includes(value)) && params.length > bestSize) {
      best = request;
      bestSize = params.length;
    }
  }
  return best ? cache.match(best, { ignoreVary: true }) : null;
}

function timeout(ms) {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms));
}

async function navigate(request, url) {
  const offlineCapable = isOfflinePage(url.pathname);
  const network = fetch(request).then(
    (response) => {
      if (offlineCapable && response.ok && !response.redirected && keepable(url)) {
        keepPage(url.pathname + url.search, response.clone()).catch(() => {});
      }
      return response;
    },
    () => null,
  );
  let response;
  if (offlineCapable && (await cachedPageFor(url))) {
    response = await Promise.race([network, timeout(NAVIGATION_TIMEOUT_MS)]);
  } else {
    response = await network;
  }
  if (response) return response;
  if (offlineCapable) {
    const cached = await cachedPageFor(url);
    if (cached) return cached;
  }
  return (await caches.match(OFFLINE_URL, { cacheName: SHELL_CACHE })) || Response.error();
}

/* Only blank forms are kept from browsing: never a page opened with someone's
 * details in its address. */
function keepable(url) {
  return !url.search;
}

/* Keep a blank form (or the outbox page) for the user it was made for, read
 * from the page itself so one user's page never lands in another's cache. */
const FLASHES = /<!--flashes-->[\s\S]*?<!--\/flashes-->/;
const SIGN_IN_LEFT = /<meta\s+name="candour-sign-in-left"\s+content="\d+">/;
// Marks the worker's own fetches of pages to keep: the server then leaves the
// person's waiting messages for the page they open next.
const KEEP_HEADERS = { 'X-Candour-Keep': '1' };

async function keepPage(pathname, response) {
  return keepHtml(pathname, response, await response.text());
}

/* `html` is the text of `response`, read once by the caller. */
async function keepHtml(pathname, response, html) {
  const type = response.headers.get('Content-Type') || '';
  if (!type.startsWith('text/html')) return false;
  const match = USER_META.exec(html);
  if (!match) return false;
  // A message meant for the page the person saw then ("Note saved.") is not
  // part of the page kept for later.
  // Nor how long the sign-in could last then: a kept copy must not vouch for it.
  const page = html.replace(FLASHES, '').replace(SIGN_IN_LEFT, '');
  const headers = new Headers({ 'Content-Type': type, 'X-Candour-Cached': new Date().toISOString() });
  const csp = response.headers.get('Content-Security-Policy');
  if (csp) headers.set('Content-Security-Policy', csp);
  const cache = await caches.open(pagesCache(Number(match[1])));
  await cache.put(pathname, new Response(page, { status: 200, headers }));
  await keepAssetsOf(page);
  return true;
}

/* Fetch a page to keep for `userId` and keep it, reading it once. Resolves to
 * 'kept'; 'not-signed-in' (signed out, or someone else is); 'gone' (a page this
 * user may no longer open, after a role change); or 'failed'. Rejects with no
 * network. */
async function fetchToKeep(path, userId) {
  const response = await fetch(path, { credentials: 'same-origin', cache: 'no-store', headers: KEEP_HEADERS });
  const html = await response.text();
  const match = USER_META.exec(html);
  if (response.redirected || !match || Number(match[1]) !== userId) return 'not-signed-in';
  if (response.status === 403 || response.status === 404) return 'gone';
  return response.ok && (await keepHtml(path, response, html)) ? 'kept' : 'failed';
}

const ASSET_URL = /(?:src|href)="(\/static\/[^"]+)"/g;

/* Every file under /static/ a kept page names goes into the shell too, so the
 * page works offline even if its own script was added after the precache list. */
async function keepAssetsOf(html) {
  const shell = await caches.open(SHELL_CACHE);
  for (const [, path] of html.matchAll(ASSET_URL)) {
    const url = path.replace(/&amp;/g, '&');
    if (await shell.match(url)) continue;
    try {
      const response = await fetch(url, { credentials: 'omit' });
      if (response.ok) await shell.put(url, response);
    } catch {
      /* kept next time */
    }
  }
}

async function reference(request) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const who = await store.getMeta('device-user');
      if (who) await (await caches.open(pagesCache(who.userId))).put(REFERENCE_URL, response.clone());
    }
    return response;
  } catch (err) {
    const who = await store.getMeta('device-user');
    const cached = who && (await (await caches.open(pagesCache(who.userId))).match(REFERENCE_URL));
    if (cached) return cached;
    throw err;
  }
}

/* A form posted the normal way (not by htmx): the page saved its entry in the
 * outbox first. If the post fails on the way, or the server is in trouble,
 * answer that it is saved on this phone rather than a browser error page. */
async function postForm(request) {
  const copy = request.clone();
  let response = null;
  try {
    response = await fetch(request);
    if (response.status < 500 && response.status !== 429 && response.status !== 408) return response;
  } catch {
    response = null;
  }
  let entryId = null;
  try {
    entryId = (await copy.formData()).get('entry_id');
  } catch {
    entryId = null;
  }
  const entry = entryId ? await store.getEntry(String(entryId)) : null;
  if (entry) {
    if (self.registration.sync) self.registration.sync.register(SYNC_TAG).catch(() => {});
    const saved = await caches.match(SAVED_URL, { cacheName: SHELL_CACHE });
    if (saved) return saved;
  }
  if (response) return response;
  return (await caches.match(OFFLINE_URL, { cacheName: SHELL_CACHE })) || Response.error();
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST' && request.mode === 'navigate') {
    const type = request.headers.get('Content-Type') || '';
    if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
      event.respondWith(postForm(request));
    }
    return;
  }
  if (request.method !== 'GET') return;

  if (url.pathname.startsWith('/static/')) {
    event.respondWith(fromShell(request));
  } else if (request.mode === 'navigate') {
    event.respondWith(navigate(request, url));
  } else if (url.pathname === REFERENCE_URL) {
    event.respondWith(reference(request));
  }
});

// --- keeping the forms and reference data fresh ---------------------------------

/* Fetch the blank forms and the reference data for this user, when this phone
 * is online and signed in as them. Throttled unless forced (a new version). */
async function refreshOffline(userId, force) {
  const stamp = (await store.getMeta(`refreshed-u${userId}`)) || {};
  const now = Date.now();
  if (
    !force &&
    stamp.version === SW_VERSION &&
    typeof stamp.at === 'number' &&
    now - stamp.at < REFRESH_EVERY_MS &&
    now >= stamp.at
  ) {
    return { refreshed: false, pages: stamp.pages || [] };
  }
  const kept = [];
  const cache = await caches.open(pagesCache(userId));
  for (const path of OFFLINE_PAGES) {
    let outcome;
    try {
      outcome = await fetchToKeep(path, userId);
    } catch {
      return { refreshed: false, pages: stamp.pages || [], error: 'offline' };
    }
    // Signed out, or signed in as someone else: leave this user's copies alone.
    if (outcome === 'not-signed-in') return { refreshed: false, pages: stamp.pages || [], error: outcome };
    if (outcome === 'kept') kept.push(path);
    else if (outcome === 'gone') await cache.delete(path);
  }
  try {
    const old = await cache.match(REFERENCE_URL);
    const headers = { Accept: 'application/json' };
    if (old?.headers.get('ETag')) headers['If-None-Match'] = old.headers.get('ETag');
    const response = await fetch(REFERENCE_URL, { credentials: 'same-origin', cache: 'no-store', headers });
    if (response.status === 200) await cache.put(REFERENCE_URL, response);
    if (kept.includes(AUDIT_FORM)) await keepAuditForms(cache, userId, kept);
  } catch {
    /* reference data and the forms it lists are refreshed next time */
  }
  await store.setMeta(`refreshed-u${userId}`, { at: now, version: SW_VERSION, pages: kept });
  return { refreshed: true, pages: kept };
}

/* One spot-check form per published template (the reference data lists them;
 * each has its own path): a supervisor chooses the template in the field,
 * maybe with no signal. */
async function keepAuditForms(cache, userId, kept) {
  const ref = await cache.match(REFERENCE_URL);
  if (!ref) return;
  const templates = (await ref.clone().json())?.audit_templates || [];
  const wanted = new Set(templates.map((t) => `${AUDIT_FORM}/${encodeURIComponent(t.slug)}`));
  for (const path of wanted) {
    if ((await fetchToKeep(path, userId)) === 'kept') kept.push(path);
  }
  // Templates withdrawn since: their forms go.
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    if (url.pathname.startsWith(`${AUDIT_FORM}/`) && !wanted.has(url.pathname)) await cache.delete(request);
  }
}

async function forget(userId) {
  await caches.delete(pagesCache(userId));
  await store.setMeta(`refreshed-u${userId}`, null);
}

async function tell(message) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of windows) client.postMessage(message);
}

self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type === 'signed-in' && Number.isInteger(data.userId)) {
    event.waitUntil(
      refreshOffline(data.userId, Boolean(data.force)).then((result) =>
        tell({ type: 'offline-ready', userId: data.userId, version: SW_VERSION, pages: result.pages }),
      ),
    );
  } else if (data.type === 'signed-out' && Number.isInteger(data.userId)) {
    event.waitUntil(forget(data.userId));
  } else if (data.type === 'replay') {
    event.waitUntil(queue.replay({ force: Boolean(data.force) }));
  } else if (data.type === 'claim') {
    // A page that loaded while this worker was installing missed the claim in
    // `activate`: take it now, so it is served from the phone from here on.
    event.waitUntil(self.clients.claim());
  } else if (data.type === 'version') {
    event.source.postMessage({ type: 'version', version: SW_VERSION });
  } else if (data.type === 'alert-click' && typeof data.tag === 'string') {
    // What a tap on the alert with this tag does (for tests: no protocol call
    // taps a notification).
    event.waitUntil(
      self.registration
        .getNotifications({ tag: data.tag })
        .then((shown) => (shown.length ? alertClicked(shown[0]) : null))
        .then((client) => event.source?.postMessage({ type: 'alert-clicked', tag: data.tag, opened: Boolean(client) })),
    );
  }
});

// Background Sync (Chromium): the browser wakes the worker when the network is
// back, even with the app closed. A rejected promise asks the browser to retry.
self.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(
    queue.replay({ force: true }).then(async (result) => {
      // A kept page shows what was sent (a bulletin read): keep it again.
      if ((result.sent || []).some((s) => s.kind === 'acknowledgement')) {
        const who = await store.getMeta('device-user');
        if (who) await refreshOffline(who.userId, true).catch(() => {});
      }
      if (result.stopped === 'trouble' || result.stopped === 'busy') {
        throw new Error(`outbox not sent yet: ${result.stopped}`);
      }
    }),
  );
});

// --- alerts (web push) ----------------------------------------------------------------

const ALERT_FALLBACK = '/outbox';
const ALERT_ICON = '/static/icons/icon-192.png';

/* Only a path on this site: anything else (another site, a scheme, "//host")
 * opens the outbox instead. */
function alertTarget(url) {
  if (typeof url !== 'string' || !url.startsWith('/') || url.startsWith('//')) return ALERT_FALLBACK;
  const target = new URL(url, self.location.origin);
  return target.origin === self.location.origin ? target.pathname + target.search : ALERT_FALLBACK;
}

/* The notification for a push's payload (JSON: title, body, url, tag, urgent,
 * as notifications/push/sending.py makes it). A push that cannot be read still
 * shows something: Chromium shows its own notice for a push that shows none. */
function showAlert(text) {
  let data = {};
  try {
    data = JSON.parse(text || '{}') || {};
  } catch {
    data = {};
  }
  const title = typeof data.title === 'string' && data.title ? data.title : 'Candour';
  const body = typeof data.body === 'string' ? data.body : 'Something needs your attention: open Candour.';
  const options = { body, icon: ALERT_ICON, badge: ALERT_ICON, data: { url: alertTarget(data.url) } };
  if (typeof data.tag === 'string' && data.tag) {
    options.tag = data.tag;
    options.renotify = true;
  }
  if (data.urgent === true) options.requireInteraction = true;
  return self.registration.showNotification(title, options);
}

/* A tap on an alert: the window already showing its record comes to the front,
 * else a new one opens it, else (a browser that refuses) an open window of
 * Candour goes there. Resolves to the window, or null. */
async function alertClicked(notification) {
  notification.close();
  const target = new URL(alertTarget(notification.data?.url), self.location.origin).href;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const showing = windows.find((client) => client.url === target);
  if (showing) return focusWindow(showing);
  try {
    const opened = await self.clients.openWindow(target);
    if (opened) return opened;
  } catch {
    /* not allowed here: use a window that is open */
  }
  for (const client of windows) {
    try {
      const moved = await client.navigate(target);
      if (moved) return focusWindow(moved);
    } catch {
      /* a window this worker does not control: try the next */
    }
  }
  return null;
}

async function focusWindow(client) {
  try {
    return await client.focus();
  } catch {
    return client; // focus is only allowed in answer to a tap
  }
}

self.addEventListener('push', (event) => {
  event.waitUntil(showAlert(event.data ? event.data.text() : ''));
});

self.addEventListener('notificationclick', (event) => {
  event.waitUntil(alertClicked(event.notification));
});
