/* The shared check cases (tests/parity/check_cases.json) checked by the phone's
 * own code, static/js/offline/checks.js, with the rules table the server makes
 * (static/offline/incident-rules.json), loaded as the page loads it into a fresh
 * node:vm context. Each must give exactly the server's 422 errors, as
 * tests/parity/test_check_parity.py shows the server gives for the same bodies. */
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const test = require('node:test');
const vm = require('node:vm');

const ROOT = path.join(__dirname, '..', '..');
const read = (...parts) => JSON.parse(fs.readFileSync(path.join(ROOT, ...parts), 'utf8'));
const CASES = read('tests', 'parity', 'check_cases.json');
const RULES = read('static', 'offline', 'incident-rules.json');

function loadChecks() {
  const context = vm.createContext({});
  const file = path.join(ROOT, 'static', 'js', 'offline', 'checks.js');
  vm.runInContext(fs.readFileSync(file, 'utf8'), context, { filename: file });
  return context.CandourOffline.checks;
}

const { checkIncident } = loadChecks();

function bodyOf(testCase) {
  const body = structuredClone(testCase.body);
  for (const [name, [char, times]] of Object.entries(testCase.fill || {})) body[name] = char.repeat(times);
  return body;
}

for (const testCase of CASES.cases) {
  test(testCase.name, () => {
    const context = { branchChoice: Boolean(testCase.context?.branch_choice) };
    const errors = checkIncident(RULES, bodyOf(testCase), new Date(), context);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(errors)), testCase.expected);
  });
}

test('the threshold questions are required on the phone too', () => {
  for (const name of ['safeguarding', 'clinical_escalation', 'family_contact']) {
    assert.ok(RULES.fields.thresholds.fields[name].required, name);
  }
});
