#!/usr/bin/env bash
# Idempotent installer for hivescope's Debian build dependencies.
#
# Usage: cmake/install-deps.sh [--fuzz]
#   --fuzz   also require clang + libclang-rt-14-dev (libFuzzer/sanitizer runtimes)
#
# Only installs Debian packages via apt-get; never downloads anything else.
set -euo pipefail

packages=(
    catch2
    libsimdjson-dev
    libssl-dev
    nettle-dev # short AES-GCM frames: far less per-call overhead than OpenSSL 3's EVP
    libspdlog-dev
    zlib1g-dev
    libboost-dev
    libcli11-dev
    cmake
    ninja-build
    g++
    ccache
    pkg-config
    python3
)

for arg in "$@"; do
    case "$arg" in
        --fuzz) packages+=(clang libclang-rt-14-dev) ;;
        -h|--help)
            sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "install-deps.sh: unknown argument: $arg" >&2
            exit 2
            ;;
    esac
done

missing=()
for pkg in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "installed" ]]; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all ${#packages[@]} build dependencies present."
    exit 0
fi

echo "install-deps: missing packages: ${missing[*]}"

if [[ "$(id -u)" -ne 0 ]]; then
    cat >&2 <<MSG
install-deps: not running as root; cannot install.
Run:
    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}
MSG
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
