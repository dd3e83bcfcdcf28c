#!/usr/bin/env bash
# `make run`: the web server and the worker (jobs: messages, reminders) side by
# side. Ctrl-C (or SIGTERM) stops both: the worker finishes the job it is on.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-5000}"

.venv/bin/flask --app app worker &
worker=$!
stop() {
  trap - EXIT INT TERM
  kill -TERM "$worker" 2>/dev/null || true
  wait "$worker" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

.venv/bin/flask --app app run --host 127.0.0.1 --port "$PORT"
