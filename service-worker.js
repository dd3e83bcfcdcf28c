/* Candour's service worker. The server puts SW_VERSION and PRECACHE (the app
 * shell, with content revisions) in front of this file, so any deploy that changes
 * an asset changes these bytes and phones pick up the new version.
 *
 * Personal data stays on the server: record pages and lists are never cached.
 */
/* global SW_VERSION, PRECACHE */
'use strict';

const SHELL_CACHE = `candour-shell-${SW_VERSION}`;
const OFFLINE_URL = '/offline';

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // `cache: 'reload'` so a stale HTTP cache never poisons the new shell.
      await cache.addAll(PRECACHE.map((entry) => new Request(entry.url, { cache: 'reload' })));
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
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (url.pathname.startsWith('/static/')) {
    event.respondWith(
      caches.match(request, { cacheName: SHELL_CACHE }).then((hit) => hit || fetch(request)),
    );
    return;
  }
  if (request.mode === 'navigate') {
    // Network first; with no signal, the offline page (never a stale record page).
    event.respondWith(
      fetch(request).catch(async () => (await caches.match(OFFLINE_URL, { cacheName: SHELL_CACHE })) || Response.error()),
    );
  }
});
