#!/usr/bin/env bash
# `npm start`: install what is missing, build, then run the platform on this machine
# (scripts/platform/start.mjs: Postgres, Redis, migrations, API, worker, dashboard, demo).
# Arguments pass through: `npm start -- --services-only`, `npm start -- --no-seed`, `npm start -- --help`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# --help needs no install or build.
for argument in "$@"; do
  case "$argument" in
    -h | --help) exec node scripts/platform/start.mjs --help ;;
  esac
done

say() { echo "start   | $*"; }

# Runs a command and says every 15 s that it still runs: a first install and build take minutes on a
# small machine, and a terminal that prints nothing for that long looks hung. The command runs in the
# foreground so that Ctrl-C reaches it; the heartbeat stops with it, or with this script ($$).
with_heartbeat() {
  local what=$1
  shift
  local started=$SECONDS
  (
    elapsed=0
    while sleep 15 && kill -0 $$ 2>/dev/null; do
      elapsed=$((elapsed + 15))
      say "$what: still running ($elapsed s)"
    done
  ) &
  heartbeat=$!
  local status=0
  "$@" || status=$?
  kill "$heartbeat" 2>/dev/null || true
  heartbeat=
  if ((status != 0)); then
    say "$what failed (exit status $status) after $((SECONDS - started)) s"
    return "$status"
  fi
  say "$what: done in $((SECONDS - started)) s"
}
heartbeat=
trap '[ -n "$heartbeat" ] && kill "$heartbeat" 2>/dev/null' EXIT

# npm writes node_modules/.package-lock.json on every install: older than package-lock.json means
# the lock file changed since (a pull, a new dependency) and node_modules is stale.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies (npm ci; a few minutes the first time)"
  with_heartbeat "npm ci" npm ci --no-audit --no-fund
fi

# turbo replays unchanged packages from its cache, so this is quick when nothing changed. new-only:
# one line per package as it starts (a cache hit says so), and the output of those it really builds.
say "building (npx turbo run build; a few minutes the first time, seconds when nothing changed)"
with_heartbeat "build" npx turbo run build --output-logs=new-only

say "starting the platform (scripts/platform/start.mjs)"
# exec: the launcher receives Ctrl-C and SIGTERM itself and stops its children in order.
exec node scripts/platform/start.mjs "$@"
