#!/usr/bin/env bash
# Install everything the tests need (Debian packages included) and run the whole test suite.
# Usage: bash scripts/test.sh [pytest options]
source "$(dirname "$0")/_setup.sh"
# yaz: yaz-ztest, yaz-client, zoomsh; libyaz5: the Z39.50 client library; idzebra-2.0: Zebra.
# redis-server: the shared search cache tests run a real Redis.
# chromium (+ fonts-liberation, a recommend we install by name): the example page is tested in headless Chromium.
apt_need yaz libyaz5 idzebra-2.0 redis-server chromium fonts-liberation
venv_install test
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$@"
