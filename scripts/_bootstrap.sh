# Shared by scripts/run-app and scripts/run-tests: a virtual environment in .venv with
# Levqor Desktop installed (editable), and the system libraries Qt needs where we may
# install them (root with apt-get). Sourced, not run.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LEVQOR_VENV:-$ROOT/.venv}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

find_python() {
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "Levqor Desktop needs Python 3.11 or newer; none was found on PATH." >&2
    return 1
}

# apt_install PKG...: install the Debian packages that are missing, when we can.
apt_install() {
    command -v dpkg-query >/dev/null 2>&1 || return 0
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        log "missing system packages (install them yourself): ${missing[*]}"
        return 0
    fi
    log "installing system packages: ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
            log "could not install: ${missing[*]} (continuing)"
    fi
}

# Libraries Qt needs even offscreen (see docs/ARCHITECTURE.md, "Platform").
QT_LIBS=(libgl1 libegl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3)
# Extra libraries for a real window on X11 (the xcb platform).
QT_XCB_LIBS=(libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
    libxcb-shape0 libxkbcommon-x11-0)

# ensure_venv EXTRAS: create .venv and (re)install the project when pyproject.toml changed.
ensure_venv() {
    local extras="$1" python stamp want
    if [ ! -x "$VENV/bin/python" ]; then
        python="$(find_python)"
        log "creating the virtual environment in $VENV"
        "$python" -m venv "$VENV"
    fi
    stamp="$VENV/.levqor-installed"
    want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1) $extras"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        log "installing Levqor Desktop${extras:+ with [$extras]} (first run takes a few minutes)"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e "$ROOT${extras:+[$extras]}"
        echo "$want" >"$stamp"
    fi
}
