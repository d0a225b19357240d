#!/usr/bin/env bash
# The cluster-mode tests (test/integration/cluster-redis.test.ts, coordination-stores.test.ts) start their own
# redis-server on a free loopback port. Install Debian's redis-server when missing and when we may (root, or
# password-less sudo), quietly; the Redis tests skip themselves with a clear message if it is absent.
set -u
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "redis-server not installed and cannot install it (not root, no password-less sudo): the Redis cluster tests will skip"
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get: install redis-server by hand; the Redis cluster tests will skip"
  exit 0
fi
($SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null) \
  || echo "could not install redis-server: the Redis cluster tests will skip"
# The package starts a system service on 6379; the tests never use it (they run their own on free ports).
exit 0
