// SPDX-License-Identifier: Apache-2.0
#include "capture/afpacket.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace siehub::capture {

namespace {

[[noreturn]] void fail(int fd, const std::string& what)
{
    int const e = errno;
    if (fd >= 0) {
        ::close(fd);
    }
    throw std::system_error(e, std::generic_category(), what);
}

} // namespace

afpacket_ring::afpacket_ring(const ring_config& cfg) : cfg_(cfg)
{
    long const page = ::sysconf(_SC_PAGESIZE);
    if (cfg_.block_size == 0 || cfg_.block_size % static_cast<std::uint32_t>(page) != 0 ||
        cfg_.block_count == 0 || cfg_.frame_size < TPACKET_ALIGNMENT) {
        errno = EINVAL;
        fail(-1, "ring: block size must be a multiple of the page size, counts non-zero");
    }
    ifindex_ = static_cast<int>(::if_nametoindex(cfg_.iface.c_str()));
    if (ifindex_ == 0) {
        fail(-1, "interface " + cfg_.iface);
    }
    int fd = ::socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) {
        fail(-1, "socket(AF_PACKET)");
    }
    int v = TPACKET_V3;
    if (::setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) != 0) {
        fail(fd, "PACKET_VERSION TPACKET_V3");
    }
    tpacket_req3 req{};
    req.tp_block_size = cfg_.block_size;
    req.tp_block_nr = cfg_.block_count;
    req.tp_frame_size = cfg_.frame_size;
    req.tp_frame_nr = static_cast<unsigned>((std::uint64_t{cfg_.block_size} * cfg_.block_count) /
                                            cfg_.frame_size);
    req.tp_retire_blk_tov = cfg_.block_timeout_ms;
    req.tp_feature_req_word = 0;
    if (::setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) {
        fail(fd, "PACKET_RX_RING (" + std::to_string(cfg_.block_count) + " blocks of " +
                     std::to_string(cfg_.block_size) + " bytes)");
    }
    map_len_ = std::size_t{cfg_.block_size} * cfg_.block_count;
    void* m = ::mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
    if (m == MAP_FAILED) {
        // MAP_LOCKED needs RLIMIT_MEMLOCK; without it the ring still works, only pageable.
        m = ::mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) {
            fail(fd, "mmap of the ring");
        }
    }
    map_ = static_cast<std::uint8_t*>(m);
    if (cfg_.promiscuous) {
        packet_mreq mr{};
        mr.mr_ifindex = ifindex_;
        mr.mr_type = PACKET_MR_PROMISC;
        if (::setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
            ::munmap(map_, map_len_);
            map_ = nullptr;
            fail(fd, "PACKET_ADD_MEMBERSHIP promiscuous");
        }
    }
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex_;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
        ::munmap(map_, map_len_);
        map_ = nullptr;
        fail(fd, "bind to " + cfg_.iface);
    }
    if (cfg_.fanout_group >= 0) {
        int const arg = (cfg_.fanout_group & 0xffff) | (PACKET_FANOUT_HASH << 16);
        if (::setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
            ::munmap(map_, map_len_);
            map_ = nullptr;
            fail(fd, "PACKET_FANOUT");
        }
    }
    fd_ = fd;
}

afpacket_ring::~afpacket_ring()
{
    if (map_ != nullptr) {
        ::munmap(map_, map_len_);
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool afpacket_ring::wait(int timeout_ms) noexcept
{
    pollfd p{fd_, POLLIN | POLLERR, 0};
    int const rc = ::poll(&p, 1, timeout_ms);
    return rc > 0 && block_ready(current_);
}

ring_stats afpacket_ring::stats()
{
    tpacket_stats_v3 s{};
    socklen_t len = sizeof s;
    if (::getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &s, &len) == 0) {
        // tp_packets counts every frame the socket saw, drops included.
        total_.packets += s.tp_packets;
        total_.drops += s.tp_drops;
        total_.freeze_q += s.tp_freeze_q_cnt;
    }
    return total_;
}

} // namespace siehub::capture
