#!/usr/bin/env bash
# The whole suite: the JavaScript tests, SQLite (with the real-browser tests),
# then PostgreSQL when TEST_DATABASE_URL is set. With CI=true a missing
# PostgreSQL or Chromium is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTEST=".venv/bin/pytest"
ci="${CI:-}"

run() {
  local status=0
  "$PYTEST" "$@" || status=$?
  # pytest's 5 means "no tests collected": that is a broken suite, not a pass.
  if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests for: $*" >&2
    return 1
  fi
  return "$status"
}

if [ "$ci" = "true" ]; then
  [ -n "${TEST_DATABASE_URL:-}" ] || { echo "CI=true but TEST_DATABASE_URL is not set" >&2; exit 1; }
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || { echo "CI=true but Chromium is missing" >&2; exit 1; }
fi

# The browser's own code without a browser (tests/js: node's test runner, e.g.
# the form cases shared with tests/parity). First: it takes a second.
echo "== JavaScript (node --test tests/js)"
node --test tests/js

echo "== SQLite (unit, integration and browser tests)"
CANDOUR_TEST_DB=sqlite run -q tests "$@"

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "== PostgreSQL (${TEST_DATABASE_URL%%@*}@…)"
  CANDOUR_TEST_DB="$TEST_DATABASE_URL" run -q -m "not browser" tests "$@"
else
  echo "== PostgreSQL: TEST_DATABASE_URL not set, so not run here (CI runs it)"
fi
