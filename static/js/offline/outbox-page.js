/* The outbox page (/outbox): what waits on this phone for the signed-in person,
 * each entry's state and last answer, the reasons and both versions when the
 * server refused one, what was sent, the storage facts, and "Send now". Only
 * the phone knows any of this, so the page is drawn here from its storage. */
(() => {
  'use strict';

  const P = window.CandourOffline?.pageParts;
  if (!P) return;
  const { doc, store, S, userId, TAP_WAIT_MS, el, when, plural } = P;
  const NS = window.CandourOffline;

  const STATUS_WORDS = {
    waiting: 'Waiting for signal',
    sending: 'Sending now',
    attention: 'Needs your attention',
    signin: 'Waiting for you to sign in again',
  };

  function statusOf(entry, signinNeeded) {
    if (entry.status === 'attention') return 'attention';
    if (store.leaseHeld(entry.lease, Date.now())) return 'sending';
    return signinNeeded ? 'signin' : 'waiting';
  }

  function flatten(value, prefix, out) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    } else if (Array.isArray(value)) {
      if (!value.length) out[prefix] = '';
      value.forEach((v, i) => {
        flatten(v, `${prefix}.${i}`, out);
      });
    } else {
      out[prefix] = value;
    }
    return out;
  }

  const NOT_COMPARED = new Set(['id', 'reference', 'status', 'received_at', 'reporter_id']);

  function shown(entry, name, value) {
    if (value === null || value === undefined || value === '') return '—';
    if (value === true) return 'Yes';
    if (value === false) return 'No';
    const words = entry.choices?.[name.replace(/\.\d+\./, '.0.')] || entry.choices?.[name];
    if (words?.[value]) return words[value];
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return when(value);
    return String(value);
  }

  function sameMoment(a, b) {
    const x = Date.parse(a);
    const y = Date.parse(b);
    return !Number.isNaN(x) && x === y;
  }

  function comparison(entry) {
    const mine = flatten(entry.payload, '', {});
    const theirs = flatten(entry.lastAnswer.existing || {}, '', {});
    const names = Array.from(new Set(Object.keys(mine).concat(Object.keys(theirs)))).filter(
      (n) => !NOT_COMPARED.has(n),
    );
    const rows = names
      .filter((n) => {
        const a = mine[n] === undefined ? null : mine[n];
        const b = theirs[n] === undefined ? null : theirs[n];
        return a !== b && !sameMoment(a, b) && !((a === null || a === '') && (b === null || b === ''));
      })
      .map((n) => {
        const question = entry.questions?.[n] || n.replace(/[._]/g, ' ');
        return el('tr', { className: 'nhsuk-table__row' }, [
          el('th', { className: 'nhsuk-table__header', scope: 'row', text: question }),
          el('td', { className: 'nhsuk-table__cell', text: shown(entry, n, mine[n]) }),
          el('td', { className: 'nhsuk-table__cell', text: shown(entry, n, theirs[n]) }),
        ]);
      });
    return el('div', { className: 'app-table-wrap' }, [
      el('table', { className: 'nhsuk-table app-outbox-compare', 'data-outbox-compare': true }, [
        el('caption', { className: 'nhsuk-table__caption', text: 'What is different' }),
        el('thead', { className: 'nhsuk-table__head' }, [
          el('tr', {}, [
            el('th', { scope: 'col', text: 'Question' }),
            el('th', { scope: 'col', text: 'On this phone' }),
            el('th', {
              scope: 'col',
              text: `Already received${entry.lastAnswer.existing?.reference ? ` (${entry.lastAnswer.existing.reference})` : ''}`,
            }),
          ]),
        ]),
        el(
          'tbody',
          {},
          rows.length ? rows : [el('tr', {}, [el('td', { colspan: '3', text: 'Only the times differ.' })])],
        ),
      ]),
    ]);
  }

  function reasons(entry) {
    const answer = entry.lastAnswer || {};
    const items = [];
    for (const [name, messages] of Object.entries(answer.errors || {})) {
      const question = entry.questions?.[name === 'id' ? 'entry_id' : name];
      for (const text of [].concat(messages)) items.push(el('li', { text: question ? `${question} ${text}` : text }));
    }
    if (answer.message) items.unshift(el('li', { text: answer.message }));
    return items.length
      ? el('ul', { className: 'nhsuk-list nhsuk-list--bullet app-outbox-reasons', 'data-outbox-reasons': true }, items)
      : null;
  }

  function entryCard(entry, signinNeeded) {
    const status = statusOf(entry, signinNeeded);
    const answer = entry.lastAnswer;
    const summary = entry.summary || { bits: [] };
    const actions = [];
    if (status === 'attention') {
      actions.push(
        el('a', {
          className: 'nhsuk-button nhsuk-button--secondary',
          href: `${entry.formUrl}?outbox_entry=${encodeURIComponent(entry.id)}`,
          'data-outbox-correct': true,
          text: 'Correct it and send again',
        }),
      );
      if (answer && answer.status === 409) {
        const asNew = el('button', {
          type: 'button',
          className: 'nhsuk-button nhsuk-button--secondary',
          'data-outbox-send-as-new': true,
          text: 'Send this as a new report',
        });
        asNew.addEventListener('click', () => sendAsNew(entry));
        actions.push(asNew);
        const existing = answer.existing || {};
        if (existing.reporter_id === userId) {
          const keep = el('button', {
            type: 'button',
            className: 'app-link-button',
            'data-outbox-keep-theirs': true,
            text: `Keep the one already received${existing.reference ? ` (${existing.reference})` : ''} and remove this copy`,
          });
          keep.addEventListener('click', async () => {
            await store.deleteEntry(entry.id, userId);
            await renderOutbox();
            await P.refreshBadge();
          });
          actions.push(keep);
        }
      }
    }
    return el(
      'li',
      {
        className: `app-outbox-entry app-outbox-entry--${status}`,
        'data-outbox-entry': entry.id,
        'data-status': status,
      },
      [
        el('h2', { className: 'nhsuk-heading-s', text: entry.title || 'Report' }),
        summary.bits?.length
          ? el('p', { className: 'nhsuk-body-s app-outbox-entry__what', text: summary.bits.join(' · ') })
          : null,
        summary.text ? el('p', { className: 'nhsuk-body-s', text: summary.text }) : null,
        el('dl', { className: 'app-outbox-facts' }, [
          el('dt', { text: 'Made' }),
          el('dd', { text: when(entry.createdAt) }),
          el('dt', { text: 'Status' }),
          el('dd', {}, [
            el('strong', {
              className: `app-tag app-tag--${status}`,
              'data-outbox-status-word': true,
              text: STATUS_WORDS[status],
            }),
          ]),
          el('dt', { text: 'Tries' }),
          el('dd', { text: String(entry.attempts || 0) }),
          answer ? el('dt', { text: 'Last answer' }) : null,
          answer
            ? el('dd', {
                'data-outbox-last-error': true,
                text: `${when(answer.at)}: ${answer.message || (answer.status ? `code ${answer.status}` : 'no answer')}`,
              })
            : null,
        ]),
        status === 'attention' ? reasons(entry) : null,
        status === 'attention' && answer && answer.status === 409 ? comparison(entry) : null,
        actions.length ? el('div', { className: 'app-outbox-actions' }, actions) : null,
      ],
    );
  }

  /* Photos waiting on this phone (offline/photo-outbox.js): each after its report;
   * one the server refused can only be removed (it would be refused again). */
  function photoCards(photos, entries) {
    const titles = new Map(entries.map((e) => [e.id, e.title || 'Report']));
    return el(
      'ul',
      { className: 'nhsuk-list app-outbox-list', 'data-outbox-photos': true },
      photos.map((photo, n) => {
        const attention = photo.status === 'attention';
        const about = titles.has(photo.entryId) ? `with "${titles.get(photo.entryId)}"` : 'for a report already sent';
        const remove = attention
          ? el('button', {
              type: 'button',
              className: 'nhsuk-button nhsuk-button--secondary',
              'data-outbox-remove-photo': photo.id,
              text: `Remove photo ${n + 1} from this phone`,
            })
          : null;
        remove?.addEventListener('click', async () => {
          await NS.photoOutbox.removePhoto(photo.id, userId);
          await renderOutbox();
          await P.refreshBadge();
        });
        return el(
          'li',
          {
            className: `app-outbox-entry app-outbox-entry--${attention ? 'attention' : 'waiting'}`,
            'data-outbox-photo': photo.id,
          },
          [
            el('h3', { className: 'nhsuk-heading-xs', text: `Photo ${n + 1}, ${about}` }),
            el('p', {
              className: 'nhsuk-body-s',
              text: attention
                ? `Needs your attention: ${photo.lastAnswer?.message || 'the server refused it'}`
                : 'Waiting: it is sent after its report.',
            }),
            remove,
          ],
        );
      }),
    );
  }

  async function sendAsNew(entry) {
    const id = S.uuid();
    const payload = Object.assign({}, entry.payload, { id });
    const fields = (entry.fields || []).map(([n, v]) => [n, n === 'entry_id' ? id : v]);
    const copy = Object.assign({}, entry, { id, payload, fields, status: 'waiting', lastAnswer: null, lease: null });
    await store.saveEntry(copy, { replaces: entry.id });
    await P.kick(true);
  }

  /* The sign-in this page was kept for has ended (shared phone, no signal): what
   * waits stays on the phone, but only how many is shown, never what they say. */
  async function renderEnded(root) {
    const c = await store.counts(userId);
    root.querySelector('[data-outbox-list]').replaceChildren(
      el('p', {
        className: 'nhsuk-body',
        'data-outbox-signed-out': true,
        text: c.all
          ? `${plural(c.all, 'report', 'reports')} from an earlier sign-in ${c.all === 1 ? 'is' : 'are'} waiting on this phone. ${c.all === 1 ? 'It is' : 'They are'} safe here: sign in again to send ${c.all === 1 ? 'it' : 'them'}. Only the person who made ${c.all === 1 ? 'it' : 'them'} can see ${c.all === 1 ? 'it' : 'them'}.`
          : 'Your sign-in has ended. Sign in again to see your outbox.',
      }),
    );
    root.querySelector('[data-outbox-others]').hidden = true;
    root.querySelector('[data-outbox-receipts]').replaceChildren();
    root.querySelector('[data-outbox-send-now]').hidden = true;
  }

  async function renderOutbox() {
    const root = doc.querySelector('[data-outbox]');
    if (!root || !userId) return;
    root.hidden = false;
    if (await store.signInEnded(userId, Date.now())) {
      await renderEnded(root);
      return;
    }
    const entries = await store.entriesFor(userId);
    const signin = await store.getMeta('signin-needed');
    const c = await store.counts(userId);
    const photos = NS.photoOutbox ? await NS.photoOutbox.photosFor(userId) : [];
    const list = root.querySelector('[data-outbox-list]');
    list.replaceChildren(
      ...(entries.length || photos.length
        ? [
            el(
              'ul',
              { className: 'nhsuk-list app-outbox-list' },
              entries.map((e) => entryCard(e, Boolean(signin))),
            ),
            photos.length ? el('h2', { className: 'nhsuk-heading-s', text: 'Photos' }) : null,
            photos.length ? photoCards(photos, entries) : null,
          ]
        : [
            el('p', {
              className: 'nhsuk-body',
              'data-outbox-empty': true,
              text: 'Nothing is waiting: everything made on this phone has been sent.',
            }),
          ]),
    );
    const others = root.querySelector('[data-outbox-others]');
    others.textContent = c.others
      ? `${plural(c.others, 'report', 'reports')} made by someone else on this phone ${c.others === 1 ? 'is' : 'are'} waiting for them to sign in. Only they can see or send ${c.others === 1 ? 'it' : 'them'}.`
      : '';
    others.hidden = !c.others;
    const receipts = await store.receiptsFor(userId);
    const sent = root.querySelector('[data-outbox-receipts]');
    sent.replaceChildren(
      ...(receipts.length
        ? [
            el(
              'ul',
              { className: 'nhsuk-list' },
              receipts.map((r) =>
                el('li', {
                  'data-outbox-receipt': r.id,
                  text: `${r.title || 'Report'}${r.reference ? ` ${r.reference}` : ''}, sent ${when(r.sentAt)}`,
                }),
              ),
            ),
          ]
        : [el('p', { className: 'nhsuk-body-s', text: 'Nothing sent from this phone yet.' })]),
    );
    root.querySelector('[data-outbox-send-now]').hidden = !c.waiting && !c.photosDue;
    await P.renderStorage(root.querySelector('[data-outbox-storage]'));
  }

  async function sendNow(button) {
    const status = doc.querySelector('[data-outbox-progress]');
    button.disabled = true;
    if (status) status.textContent = 'Sending…';
    const ids = async () => new Set((await store.entriesFor(userId)).map((e) => e.id));
    const before = await ids();
    const result = await P.kick(true, TAP_WAIT_MS);
    button.disabled = false;
    if (!status || !result) return;
    // What left the phone since the tap, whether this window, another one or
    // the worker sent it: the carer asked for it to go, not who should send it.
    const after = await ids();
    const gone = [...before].filter((id) => !after.has(id)).length;
    const c = await store.counts(userId);
    const parts = [];
    if (gone) parts.push(`Sent ${plural(gone, 'report', 'reports')}.`);
    if (result.stopped === 'trouble') parts.push('No signal or the server is busy: we will keep trying.');
    if (result.stopped === 'signed-out') parts.push('Your sign-in has expired: sign in again to send.');
    if (result.stopped === 'busy')
      parts.push('Still sending from another window or in the background: we will keep trying.');
    if (result.stopped === 'backoff' && result.until) {
      const at = new Date(result.until).toLocaleTimeString('en-GB', {
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
      parts.push(`The server asked us to wait: we will try again at ${at}.`);
    }
    if (c.attention) parts.push(`${plural(c.attention, 'report needs', 'reports need')} your attention.`);
    if (!c.total) parts.push('Nothing is waiting.');
    status.textContent = parts.join(' ');
  }

  Object.assign(P, { renderOutbox, sendNow });
})();
