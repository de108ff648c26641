# Shared setup for scripts/serve.sh and scripts/test.sh (sourced, not run).
# Installs Debian packages when missing (as root, or with sudo), then the project in .venv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
export DEBIAN_FRONTEND=noninteractive

_sudo() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

# apt_need PKG...: install the Debian packages that are not installed yet (one apt-get update).
apt_need() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing Debian packages: ${missing[*]}"
    if [ -z "${_APT_UPDATED:-}" ]; then _sudo apt-get update -qq; _APT_UPDATED=1; fi
    _sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# venv_install EXTRAS: create .venv (python3 -m venv) and install the project editable.
venv_install() {
    local extras="${1:-}"
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" 2>/dev/null; then
        apt_need python3-venv python3-pip
    fi
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade "pip>=23" 2>/dev/null || true
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT${extras:+[$extras]}"
}
