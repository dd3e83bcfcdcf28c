/* Candour's page script: progressive enhancement only; every page works without it. */
'use strict';

(function () {
  document.body.classList.remove('js-disabled');
  document.body.classList.add('js-enabled');

  // Move focus to an error summary so screen readers and keyboards land on it.
  function focusErrorSummary(root) {
    const summary = (root || document).querySelector('[data-error-summary]');
    if (summary) summary.focus();
  }
  focusErrorSummary(document);
  document.body.addEventListener('htmx:afterSwap', (event) => focusErrorSummary(event.detail.target));

  if ('serviceWorker' in navigator) {
    window.addEventListener('load', () => {
      navigator.serviceWorker.register('/service-worker.js', { scope: '/' }).catch(() => {
        /* The app still works online without the worker. */
      });
    });
  }
})();
