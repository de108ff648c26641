#!/usr/bin/env bash
# Set up (first run) and start the gateway on the bundled demo partner catalogs.
# Usage: bash scripts/serve.sh [federator serve options, e.g. --port 8080 --config my.yaml]
source "$(dirname "$0")/_setup.sh"
apt_need libyaz5 || echo "warning: could not install libyaz5; Z39.50 partners will report an error"
venv_install
exec "$VENV/bin/federator" serve "$@"
