#!/usr/bin/env bash
# `npm start`: install what is missing, build, then show the CLI on the example model.
# (A later issue turns this into the start of the whole platform.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# npm writes node_modules/.package-lock.json on every install: older than package-lock.json means
# the lock file changed since (a pull, a new dependency) and node_modules is stale.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "start: installing dependencies (npm ci)"
  npm ci
fi

echo "start: building (npx turbo run build)"
npx turbo run build --output-logs=errors-only

bilinear() {
  echo
  echo "\$ bilinear $*"
  node packages/cli/dist/main.js "$@"
}

bilinear inspect examples/mnist-d64.safetensors
bilinear decompose examples/mnist-d64.safetensors --top-k 8

echo
echo "start: done. Try: node packages/cli/dist/main.js --help   (or: npm run bilinear -- --help)"
