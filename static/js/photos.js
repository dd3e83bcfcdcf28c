/* Photos in the report form, with the phone's camera. Each photo is made smaller
 * here (at most 1600 pixels on its long side, as a JPEG: a camera's 4 MB becomes
 * some 200 KB), shown as a small preview and kept with the form
 * (form.candourPhotos); saving the form keeps them in the outbox beside the
 * report (form-capture.js, store.js) and they are sent after it
 * (offline/photo-outbox.js). No photo is taken in without naming who agreed
 * to it. The file input is then emptied, so the form itself never carries them.
 *
 * Without the outbox (no script, no IndexedDB, not signed in) this does nothing:
 * the chosen files go with the form and the server makes them smaller itself.
 */
(() => {
  'use strict';

  const P = window.CandourOffline?.pageParts;
  if (!P?.userId) return;
  const { doc, el, S, plural } = P;
  const MAX_SIDE = 1600;
  const QUALITY = 0.85;
  const PREVIEW_SIDE = 240;
  const NO_CONSENT = 'Say who agreed to this photo being taken.';
  const UNREADABLE = 'This phone could not open that photo. Take it again, or choose another.';
  // The photos of a form replaced by an htmx swap (the server's 422), for the new one.
  let carried = null;

  /* With the outbox, photos never travel with the form, so it is posted as it was
   * before it could carry them (urlencoded): a browser sends a textarea's line
   * breaks as CRLF in multipart but htmx's urlencoded body keeps them as the
   * outbox's copy has them, so the page's post and the outbox's confirmation are
   * the same report (200, not 409). Without the outbox the form stays multipart. */
  function postPlain() {
    for (const input of doc.querySelectorAll('[data-photo-input]')) {
      input.form?.setAttribute('enctype', 'application/x-www-form-urlencoded');
    }
  }
  postPlain();

  async function decode(file) {
    if (typeof createImageBitmap === 'function') {
      try {
        return await createImageBitmap(file, { imageOrientation: 'from-image' });
      } catch {
        /* a format the bitmap decoder does not know: try an image element */
      }
    }
    const url = await new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
    const image = new Image();
    image.src = url;
    await image.decode();
    return image;
  }

  /* The picture drawn at most `side` pixels on its long side, on white. */
  function draw(source, side) {
    const width = source.naturalWidth || source.width;
    const height = source.naturalHeight || source.height;
    const scale = Math.min(1, side / Math.max(width, height));
    const canvas = doc.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  async function shrink(file) {
    const source = await decode(file);
    try {
      const canvas = draw(source, MAX_SIDE);
      const blob = await new Promise((resolve, reject) =>
        canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('not encoded'))), 'image/jpeg', QUALITY),
      );
      return {
        data: await blob.arrayBuffer(),
        type: 'image/jpeg',
        width: canvas.width,
        height: canvas.height,
        bytes: blob.size,
        preview: draw(canvas, PREVIEW_SIDE).toDataURL('image/jpeg', 0.7),
      };
    } finally {
      source.close?.();
    }
  }

  function partsOf(form) {
    return {
      box: form.querySelector('[data-photos]'),
      list: form.querySelector('[data-photo-list]'),
      status: form.querySelector('[data-photo-status]'),
      consent: form.querySelector('[name="photo_consent_by"]'),
    };
  }

  function render(form) {
    const { list, status } = partsOf(form);
    const photos = form.candourPhotos || [];
    list.replaceChildren(
      ...photos.map((photo, n) =>
        el('li', { className: 'app-photos__item', 'data-photo': photo.id }, [
          el('img', {
            className: 'app-photos__image',
            src: photo.preview,
            alt: `Photo ${n + 1}, to be sent with the report`,
          }),
          el('p', { className: 'nhsuk-body-s app-muted', text: `Agreed by ${photo.consentBy}` }),
          el('button', {
            type: 'button',
            className: 'nhsuk-button nhsuk-button--secondary app-photos__remove',
            'data-photo-remove': photo.id,
            text: `Remove photo ${n + 1}`,
          }),
        ]),
      ),
    );
    list.hidden = !photos.length;
    status.textContent = photos.length
      ? `${plural(photos.length, 'photo', 'photos')} ready. They are sent after the report, and do not stay on this phone.`
      : '';
  }

  async function take(input) {
    const form = input.form;
    const files = Array.from(input.files || []);
    if (!form || !files.length) return;
    const { consent, status } = partsOf(form);
    const agreed = (consent?.value || '').trim();
    input.value = '';
    if (!agreed) {
      P.showErrors(form, { photo_consent_by: [NO_CONSENT] });
      consent?.focus();
      return;
    }
    status.textContent = `Making ${plural(files.length, 'photo', 'photos')} smaller…`;
    const problems = [];
    for (const file of files) {
      try {
        const made = await shrink(file);
        form.candourPhotos = (form.candourPhotos || []).concat([
          Object.assign(made, { id: S.uuid(), consentBy: agreed, takenAt: Date.now() }),
        ]);
      } catch {
        problems.push(UNREADABLE);
      }
    }
    form.dataset.offlineTouched = '1';
    render(form);
    if (problems.length) status.textContent = `${status.textContent} ${problems[0]}`.trim();
  }

  doc.addEventListener('change', (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.matches('[data-photo-input]')) take(input);
  });

  doc.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-photo-remove]') : null;
    if (!button?.form) return;
    const form = button.form;
    form.candourPhotos = (form.candourPhotos || []).filter((p) => p.id !== button.dataset.photoRemove);
    render(form);
  });

  // The server's answer swaps the form (422): the photos stay with the new one.
  doc.addEventListener('htmx:beforeSwap', (event) => {
    const form = event.detail.target?.querySelector?.('form[data-offline-form]');
    carried = form?.candourPhotos?.length ? form.candourPhotos : null;
  });
  doc.addEventListener('htmx:afterSwap', () => {
    postPlain();
    const form = doc.querySelector('[data-photos]')?.closest('form');
    if (carried && form?.querySelector('[data-photo-input]')) {
      form.candourPhotos = carried;
      render(form);
    }
    carried = null;
  });
})();
