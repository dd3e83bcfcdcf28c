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
fi

# .ci/run may still be installing Chromium in the background (it names a file
# that will hold apt's exit status): wait for it before the browser step.
chromium_ready() {
  local status_file="${CHROMIUM_INSTALL_STATUS:-}"
  if [ -n "$status_file" ]; then
    echo "== waiting for Chromium's installation"
    while [ ! -e "$status_file" ]; do sleep 1; done
    if [ "$(cat "$status_file")" != "0" ]; then
      echo "Installing Chromium failed:" >&2
      cat "$status_file.log" >&2
      return 1
    fi
  fi
  if [ "$ci" = "true" ] && [ ! -x "${CHROMIUM_PATH:-/usr/lib/chromium/chromium-headless-shell}" ]; then
    echo "CI=true but Chromium is missing" >&2
    return 1
  fi
}

# Every pytest process below (each step's workers) imports the same modules: let
# the first write their bytecode, and pytest its rewritten tests, for the rest to
# read. A machine may forbid writing it (the CI machine sets
# PYTHONDONTWRITEBYTECODE), which made each process compile everything again:
# about 5 CPU seconds a process. __pycache__ is ignored by git.
unset PYTHONDONTWRITEBYTECODE

# The browser's own code without a browser (tests/js: node's test runner, e.g.
# the form cases shared with tests/parity). First: it takes a second.
echo "== JavaScript (node --test tests/js)"
node --test tests/js

# In parallel (pytest-xdist), one worker per core unless TEST_WORKERS says
# otherwise; each worker has its own database (see tests/conftest.py).
# worksteal: a worker that runs out takes tests queued for the other, so one
# slow test does not leave a core idle at the end.
parallel=(-n "${TEST_WORKERS:-auto}" --dist worksteal)

if [ "$#" -gt 0 ]; then
  # Some tests named on the command line: run just those, on SQLite.
  echo "== SQLite: $*"
  CANDOUR_TEST_DB=sqlite run -q "${parallel[@]}" "$@"
  exit 0
fi

echo "== SQLite: unit, integration and API tests"
CANDOUR_TEST_DB=sqlite run -q "${parallel[@]}" -m "not browser" tests

# One worker more than cores for the browser tests: each waits as well as works
# (the page, the server and Chromium answer each other in turn; timers and
# retries), so with one worker per core the cores sat idle about a third of the
# time. Measured on the 2-core machine while other work loaded it (so roughly):
# the 110 browser tests in 235 s with 3 workers, 346 s and 376 s with 2; the
# same CPU time; no reruns.
browser=(-n "${TEST_WORKERS:-$(($(nproc) + 1))}" --dist worksteal)

chromium_ready
echo "== SQLite: real-browser tests (Chromium)"
CANDOUR_TEST_DB=sqlite run -q "${browser[@]}" -m browser tests

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "== PostgreSQL (${TEST_DATABASE_URL%%@*}@…)"
  # Only the tests that use the database under test: the rest (rules, parity
  # cases, subprocesses on a SQLite file of their own) ran above and do not
  # depend on which database the suite uses (tests/conftest.py).
  CANDOUR_TEST_DB="$TEST_DATABASE_URL" run -q "${parallel[@]}" -m "not browser" --database-tests-only tests
else
  echo "== PostgreSQL: TEST_DATABASE_URL not set, so not run here (CI runs it)"
fi
