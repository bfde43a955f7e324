#!/usr/bin/env bash
# `npm test` runs this first: the --report test renders the HTML report in headless Chromium, which
# no npm package can bring here (browser downloads are blocked), so it comes from Debian's package.
# It installs only when Chromium is missing and apt-get can be used (root); otherwise it says what
# to do and leaves the decision to the test, which then fails with the same hint.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "llmbatch tests: installing Debian's chromium for the --report test" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || echo "llmbatch tests: could not install chromium; the --report test will fail" >&2
else
  echo "llmbatch tests: chromium is missing (sudo apt-get install -y chromium); the --report test will fail without it" >&2
fi
exit 0
