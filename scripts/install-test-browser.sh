#!/usr/bin/env bash
# The status-page test (test/integration/status-page.test.ts) drives Debian's Chromium at /usr/bin/chromium
# through playwright-core. Install it when missing and when we may (root, or password-less sudo); the test
# skips itself with a clear message if no browser is available, so this script never fails the build.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "chromium not installed and cannot install it (not root, no password-less sudo): the status-page browser test will skip"
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get: install Chromium at /usr/bin/chromium by hand (or set ESDB_LINKER_CHROMIUM); the status-page browser test will skip"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
($SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null) \
  || echo "could not install chromium: the status-page browser test will skip"
exit 0
