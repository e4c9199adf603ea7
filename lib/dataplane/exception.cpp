// SPDX-License-Identifier: Apache-2.0
// Start-up only (no fast-path code here): the kernel side of each exception TAP is set with
// ethdev calls (MAC, MTU, which net_tap turns into ioctls on the interface) and with the classic
// interface ioctls (address, netmask, flags). No shelling out to `ip`.
#include "dataplane/exception.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_ethdev.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dpdk/eal.hpp"

namespace siehub::dataplane {

namespace {

class fd_owner {
public:
    explicit fd_owner(int fd) noexcept : fd_(fd) {}
    ~fd_owner()
    {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    fd_owner(fd_owner&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    fd_owner(const fd_owner&) = delete;
    fd_owner& operator=(const fd_owner&) = delete;
    fd_owner& operator=(fd_owner&&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

[[noreturn]] void fail(const tap_identity& id, const char* step, int err)
{
    throw dpdk::error("exception TAP " + id.ifname + ": " + step + ": " + std::strerror(err));
}

ifreq make_ifreq(const tap_identity& id)
{
    if (id.ifname.empty() || id.ifname.size() >= IFNAMSIZ) {
        throw dpdk::error("exception TAP: bad interface name '" + id.ifname + "'");
    }
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, id.ifname.data(), id.ifname.size());
    return ifr;
}

sockaddr_in ipv4_sockaddr(const std::array<std::uint8_t, 4>& a)
{
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    std::memcpy(&sin.sin_addr.s_addr, a.data(), 4); // both network order
    return sin;
}

fd_owner inet_socket(const tap_identity& id)
{
    fd_owner s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (s.get() < 0) {
        fail(id, "socket(AF_INET)", errno);
    }
    return s;
}

// IPv6 off before the interface comes up, so the kernel never sends link-local chatter (DAD,
// router solicitations, MLD) out of the port. A kernel without IPv6 has no such file: nothing to
// do. Where /proc/sys is read-only (some containers) the TAP still works for IPv4: say so once.
void disable_ipv6(const tap_identity& id)
{
    std::string const path = "/proc/sys/net/ipv6/conf/" + id.ifname + "/disable_ipv6";
    int const fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) {
            std::fprintf(stderr, "siehub: exception TAP %s: cannot switch IPv6 off (%s): %s\n",
                         id.ifname.c_str(), path.c_str(), std::strerror(errno));
        }
        return;
    }
    fd_owner f(fd);
    if (::write(f.get(), "1\n", 2) != 2) {
        std::fprintf(stderr, "siehub: exception TAP %s: cannot switch IPv6 off: %s\n",
                     id.ifname.c_str(), std::strerror(errno));
    }
}

void set_ipv4(const tap_identity& id)
{
    if (id.prefix == 0) {
        return;
    }
    if (id.prefix > 32) {
        throw dpdk::error("exception TAP " + id.ifname + ": prefix length " +
                          std::to_string(id.prefix) + " > 32");
    }
    auto s = inet_socket(id);
    ifreq ifr = make_ifreq(id);
    sockaddr_in const addr = ipv4_sockaddr(id.address);
    std::memcpy(&ifr.ifr_addr, &addr, sizeof addr);
    if (::ioctl(s.get(), SIOCSIFADDR, &ifr) < 0) {
        fail(id, "SIOCSIFADDR", errno);
    }
    // The kernel recomputes the broadcast address from the new mask.
    ifr = make_ifreq(id);
    sockaddr_in const mask = ipv4_sockaddr(ipv4_netmask(id.prefix));
    std::memcpy(&ifr.ifr_netmask, &mask, sizeof mask);
    if (::ioctl(s.get(), SIOCSIFNETMASK, &ifr) < 0) {
        fail(id, "SIOCSIFNETMASK", errno);
    }
}

} // namespace

std::array<std::uint8_t, 4> ipv4_netmask(std::uint8_t prefix) noexcept
{
    std::uint32_t const m = prefix == 0 ? 0 : prefix >= 32 ? ~0u : ~0u << (32 - prefix);
    return {static_cast<std::uint8_t>(m >> 24), static_cast<std::uint8_t>(m >> 16),
            static_cast<std::uint8_t>(m >> 8), static_cast<std::uint8_t>(m)};
}

tap_identity tap_identity_for(std::uint16_t wire_port, const port_settings& ps)
{
    tap_identity id;
    id.ifname = ps.tap_name;
    rte_ether_addr mac{};
    int const rc = rte_eth_macaddr_get(wire_port, &mac);
    if (rc != 0) {
        throw dpdk::error("exception TAP " + ps.tap_name + ": MAC of port " +
                          std::to_string(wire_port) + ": " + rte_strerror(-rc));
    }
    std::memcpy(id.mac.data(), mac.addr_bytes, 6);
    std::uint16_t mtu = 0;
    if (rte_eth_dev_get_mtu(wire_port, &mtu) == 0) {
        id.mtu = mtu;
    }
    id.address = ps.address;
    id.prefix = ps.prefix;
    return id;
}

void prepare_tap(std::uint16_t tap_port, const tap_identity& id)
{
    (void)make_ifreq(id); // the name check, before anything changes
    rte_ether_addr mac{};
    std::memcpy(mac.addr_bytes, id.mac.data(), 6);
    // Through the PMD (not SIOCSIFHWADDR directly) so net_tap's own copy of the MAC agrees.
    int const rc = rte_eth_dev_default_mac_addr_set(tap_port, &mac);
    if (rc != 0) {
        fail(id, "set MAC", -rc);
    }
    disable_ipv6(id);
    set_ipv4(id);
}

void bring_up_tap(std::uint16_t tap_port, const tap_identity& id)
{
    if (id.mtu != 0) {
        // The kernel then segments TCP to what the wire carries (the TAP has no offloads, so it
        // hands over finished, checksummed frames). ethdev changes the MTU of configured ports
        // only, hence here. A mismatch is not fatal: say so.
        int const rc = rte_eth_dev_set_mtu(tap_port, id.mtu);
        if (rc != 0) {
            std::fprintf(stderr, "siehub: exception TAP %s: MTU %u: %s\n", id.ifname.c_str(),
                         static_cast<unsigned>(id.mtu), rte_strerror(-rc));
        }
    }
    auto s = inet_socket(id);
    ifreq ifr = make_ifreq(id);
    if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) < 0) {
        fail(id, "SIOCGIFFLAGS", errno);
    }
    if ((ifr.ifr_flags & IFF_UP) == 0) {
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
        if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) < 0) {
            fail(id, "SIOCSIFFLAGS", errno);
        }
    }
}

} // namespace siehub::dataplane
