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

# npm writes node_modules/.package-lock.json on every install: older than package-lock.json means
# the lock file changed since (a pull, a new dependency) and node_modules is stale.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "start: installing dependencies (npm ci)"
  npm ci
fi

# turbo replays unchanged packages from its cache, so this is quick when nothing changed.
echo "start: building (npx turbo run build)"
npx turbo run build --output-logs=errors-only

# exec: the launcher receives Ctrl-C and SIGTERM itself and stops its children in order.
exec node scripts/platform/start.mjs "$@"
