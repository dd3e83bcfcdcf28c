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

# The files whose classes the stylesheet keeps (purgecss.config.cjs reads them).
css_content() {
  find templates static/js -type f | sort
  find . -name '*.py' -not -path './.venv/*' -not -path './node_modules/*' \
    -not -path './tests/*' -not -path './build/*' | sort
}

# static/vendor: copied from node_modules, and the stylesheet compiled from static/scss,
# then purged of the NHS.UK frontend rules no page uses (git ignores it); and the
# sign-in page's and the incident form's smaller one (candour-report.css), purged
# of every rule those pages cannot show (purgecss.report.cjs).
want=$(digest package-lock.json purgecss.config.cjs purgecss.report.cjs static/scss/*.scss $(css_content))
if stale static/vendor/.build.sha256 "$want" || [ ! -f static/vendor/candour.css ] \
  || [ ! -f static/vendor/candour-report.css ]; then
  mkdir -p static/vendor build
  cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
  cp node_modules/idb/build/umd.js static/vendor/idb.umd.js
  npx --no-install sass --load-path=node_modules --style=compressed --no-source-map \
    static/scss/candour.scss build/candour.full.css
  npx --no-install purgecss --config purgecss.config.cjs --css build/candour.full.css \
    --output static/vendor/candour.css
  npx --no-install purgecss --config purgecss.report.cjs --css build/candour.full.css \
    --output static/vendor/candour-report.css
  echo "$want" > static/vendor/.build.sha256
fi

# build/static: what the app serves (core/static_build.py): our scripts minified, and
# gzip and brotli copies made here, once. A file changed since is served from static/.
want=$(digest package-lock.json core/static_build.py $(find static -type f -not -path 'static/scss/*' | sort))
if stale build/static.sha256 "$want" || [ ! -f build/static/manifest.json ]; then
  .venv/bin/python -c "from core.static_build import main; raise SystemExit(main())"
  echo "$want" > build/static.sha256
fi
