// SPDX-License-Identifier: Apache-2.0
#pragma once
// The exception path's kernel side: a port's TAP (net_tap vdev, probed by the EAL from
// `--vdev=net_tap<i>,iface=<tap_name>`) made usable by the host's network stack. Workers write
// the frames that are not ingest traffic to the TAP; the control loop sends what the kernel
// writes there out of the port. For the kernel's ARP replies and IP packets to be right on the
// wire, the TAP must look like the port: the port's MAC address (the port's MAC is known only
// after probe, so it is copied onto the TAP then, not given as a `mac=` devarg), the port's MTU,
// and the hub's IPv4 address on that port. docs/exception-path.md has the whole picture.

#include <array>
#include <cstdint>
#include <string>

#include "dataplane/settings.hpp"

namespace siehub::dataplane {

// What the kernel sees of one exception TAP.
struct tap_identity {
    std::string ifname;                    // the Linux interface (port_settings::tap_name)
    std::array<std::uint8_t, 6> mac{};     // the wire port's MAC
    std::uint16_t mtu = 0;                 // the wire port's MTU; 0 = leave the TAP's default
    std::array<std::uint8_t, 4> address{}; // the hub's IPv4 address, network order; prefix 0 = none
    std::uint8_t prefix = 0;
};

// The identity a TAP should have for the (started) wire port `wire_port` and its settings.
// Throws dpdk::error when the port's MAC cannot be read.
tap_identity tap_identity_for(std::uint16_t wire_port, const port_settings& ps);

// Before the TAP port starts (its start brings the interface up): copies the MAC and MTU onto
// the TAP through its ethdev, switches IPv6 off on the interface and gives it the IPv4 address.
// IPv6 stays off because the configuration gives the hub only an IPv4 address per port: left on,
// the kernel would send its own link-local DAD, router solicitations and MLD reports out of the
// port as soon as the TAP is up. Throws dpdk::error naming the interface and the failed step.
void prepare_tap(std::uint16_t tap_port, const tap_identity& id);

// After the TAP port started: gives it the wire port's MTU (ethdev changes the MTU of configured
// ports only) and makes sure the interface is up (net_tap's start does it too; this keeps the
// kernel side right whichever way a PMD behaves). Throws dpdk::error.
void bring_up_tap(std::uint16_t tap_port, const tap_identity& id);

// IPv4 netmask bytes for a prefix length 0..32 (network order).
std::array<std::uint8_t, 4> ipv4_netmask(std::uint8_t prefix) noexcept;

} // namespace siehub::dataplane
