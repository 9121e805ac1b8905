#!/usr/bin/env bash
# Installs what the console's browser test needs, when missing: Debian's Chromium (the
# test drives /usr/bin/chromium; Playwright never downloads a browser) and playwright-core
# pinned by console/package-lock.json. Safe to run again: it does nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x /usr/bin/chromium ]]; then
  echo "== installing Chromium (Debian package)"
  sudo=""
  if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

if [[ ! -d node_modules/playwright-core ]]; then
  echo "== installing playwright-core (npm ci)"
  # No browser download: playwright-core has no install script, and the test launches
  # the Debian Chromium by path.
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
