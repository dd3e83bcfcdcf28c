/* Notices on every signed-in page, and the storage facts on the outbox page:
 * sign-in needed for reports to go; this phone nearly out of space; asking the
 * browser to keep saved reports (persistent storage) once there is one; whether
 * the forms are ready to work offline; and the hint to install Candour. */
(() => {
  'use strict';

  const P = window.CandourOffline?.pageParts;
  if (!P) return;
  const { doc, store, userId, OUTBOX_URL, el, plural } = P;
  const LOW_STORAGE_BYTES = 10 * 1024 * 1024;

  let storageState = null;

  async function readStorage() {
    const s = navigator.storage;
    if (!s?.estimate) return { supported: false };
    const state = { supported: true };
    try {
      state.persisted = s.persisted ? await s.persisted() : null;
      const est = await s.estimate();
      state.usage = est.usage;
      state.quota = est.quota;
      state.low = est.quota - est.usage < LOW_STORAGE_BYTES || est.usage / est.quota > 0.9;
    } catch {
      state.supported = false;
    }
    storageState = state;
    return state;
  }

  let persistAsked = false;
  function requestPersistence() {
    if (persistAsked || !navigator.storage || !navigator.storage.persist) return;
    persistAsked = true;
    navigator.storage
      .persist()
      .then((granted) => store.setMeta('persist', { granted, at: Date.now() }))
      .then(readStorage)
      .catch(() => {});
  }

  function mb(bytes) {
    return `${Math.max(0, Math.round(bytes / (1024 * 1024)))} MB`;
  }

  async function renderStorage(box) {
    if (!box) return;
    const state = await readStorage();
    const lines = [];
    if (!state.supported) lines.push(el('p', { text: 'This browser does not say how much space it has.' }));
    else {
      lines.push(
        el('p', { 'data-storage-persisted': String(Boolean(state.persisted)) }, [
          state.persisted
            ? 'This phone keeps saved reports until they are sent, even when it is short of space.'
            : 'This phone may clear saved reports if it runs short of space. Send them as soon as you have signal; installing Candour on the home screen helps keep them.',
        ]),
      );
      lines.push(
        el('p', { className: 'nhsuk-body-s', text: `Space free for Candour: ${mb(state.quota - state.usage)}.` }),
      );
      if (state.low)
        lines.push(
          el('p', {
            className: 'app-warning-text',
            'data-storage-low': true,
            text: 'This phone is nearly out of space.',
          }),
        );
    }
    box.replaceChildren(...lines);
  }

  function renderReadiness(pages) {
    const box = doc.querySelector('[data-offline-readiness]');
    if (!box) return;
    const forms = pages.filter((p) => p !== OUTBOX_URL);
    box.textContent = forms.length
      ? 'This phone is ready to work without signal: the forms you use are saved on it.'
      : 'The forms are not saved on this phone yet. Open Candour once with signal.';
  }

  async function renderNotices(result) {
    const box = doc.querySelector('[data-offline-notices]');
    if (!box || !userId) return;
    const c = await store.counts(userId);
    const items = [];
    if (result && result.stopped === 'signed-out' && c.total) {
      items.push(
        el(
          'div',
          { className: 'app-offline-banner app-offline-banner--warning', role: 'alert', 'data-notice': 'signin' },
          [
            el('p', {}, [
              `Your sign-in has expired. ${plural(c.total, 'report is', 'reports are')} saved on this phone and will be sent when you `,
              el('a', { href: `/login?next=${encodeURIComponent(location.pathname)}`, text: 'sign in again' }),
              '.',
            ]),
          ],
        ),
      );
    }
    const state = storageState || (await readStorage());
    if (state.supported && state.low) {
      items.push(
        el(
          'div',
          { className: 'app-offline-banner app-offline-banner--warning', role: 'alert', 'data-notice': 'storage-low' },
          [
            el('p', {
              text: `This phone is nearly out of space (${mb(state.quota - state.usage)} left for Candour). Reports are kept on it until sent: free some space soon.`,
            }),
          ],
        ),
      );
    }
    box.replaceChildren(...items, ...Array.from(box.querySelectorAll('[data-notice="install"]')));
  }

  function isIos() {
    const ua = navigator.userAgent || '';
    return /iPhone|iPad|iPod/.test(ua) || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
  }

  function installed() {
    return navigator.standalone === true || window.matchMedia?.('(display-mode: standalone)').matches;
  }

  let installPrompt = null;
  window.addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault();
    installPrompt = event;
    showInstall();
  });

  function showInstall() {
    const box = doc.querySelector('[data-offline-notices]');
    if (!box || !userId || installed() || box.querySelector('[data-notice="install"]')) return;
    if (localStorage.getItem('candour-install-hint') === 'dismissed') return;
    const dismiss = el('button', { type: 'button', className: 'app-link-button', text: 'Not now' });
    const parts = [];
    if (installPrompt) {
      const button = el('button', {
        type: 'button',
        className: 'nhsuk-button nhsuk-button--secondary',
        'data-install-button': true,
        text: 'Install Candour on this phone',
      });
      button.addEventListener('click', async () => {
        installPrompt.prompt();
        await installPrompt.userChoice.catch(() => null);
        installPrompt = null;
        hint.remove();
      });
      parts.push(
        el('p', { text: 'Install Candour to open it from your home screen, with or without signal.' }),
        button,
      );
    } else if (isIos()) {
      parts.push(
        el('p', {}, [
          el('strong', { text: 'Put Candour on your home screen. ' }),
          'In Safari, tap the Share button, then “Add to Home Screen”. Reports saved without signal are kept more safely when Candour is installed.',
        ]),
      );
    } else {
      return;
    }
    const hint = el(
      'div',
      {
        className: 'app-offline-banner',
        'data-notice': 'install',
        'data-install-hint': installPrompt ? 'prompt' : 'ios',
      },
      [...parts, dismiss],
    );
    dismiss.addEventListener('click', () => {
      localStorage.setItem('candour-install-hint', 'dismissed');
      hint.remove();
    });
    box.append(hint);
  }

  // The worker says when it has kept this user's forms (and which) on the phone.
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.addEventListener('message', (event) => {
      const data = event.data || {};
      if (data.type === 'offline-ready' && data.userId === userId) {
        doc.documentElement.dataset.offlineReady = (data.pages || []).join(' ') || 'none';
        doc.documentElement.dataset.workerVersion = data.version;
        renderReadiness(data.pages || []);
      }
    });
  }

  Object.assign(P, { requestPersistence, renderStorage, renderNotices, showInstall });
})();
