/* The report form's body map (templates/incidents/_body_map.html): progressive
   enhancement only. Without this script the marks are a list, each place chosen
   from a list, and "Add another mark" posts the form back with one more row.
   With it: front and back outlines where a tap on a place adds a mark there, a
   mark's pressure questions only for pressure damage, and marks added and
   removed in the page. The rows stay numbered 0, 1, 2… in page order, so the
   form's fields match the report's body_map (and its error messages). */
'use strict';

(() => {
  const MAP = '[data-body-map]';
  const PRESSURE = 'pressure_damage';
  const SVG = 'http://www.w3.org/2000/svg';

  function rows(map) {
    return Array.from(map.querySelectorAll('[data-body-mark-rows] > [data-body-mark]'));
  }

  function rowIndex(row) {
    const region = row.querySelector('[data-mark-region]');
    return region ? region.name.split('.')[1] : null;
  }

  /* Give a row the index `to` in every name, id and reference to an id. */
  function renumber(row, to) {
    const from = rowIndex(row);
    if (from === null || from === String(to)) return;
    const name = `body_map.${from}.`;
    const id = `field-body-map-${from}-`;
    const swapId = (value) => value.split(id).join(`field-body-map-${to}-`);
    row.querySelectorAll('[name]').forEach((el) => {
      el.name = el.name.replace(name, `body_map.${to}.`);
    });
    row.querySelectorAll('[id]').forEach((el) => {
      el.id = swapId(el.id);
    });
    row.querySelectorAll('label[for]').forEach((el) => {
      el.htmlFor = swapId(el.htmlFor);
    });
    row.querySelectorAll('[aria-describedby]').forEach((el) => {
      el.setAttribute('aria-describedby', swapId(el.getAttribute('aria-describedby')));
    });
  }

  function kindOf(row) {
    const kind = row.querySelector('select[name$=".kind"]');
    return kind ? kind.value : '';
  }

  /* The pressure questions belong to pressure damage: hidden and not sent for
     any other kind. */
  function updateRow(row, n) {
    row.querySelectorAll('[data-mark-number]').forEach((el) => {
      el.textContent = String(n + 1);
    });
    const pressure = kindOf(row) === PRESSURE;
    row.querySelectorAll('[data-pressure-only]').forEach((group) => {
      group.hidden = !pressure;
      group.querySelectorAll('input, select, textarea').forEach((el) => {
        el.disabled = !pressure;
      });
    });
  }

  function centreOf(shape) {
    const n = (name) => Number(shape.getAttribute(name));
    if (shape.tagName.toLowerCase() === 'rect') return [n('x') + n('width') / 2, n('y') + n('height') / 2];
    return [n('cx'), n('cy')];
  }

  /* Each marked place filled in, with the numbers of its marks. */
  function updateOutline(map) {
    const numbers = new Map();
    rows(map).forEach((row, n) => {
      const region = row.querySelector('[data-mark-region]')?.value;
      if (!region) return;
      if (!numbers.has(region)) numbers.set(region, []);
      numbers.get(region).push(n + 1);
    });
    map.querySelectorAll('[data-region]').forEach((shape) => {
      shape.classList.toggle('app-body-region--marked', numbers.has(shape.dataset.region));
    });
    map.querySelectorAll('[data-body-numbers]').forEach((group) => {
      group.replaceChildren();
      const svg = group.closest('svg');
      for (const [region, marks] of numbers) {
        const shape = svg.querySelector(`[data-region="${CSS.escape(region)}"]`);
        if (!shape) continue;
        const [x, y] = centreOf(shape);
        const text = document.createElementNS(SVG, 'text');
        text.setAttribute('x', String(x));
        text.setAttribute('y', String(y));
        text.setAttribute('text-anchor', 'middle');
        text.setAttribute('dominant-baseline', 'central');
        text.textContent = marks.join(',');
        group.append(text);
      }
    });
  }

  function update(map) {
    rows(map).forEach((row, n) => {
      renumber(row, n);
      updateRow(row, n);
    });
    updateOutline(map);
    const add = map.querySelector('[data-add-row]');
    if (add) add.textContent = rows(map).length ? 'Add another mark' : 'Add a mark';
  }

  function newRow(map) {
    const template = map.querySelector('template[data-body-mark-template]');
    const row = template.content.firstElementChild.cloneNode(true);
    renumber(row, rows(map).length);
    row.querySelectorAll('[data-remove-mark]').forEach((button) => {
      button.hidden = false;
    });
    map.querySelector('[data-body-mark-rows]').append(row);
    return row;
  }

  /* A row to put a new mark in: the last one if its place is not chosen yet. */
  function blankOrNewRow(map) {
    const all = rows(map);
    const last = all[all.length - 1];
    if (last && !last.querySelector('[data-mark-region]').value) return last;
    return newRow(map);
  }

  function tapPlace(map, code) {
    const row = blankOrNewRow(map);
    const region = row.querySelector('[data-mark-region]');
    region.value = code;
    row.removeAttribute('data-blank');
    // As if chosen from the list: drafts and the outline follow the change event.
    region.dispatchEvent(new Event('change', { bubbles: true }));
    update(map);
    const kind = row.querySelector('select[name$=".kind"]');
    row.scrollIntoView({ block: 'nearest' });
    if (kind) kind.focus({ preventScroll: true });
  }

  function showSide(map, side) {
    map.querySelectorAll('[data-show-side]').forEach((button) => {
      button.setAttribute('aria-pressed', String(button.dataset.showSide === side));
    });
    map.querySelectorAll('[data-body-map-picker] [data-body-side]').forEach((figure) => {
      figure.hidden = figure.dataset.bodySide !== side;
    });
  }

  function removeRow(map, row) {
    const all = rows(map);
    const at = all.indexOf(row);
    row.remove();
    update(map);
    const left = rows(map);
    const next = left[Math.min(at, left.length - 1)];
    const focus = next ? next.querySelector('[data-mark-region]') : map.querySelector('[data-add-row]');
    if (focus) focus.focus();
    // Drafts keep what is on the form: tell them a row went.
    map.closest('form')?.dispatchEvent(new Event('change', { bubbles: true }));
  }

  function enhance(map) {
    if (map.dataset.enhanced) return;
    map.dataset.enhanced = 'true';
    // Only marks with a place are kept; new ones come from a tap or "Add a mark".
    for (const row of rows(map)) {
      if (!row.querySelector('[data-mark-region]').value && !row.querySelector('.nhsuk-error-message')) row.remove();
    }
    map.querySelectorAll('[data-remove-mark]').forEach((button) => {
      button.hidden = false;
    });
    const add = map.querySelector('[data-add-row]');
    // In the page now, not a post back to the server (and not a way to send).
    if (add) add.type = 'button';
    map.querySelector('[data-body-map-picker]').hidden = false;
    showSide(map, 'front');
    update(map);

    map.addEventListener('click', (event) => {
      const place = event.target.closest('[data-region]');
      const side = event.target.closest('[data-show-side]');
      const remove = event.target.closest('[data-remove-mark]');
      if (place) tapPlace(map, place.dataset.region);
      else if (side) showSide(map, side.dataset.showSide);
      else if (remove) removeRow(map, remove.closest('[data-body-mark]'));
      else if (event.target.closest('[data-add-row]')) {
        event.preventDefault();
        const row = blankOrNewRow(map);
        update(map);
        row.querySelector('[data-mark-region]').focus();
      }
    });
    map.addEventListener('change', (event) => {
      const row = event.target.closest('[data-body-mark]');
      if (row && event.target.value) row.removeAttribute('data-blank');
      update(map);
    });
  }

  function enhanceAll(root) {
    if (root.matches?.(MAP)) enhance(root);
    root.querySelectorAll?.(MAP).forEach(enhance);
  }

  document.body.addEventListener('htmx:load', (event) => {
    enhanceAll(event.detail?.elt || event.target);
  });
  enhanceAll(document);
})();
