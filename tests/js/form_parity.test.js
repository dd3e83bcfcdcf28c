/* The shared form cases (tests/parity/form_cases.json) read by the browser's own
 * serialisers, static/js/offline/serialise.js and payloads.js, loaded as the page
 * loads them (classic scripts on one global) into a fresh node:vm context. Each
 * form must give exactly the expected JSON body, as the server does for the same
 * cases (tests/parity/test_form_parity.py). */
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const test = require('node:test');
const vm = require('node:vm');

const ROOT = path.join(__dirname, '..', '..');
const CASES = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'parity', 'form_cases.json'), 'utf8'));

/* CandourOffline as the page has it after <script src=serialise.js> and
 * <script src=payloads.js>: no DOM is needed to read values. */
function loadSerialisers() {
  const context = vm.createContext({});
  for (const name of ['serialise.js', 'payloads.js']) {
    const file = path.join(ROOT, 'static', 'js', 'offline', name);
    vm.runInContext(fs.readFileSync(file, 'utf8'), context, { filename: file });
  }
  return context.CandourOffline;
}

const { serialise, payloads } = loadSerialisers();

function serialiseCase(testCase) {
  const values = new serialise.FormValues(testCase.fields);
  const now = new Date(testCase.now || CASES.now);
  return payloads.payloadFor(testCase.serialiser, values, now);
}

for (const testCase of CASES.cases) {
  test(testCase.name, () => {
    assert.ok(['incident', 'audit'].includes(testCase.serialiser), testCase.serialiser);
    // Through JSON, as the outbox sends it (and out of the vm's own realm).
    assert.deepStrictEqual(JSON.parse(JSON.stringify(serialiseCase(testCase))), testCase.expected);
  });
}

test('the forms read here are the ones the outbox stores', () => {
  assert.equal(typeof payloads.READERS.incident, 'function');
  assert.equal(typeof payloads.READERS.audit, 'function');
  assert.ok(CASES.cases.length > 0);
});
