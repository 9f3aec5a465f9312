#!/usr/bin/env bash
# The browser tests drive a real headless Chromium: Debian's `chromium` package (or the binary
# FERRY_TEST_CHROMIUM names). Install it where this user can; otherwise say how to get it.
set -u
if [ -n "${FERRY_TEST_CHROMIUM:-}" ] && [ -x "$FERRY_TEST_CHROMIUM" ]; then exit 0; fi
command -v chromium >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "Chromium is missing: installing Debian's chromium package for the browser tests"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
fi
if ! command -v chromium >/dev/null 2>&1; then
  echo "Chromium is not installed; the browser tests need it." >&2
  echo "  Debian/Ubuntu: sudo apt-get install chromium" >&2
  echo "  or set FERRY_TEST_CHROMIUM to a Chromium or Chrome binary" >&2
  exit 1
fi
