#!/usr/bin/env bash
# Install the Debian packages the test suite needs, if any are missing.
#
#   postgresql     server binaries (initdb, pg_ctl, postgres) for throwaway test clusters;
#                  the system cluster itself is never used
#   chromium       headless browser for the Playwright tests (never `playwright install`)
#   libmagic1      python-magic: upload type detection by content
#   poppler-utils  pdftoppm: tests rasterise the generated letters
#   zbar-tools     zbarimg: tests decode the QR code printed on a letter
#
# Idempotent and quick when everything is present: apt is only touched when a
# package is missing. Works as root or through sudo; otherwise prints what is
# missing and exits non-zero.
set -euo pipefail

PACKAGES=(postgresql chromium libmagic1 poppler-utils zbar-tools)

is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == "installed" ]]
}

version_of() {
    dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    if is_installed "$pkg"; then
        echo "ok       $pkg $(version_of "$pkg")"
    else
        echo "missing  $pkg"
        missing+=("$pkg")
    fi
done

if ((${#missing[@]})); then
    if [[ "$(id -u)" -eq 0 ]]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "error: not root and sudo is not available; install as root:" >&2
        echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi

    # Remember which PostgreSQL clusters were already running, so that only clusters
    # started by this installation are stopped again.
    running_before=""
    if command -v pg_lsclusters >/dev/null 2>&1; then
        running_before="$(pg_lsclusters --no-header 2>/dev/null | awk '$4 == "online" {print $1 "/" $2}' || true)"
    fi

    echo "installing: ${missing[*]}"
    apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}"

    # The postgresql package creates and (where init scripts may run) starts a "main"
    # cluster on port 5432. The tests never use it; stop it so it holds no memory or port.
    if command -v pg_lsclusters >/dev/null 2>&1; then
        while read -r ver name status; do
            [[ "$status" == "online" ]] || continue
            grep -qxF "$ver/$name" <<<"$running_before" && continue
            echo "stopping system cluster $ver/$name (not used by the tests)"
            "${SUDO[@]}" pg_ctlcluster "$ver" "$name" stop -m fast || true
        done < <(pg_lsclusters --no-header 2>/dev/null | awk '{print $1, $2, $4}')
    fi

    for pkg in "${missing[@]}"; do
        if is_installed "$pkg"; then
            echo "installed $pkg $(version_of "$pkg")"
        else
            echo "error: $pkg is still not installed" >&2
            exit 1
        fi
    done
fi

# Throwaway clusters use the highest installed server version.
pg_bin=""
for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5V); do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && pg_bin="$dir"
done
if [[ -z "$pg_bin" ]]; then
    echo "error: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin" >&2
    exit 1
fi
echo "postgresql bin dir: $pg_bin"

if [[ ! -x /usr/bin/chromium ]]; then
    echo "error: /usr/bin/chromium not found" >&2
    exit 1
fi
echo "chromium: /usr/bin/chromium"
