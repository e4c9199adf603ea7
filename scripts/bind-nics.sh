#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bind NICs to a DPDK-capable driver (vfio-pci by default) or give them back to the kernel;
# wraps DPDK's dpdk-devbind.py (Debian package dpdk). Needs root.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/bind-nics.sh --status                       NICs and the driver each is bound to
       scripts/bind-nics.sh PCI... [--driver vfio-pci]      bind to vfio-pci (or uio_pci_generic)
       scripts/bind-nics.sh --unbind PCI... --kernel DRV    give them back (e.g. ice, i40e, ixgbe)

PCI addresses as in `lspci -D` (0000:3b:00.0). Binding takes the interface away from the
kernel: never bind the NIC you are logged in through (dpdk-devbind.py refuses an interface
with active routes). mlx5 (NVIDIA ConnectX) is bifurcated: leave it on mlx5_core, do not bind.
vfio-pci needs the IOMMU on (intel_iommu=on iommu=pt, or amd_iommu=on); in a VM without a
vIOMMU use --driver vfio-pci with --noiommu (sets enable_unsafe_noiommu_mode) or
--driver uio_pci_generic. Afterwards: siehub --config drivers-config/siehub-<driver>.conf --check.
USAGE
}

tool=$(command -v dpdk-devbind.py || true)
if [ -z "$tool" ]; then
    echo "bind-nics.sh: dpdk-devbind.py not found (apt-get install dpdk)" >&2
    exit 1
fi
driver=vfio-pci
kernel=""
unbind=0
noiommu=0
pci=()
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --status) exec "$tool" --status-dev net ;;
    --driver) driver=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --unbind) unbind=1; shift ;;
    --noiommu) noiommu=1; shift ;;
    -*) usage >&2; exit 2 ;;
    *) pci+=("$1"); shift ;;
    esac
done
if [ ${#pci[@]} -eq 0 ]; then
    usage >&2
    exit 2
fi
if [ "$unbind" -eq 1 ]; then
    if [ -z "$kernel" ]; then
        echo "bind-nics.sh: --unbind needs --kernel DRIVER" >&2
        exit 2
    fi
    "$tool" --bind "$kernel" "${pci[@]}"
    exec "$tool" --status-dev net
fi
modprobe "$driver" 2>/dev/null || true
if [ "$driver" = vfio-pci ] && [ "$noiommu" -eq 1 ]; then
    echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode
fi
"$tool" --bind "$driver" "${pci[@]}"
exec "$tool" --status-dev net
