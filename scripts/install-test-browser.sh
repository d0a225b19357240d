#!/usr/bin/env bash
# The status-page test drives Debian's Chromium through playwright-core. Install it when missing and when
# we are allowed to (root); the test skips itself with a clear message if no browser is available.
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ]; then echo "chromium not installed and not root: the status-page browser test will skip"; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
(apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null) \
  || echo "could not install chromium: the status-page browser test will skip"
exit 0
