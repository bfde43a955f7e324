#!/usr/bin/env bash
# `npm test` runs this first: the quota-sharing tests start a real redis-server (Debian's package,
# Redis 7.0) on a free loopback port; no npm package can bring one offline (redis-memory-server
# builds Redis in its postinstall). It installs only when the binary is missing and apt-get can be
# used (root); otherwise it says what to do, and those tests skip saying why.
set -u
[ -x "${LLMBATCH_TEST_REDIS_SERVER:-/usr/bin/redis-server}" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "llmbatch tests: installing Debian's redis-server for the --redis tests" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; } || echo "llmbatch tests: could not install redis-server; the --redis tests will skip" >&2
else
  echo "llmbatch tests: redis-server is missing (sudo apt-get install -y redis-server); the --redis tests will skip" >&2
fi
exit 0
