// SPDX-License-Identifier: Apache-2.0
#include "dataplane/newness_stage.hpp"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "newness/psl_list.hpp"
#include "newness/snapshot.hpp"
#include "telemetry/registry.hpp"

namespace siehub::dataplane {

namespace {
constexpr unsigned poll_burst = 32;
constexpr unsigned poll_rounds = 8;
} // namespace

// ---------------------------------------------------------------------------------- hub

newness_hub::newness_hub(const newness_settings& s, unsigned workers)
    : s_(s), workers_(workers), stages_(workers, nullptr)
{
    auto const rules = newness::load_psl_file(s.psl_path);
    if (!rules.ok()) {
        throw std::runtime_error("[newness] psl " + s.psl_path + ": " +
                                 newness::to_string(rules.status) +
                                 (rules.line != 0 ? " at line " + std::to_string(rules.line) : ""));
    }
    newness::psl_options po;
    po.private_domains = s.private_domains;
    psl_ = std::make_unique<newness::psl_table>(rules.rules, po);

    unsigned const n = s.ring_size * std::max(1u, workers) * 2 - 1;
    pool_ = rte_mempool_create("sh_newness", n, sizeof(newness_msg), 64, 0, nullptr, nullptr,
                               nullptr, nullptr, static_cast<int>(rte_socket_id()), 0);
    if (pool_ == nullptr) {
        throw std::runtime_error(std::string("rte_mempool_create sh_newness: ") +
                                 rte_strerror(rte_errno));
    }
    rings_.assign(static_cast<std::size_t>(workers) * workers, nullptr);
    for (unsigned f = 0; f < workers; ++f) {
        for (unsigned t = 0; t < workers; ++t) {
            if (f == t) {
                continue;
            }
            std::string const name = "sh_n" + std::to_string(f) + "_" + std::to_string(t);
            rte_ring* r = rte_ring_create(name.c_str(), s.ring_size, static_cast<int>(rte_socket_id()),
                                          RING_F_SP_ENQ | RING_F_SC_DEQ);
            if (r == nullptr) {
                throw std::runtime_error("rte_ring_create " + name + ": " + rte_strerror(rte_errno));
            }
            rings_[f * workers + t] = r;
        }
    }
}

newness_hub::~newness_hub()
{
    for (auto* r : rings_) {
        if (r != nullptr) {
            // Whatever is still queued goes back to the pool before the pool goes.
            void* obj = nullptr;
            while (rte_ring_dequeue(r, &obj) == 0) {
                rte_mempool_put(pool_, obj);
            }
            rte_ring_free(r);
        }
    }
    if (pool_ != nullptr) {
        rte_mempool_free(pool_);
    }
}

void newness_hub::register_counters(telemetry::registry& reg) const
{
    auto const t_engine = reg.add_table(newness::newness_counter_table);
    auto const t_route = reg.add_table(newness_route_counter_table);
    for (unsigned w = 0; w < workers_; ++w) {
        if (stages_[w] == nullptr) {
            continue;
        }
        reg.add_block(t_engine, telemetry::block_scope::on_worker(w),
                      stages_[w]->engine().counters().v.data());
        reg.add_block(t_route, telemetry::block_scope::on_worker(w),
                      stages_[w]->route_counters().v.data());
    }
}

// -------------------------------------------------------------------------------- stage

newness_stage::newness_stage(unsigned worker, const settings& s, newness_hub& hub, emit_fn emit)
    : worker_(worker), hub_(hub), emit_(std::move(emit)), scratch_(std::make_unique<newness_msg>())
{
    auto const& ns = hub.config();
    newness::engine_config c;
    c.shard = worker;
    c.shards = hub.workers();
    c.nad_days = ns.nad_days;
    c.learning_period_s = ns.learning_period_s;
    std::size_t const per = static_cast<std::size_t>(ns.capacity / std::max(1u, hub.workers()));
    c.fqdn_capacity = std::max<std::size_t>(per, 1024);
    c.base_capacity = std::max<std::size_t>(per / 4, 1024);
    c.fact_capacity = std::max<std::size_t>(per * 2, 1024);
    c.source = s.hub_source;
    engine_ = std::make_unique<newness::engine>(hub.psl(), c);
    if (!ns.snapshot_dir.empty()) {
        ::mkdir(ns.snapshot_dir.c_str(), 0750); // EEXIST is fine; other errors show on save
        path_ = newness::snapshot_path(ns.snapshot_dir, worker, hub.workers());
        auto const r = newness::load_snapshot(*engine_, path_);
        if (!r.ok() && r.status != newness::snapshot_status::missing) {
            if (!ns.start_empty) {
                throw std::runtime_error("[newness] cannot load the seen-set snapshot: " +
                                         r.message + " (" + newness::to_string(r.status) +
                                         "); refusing to start. Set [newness] start_empty = true "
                                         "to start with empty seen-sets");
            }
            std::fprintf(stderr,
                         "siehub: [newness] %s (%s); start_empty is set: starting with empty "
                         "seen-sets\n",
                         r.message.c_str(), newness::to_string(r.status));
        }
    }
    tsc_hz_ = rte_get_tsc_hz();
    next_snapshot_tsc_ = rte_rdtsc() + ns.snapshot_interval_s * tsc_hz_;
    hub.attach(worker, this);
}

void newness_stage::evaluate(const newness_msg& m) noexcept
{
    core::byte_view const key{m.key.data(), m.key_len};
    if (m.kind == 1) {
        engine_->on_expiration(key, m.time_sec);
        return;
    }
    newness::insertion in{key, m.time_sec, m.time_nsec, m.ttl, {m.response_ip.data(), m.response_ip_len}};
    engine_->on_insertion(in, [this](const newness::out_record& r) {
        emit_(r.channel, r.header, r.vendor);
    });
}

void newness_stage::send(const newness_msg& proto, std::uint64_t mask, bool expiry) noexcept
{
    for (unsigned w = 0; w < hub_.workers(); ++w) {
        if (((mask >> w) & 1) == 0) {
            continue;
        }
        if (w == worker_) {
            rc_.add(expiry ? newness_route_counter::expiry_local : newness_route_counter::local);
            evaluate(proto);
            continue;
        }
        void* obj = nullptr;
        if (rte_mempool_get(hub_.pool(), &obj) != 0) {
            rc_.add(expiry ? newness_route_counter::expiry_dropped : newness_route_counter::no_message);
            continue;
        }
        auto* m = static_cast<newness_msg*>(obj);
        // Header fields and only the key bytes in use.
        std::memcpy(m, &proto, offsetof(newness_msg, key) + proto.key_len);
        if (rte_ring_enqueue(hub_.ring(worker_, w), m) == 0) {
            rc_.add(expiry ? newness_route_counter::expiry_sent : newness_route_counter::sent);
        } else {
            rte_mempool_put(hub_.pool(), m);
            rc_.add(expiry ? newness_route_counter::expiry_dropped : newness_route_counter::full);
        }
    }
}

void newness_stage::on_insertion(const rrset_record& rec) noexcept
{
    rc_.add(newness_route_counter::insertions);
    auto const key = rec.key_view();
    std::uint64_t const mask = newness::route(key, hub_.psl(), hub_.workers());
    if (mask == 0) {
        rc_.add(newness_route_counter::unroutable);
        return;
    }
    rc_.add(newness_route_counter::routed);
    auto& m = *scratch_;
    m.kind = 0;
    m.time_sec = rec.time_sec;
    m.time_nsec = rec.time_nsec;
    m.ttl = rec.ttl;
    m.response_ip_len = rec.response_ip_len;
    m.response_ip = rec.response_ip;
    m.key_len = rec.key_len;
    std::memcpy(m.key.data(), key.data(), key.size());
    send(m, mask, false);
}

void newness_stage::on_expiration(core::byte_view key, std::uint32_t time_last) noexcept
{
    if (key.size() > max_record_key) {
        rc_.add(newness_route_counter::expiry_dropped);
        return;
    }
    std::uint64_t const mask = newness::route(key, hub_.psl(), hub_.workers());
    if (mask == 0) {
        return;
    }
    auto& m = *scratch_;
    m.kind = 1;
    m.time_sec = time_last;
    m.time_nsec = 0;
    m.ttl = 0;
    m.response_ip_len = 0;
    m.key_len = static_cast<std::uint16_t>(key.size());
    std::memcpy(m.key.data(), key.data(), key.size());
    send(m, mask, true);
}

bool newness_stage::drain() noexcept
{
    bool any = false;
    void* objs[poll_burst];
    for (unsigned f = 0; f < hub_.workers(); ++f) {
        rte_ring* r = hub_.ring(f, worker_);
        if (r == nullptr) {
            continue;
        }
        for (unsigned round = 0; round < poll_rounds; ++round) {
            unsigned const n = rte_ring_dequeue_burst(r, objs, poll_burst, nullptr);
            if (n == 0) {
                break;
            }
            any = true;
            for (unsigned i = 0; i < n; ++i) {
                auto* m = static_cast<newness_msg*>(objs[i]);
                rc_.add(m->kind == 1 ? newness_route_counter::expiry_received
                                     : newness_route_counter::received);
                evaluate(*m);
                rte_mempool_put(hub_.pool(), m);
            }
        }
    }
    return any;
}

void newness_stage::snapshot() noexcept
{
    if (path_.empty()) {
        return;
    }
    auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto const r = newness::save_snapshot(*engine_, path_, static_cast<std::uint64_t>(now));
    if (r.ok()) {
        rc_.add(newness_route_counter::snapshots);
    } else {
        rc_.add(newness_route_counter::snapshot_errors);
        std::fprintf(stderr, "siehub: [newness] snapshot failed: %s\n", r.message.c_str());
    }
}

bool newness_stage::reap(bool wait) noexcept
{
    if (child_ <= 0) {
        return true;
    }
    int status = 0;
    pid_t const r = ::waitpid(child_, &status, wait ? 0 : WNOHANG);
    if (r == 0) {
        return false; // still writing
    }
    if (r == child_ && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        rc_.add(newness_route_counter::snapshots);
    } else {
        rc_.add(newness_route_counter::snapshot_errors);
    }
    child_ = -1;
    return true;
}

void newness_stage::snapshot_in_background() noexcept
{
    // A forked child writes a copy-on-write image of the tables while this worker goes on: the
    // worker pauses only for fork() (page tables), not for the write. The child touches no
    // DPDK state and leaves with _exit. One child per shard at a time; if the last one is
    // still writing, this interval is skipped.
    if (!reap(false)) {
        return;
    }
    pid_t const pid = ::fork();
    if (pid == 0) {
        auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        auto const r = newness::save_snapshot(*engine_, path_, static_cast<std::uint64_t>(now));
        if (!r.ok()) {
            std::fprintf(stderr, "siehub: [newness] snapshot failed: %s\n", r.message.c_str());
        }
        ::_exit(r.ok() ? 0 : 1);
    }
    if (pid < 0) {
        snapshot(); // no fork (limits): write it here
        return;
    }
    child_ = pid;
}

bool newness_stage::poll(std::uint64_t tsc) noexcept
{
    bool const any = drain();
    if (!path_.empty() && hub_.config().snapshot_interval_s != 0 && tsc >= next_snapshot_tsc_) {
        snapshot_in_background();
        next_snapshot_tsc_ = rte_rdtsc() + hub_.config().snapshot_interval_s * tsc_hz_;
    }
    return any;
}

void newness_stage::finish() noexcept
{
    // This worker sends nothing more; others may still be flushing their dedup tables and
    // sending to us, so keep draining until every worker has said the same, then once more.
    hub_.finished.fetch_add(1, std::memory_order_acq_rel);
    while (hub_.finished.load(std::memory_order_acquire) < hub_.workers()) {
        if (!drain()) {
            rte_pause();
        }
    }
    while (drain()) {
    }
    reap(true); // an older image must not be renamed over the final one
    snapshot();
}

} // namespace siehub::dataplane
