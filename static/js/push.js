/* Alerts on this phone (web push): the control on the account's messages page
 * (templates/notifications/_push.html). Permission is asked only when
 * the person taps "Switch alerts on"; the browser's subscription, made with the
 * server's VAPID public key, is sent to Candour with the page's CSRF token.
 * Without JavaScript or push, the control says why it cannot work here. */
'use strict';

(() => {
  const control = document.querySelector('[data-push-control]');
  const key = control?.getAttribute('data-push-key');
  if (!control || !key) return;

  const status = control.querySelector('[data-push-status]');
  const onButton = control.querySelector('[data-push-on]');
  const offButton = control.querySelector('[data-push-off]');
  const devices = control.querySelector('[data-push-devices]');

  const TEXT = {
    on: 'Alerts are on for this phone.',
    off: 'Alerts are off for this phone.',
    unsupported:
      'This browser cannot show alerts. On an iPhone, add Candour to your home screen first (Share, then "Add to Home Screen") and open it from there.',
    blocked:
      "Notifications are blocked for Candour in this browser's settings. Allow them there, then open this page again.",
    notAllowed: 'Alerts stay off: notifications were not allowed. Tap the button again to be asked again.',
    offline:
      'That did not go through: Candour could not be reached. Nothing was changed: try again when you have signal.',
    failed: 'Alerts could not be switched on in this browser. Nothing was changed: try again later.',
    working: 'Just a moment…',
  };

  function show(text, subscribed) {
    status.textContent = text;
    onButton.hidden = subscribed !== false;
    offButton.hidden = subscribed !== true;
  }

  /* The VAPID public key (base64url) as the bytes pushManager.subscribe takes. */
  function keyBytes(base64url) {
    const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
    const text = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': control.getAttribute('data-csrf') },
      body: JSON.stringify(body),
    });
    let answer = {};
    try {
      answer = await response.json();
    } catch {
      answer = {};
    }
    return { ok: response.ok, status: response.status, error: answer.error };
  }

  async function registration() {
    // The page registers the worker (static/js/offline/page.js); wait for it.
    return navigator.serviceWorker.ready;
  }

  async function subscribe(reg) {
    const options = { userVisibleOnly: true, applicationServerKey: keyBytes(key) };
    try {
      return await reg.pushManager.subscribe(options);
    } catch (err) {
      // A subscription made with an older key (the server's keys were renewed):
      // drop it and make a new one.
      const old = await reg.pushManager.getSubscription();
      if (!old) throw err;
      await old.unsubscribe();
      return reg.pushManager.subscribe(options);
    }
  }

  async function switchOn() {
    show(TEXT.working, null);
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') {
      show(permission === 'denied' ? TEXT.blocked : TEXT.notAllowed, permission === 'denied' ? null : false);
      return;
    }
    let sub;
    try {
      sub = await subscribe(await registration());
    } catch {
      show(TEXT.failed, false);
      return;
    }
    await tellServer(sub, true);
  }

  /* Send this device's subscription to Candour; `tapped`: say what happened. */
  async function tellServer(sub, tapped) {
    let answer;
    try {
      answer = await post(control.getAttribute('data-subscribe-url'), sub.toJSON());
    } catch {
      if (tapped) show(TEXT.offline, false);
      return;
    }
    if (answer.ok) {
      show(TEXT.on, true);
      if (tapped && devices) devices.textContent = 'Alerts are on for this device.';
    } else if (tapped) {
      show(answer.error || TEXT.failed, false);
    }
  }

  async function switchOff() {
    show(TEXT.working, null);
    const reg = await registration();
    const sub = await reg.pushManager.getSubscription();
    if (sub) {
      try {
        const answer = await post(control.getAttribute('data-unsubscribe-url'), { endpoint: sub.endpoint });
        // 404: the server no longer had it (or it was someone else's): off anyway.
        if (!answer.ok && answer.status !== 404) {
          show(answer.error || TEXT.failed, true);
          return;
        }
      } catch {
        show(TEXT.offline, true);
        return;
      }
      await sub.unsubscribe();
    }
    show(TEXT.off, false);
  }

  async function start() {
    if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
      show(TEXT.unsupported, null);
      return;
    }
    if (Notification.permission === 'denied') {
      show(TEXT.blocked, null);
      return;
    }
    const sub = await (await registration()).pushManager.getSubscription();
    if (sub && Notification.permission === 'granted') {
      show(TEXT.on, true);
      // Keep the server's copy in step (it may have dropped it, or someone
      // else signed in on this phone since: alerts go to who is signed in).
      await tellServer(sub, false);
    } else {
      show(TEXT.off, false);
    }
  }

  onButton.addEventListener('click', () => switchOn().catch(() => show(TEXT.failed, false)));
  offButton.addEventListener('click', () => switchOff().catch(() => show(TEXT.failed, true)));
  start().catch(() => show(TEXT.failed, false));
})();
