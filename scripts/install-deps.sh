#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything siehub needs to build, test and run, from Debian 12 packages only.
# Idempotent: packages already present are skipped without touching the network.
set -euo pipefail

packages=(
    build-essential meson ninja-build pkg-config
    libdpdk-dev dpdk-dev dpdk
    libhyperscan-dev libxxhash-dev
    libprotobuf-dev protobuf-compiler
    libssl-dev libcli11-dev catch2 zlib1g-dev libpcap-dev
    libpsl-dev publicsuffix
    clang-14 libclang-rt-14-dev
    iproute2 tcpdump
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
