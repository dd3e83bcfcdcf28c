#!/usr/bin/env bash
# `make setup`: install only what is missing or out of date. Each step keeps a hash
# of its inputs (lock files, SCSS) beside what it made, so a fresh checkout or a
# branch switch (which changes file times, not contents) costs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

digest() { cat "$@" | sha256sum | cut -d' ' -f1; }
stale() { [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; }

# Python packages, pinned in requirements*.txt, into .venv.
want=$(digest requirements.txt requirements-dev.txt)
if [ ! -x .venv/bin/python ] || stale .venv/.requirements.sha256 "$want"; then
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/pip install --disable-pip-version-check -q -r requirements-dev.txt
  echo "$want" > .venv/.requirements.sha256
fi

# Front-end packages from the npm lock file.
want=$(digest package.json package-lock.json)
if stale node_modules/.lock.sha256 "$want"; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.lock.sha256
fi

# static/vendor: copied from node_modules and compiled from static/scss (git ignores it).
want=$(digest package-lock.json static/scss/*.scss)
if stale static/vendor/.build.sha256 "$want" || [ ! -f static/vendor/candour.css ]; then
  mkdir -p static/vendor
  cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
  cp node_modules/idb/build/umd.js static/vendor/idb.umd.js
  npx --no-install sass --load-path=node_modules --style=compressed --no-source-map \
    static/scss/candour.scss static/vendor/candour.css
  echo "$want" > static/vendor/.build.sha256
fi
