/* Candour's page script: progressive enhancement only; every page works without it. */
'use strict';

(() => {
  document.body.classList.remove('js-disabled');
  document.body.classList.add('js-enabled');

  // The header's "Menu" (the NHS.UK header pattern): at narrow widths the button
  // shows or hides the list; Escape closes it and returns to the button. Without
  // JavaScript the button never shows and the list is always there.
  const menuToggle = document.querySelector('[data-menu-toggle]');
  const menu = menuToggle && document.getElementById(menuToggle.getAttribute('aria-controls'));
  if (menuToggle && menu) {
    const setMenuOpen = (open) => {
      menuToggle.setAttribute('aria-expanded', String(open));
      menu.classList.toggle('app-header__navigation--open', open);
    };
    menuToggle.addEventListener('click', () => setMenuOpen(menuToggle.getAttribute('aria-expanded') !== 'true'));
    document.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || menuToggle.getAttribute('aria-expanded') !== 'true') return;
      setMenuOpen(false);
      menuToggle.focus();
    });
  }

  // Move focus to an error summary so screen readers and keyboards land on it.
  function focusErrorSummary(root) {
    const summary = (root || document).querySelector('[data-error-summary]');
    if (summary) summary.focus();
  }
  focusErrorSummary(document);
  document.body.addEventListener('htmx:afterSwap', (event) => focusErrorSummary(event.detail.target));

  // An htmx request that fails must never look like a tap that did nothing:
  // say plainly what happened, next to the form, and that nothing was changed.
  const PROBLEMS = {
    offline: 'That did not go through because there is no signal. Nothing was changed: try again when you have signal.',
    401: 'You have been signed out. Sign in again, then try once more.',
    403: 'You cannot do that with your account.',
    404: 'That record is not there any more, or you cannot see it.',
    409: 'Someone else changed this meanwhile. Reload the page to see the latest version.',
    413: 'That is too much to send at once. Shorten the text and try again.',
    429: 'Too many tries in a short time. Wait a minute, then try again.',
    server: 'Something went wrong on our side. Nothing was changed: please try again.',
  };

  // The message sits just before the form (or the element) that made the request.
  function anchorOf(elt) {
    return elt?.closest?.('form') || elt;
  }

  function clearProblem(elt) {
    const anchor = anchorOf(elt);
    const box = anchor?.previousElementSibling;
    if (box?.hasAttribute('data-request-problem')) box.remove();
  }

  function showProblem(elt, text) {
    const anchor = anchorOf(elt);
    if (!anchor?.parentNode) return;
    clearProblem(elt);
    const box = document.createElement('div');
    box.className = 'nhsuk-warning-callout app-request-problem';
    box.setAttribute('data-request-problem', '');
    box.setAttribute('role', 'alert');
    box.tabIndex = -1;
    const p = document.createElement('p');
    p.textContent = text;
    box.appendChild(p);
    anchor.parentNode.insertBefore(box, anchor);
    box.focus();
  }

  document.body.addEventListener('htmx:beforeRequest', (event) => clearProblem(event.detail.elt));
  document.body.addEventListener('htmx:sendError', (event) => {
    // A form the outbox looks after keeps the entry on the phone and says so itself.
    if (event.detail.elt?.matches?.('form[data-offline-form]')) return;
    showProblem(event.detail.elt, PROBLEMS.offline);
  });
  document.body.addEventListener('htmx:responseError', (event) => {
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    showProblem(event.detail.elt, PROBLEMS[status] || PROBLEMS.server);
  });

  if ('serviceWorker' in navigator) {
    window.addEventListener('load', () => {
      navigator.serviceWorker.register('/service-worker.js', { scope: '/' }).catch(() => {
        /* The app still works online without the worker. */
      });
    });
  }
})();
