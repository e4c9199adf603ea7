// SPDX-License-Identifier: Apache-2.0
#include "dataplane/sra_hub.hpp"

#include <rte_errno.h>
#include <rte_lcore.h>

#include <chrono>
#include <stdexcept>

namespace siehub::dataplane {

sra_hub::sra_hub(const settings& s, unsigned workers)
{
    axa::server_config cfg;
    std::string err;
    for (auto const& text : s.sra.listen) {
        auto l = axa::parse_listen(text, err);
        if (!l) {
            throw std::runtime_error("--sra-listen: " + err);
        }
        cfg.listeners.push_back(*l);
    }
    if (s.sra.accounts.empty()) {
        throw std::runtime_error("--sra-listen needs --sra-accounts");
    }
    cfg.accounts_file = s.sra.accounts;
    cfg.cert_file = s.sra.cert;
    cfg.key_file = s.sra.key;
    cfg.feed_ring_bytes = 0; // the smallest: workers use their own rings, not offer()
    for (auto const& ch : s.channels) {
        cfg.channels.push_back({ch.channel, "siehub channel " + std::to_string(ch.channel)});
        channels_.push_back(ch.channel);
    }
    srv_ = std::make_unique<axa::server>(cfg);
    if (!srv_->start(err)) {
        throw std::runtime_error("sra: " + err);
    }
    bound_ = srv_->listeners();

    // Until the first client logs in: a generation with nobody, so no channel is wanted.
    auto first = std::make_unique<sra_generation>();
    first->gen = axa::match_generation::build({}, 0);
    first->scratches.resize(workers);
    pub_ = std::make_unique<sra_publisher>(workers, std::move(first));
    for (unsigned w = 0; w < workers; ++w) {
        pub_->offline(w); // until its loop starts
    }

    pool_ = rte_mempool_create("sh_sra", pool_objects, slot_bytes, 32, 0, nullptr, nullptr,
                               nullptr, nullptr, static_cast<int>(rte_socket_id()), 0);
    if (pool_ == nullptr) {
        throw std::runtime_error(std::string("rte_mempool_create sh_sra: ") + rte_strerror(rte_errno));
    }
    for (unsigned w = 0; w < workers; ++w) {
        rte_ring* r = rte_ring_create(("sh_sra" + std::to_string(w)).c_str(), ring_size,
                                      static_cast<int>(rte_socket_id()),
                                      RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (r == nullptr) {
            throw std::runtime_error(std::string("rte_ring_create sh_sra: ") + rte_strerror(rte_errno));
        }
        rings_.push_back(r);
        auto p = std::make_unique<sra_port>();
        p->ring = r;
        p->pool = pool_;
        p->slot_bytes = slot_bytes;
        p->pub = pub_.get();
        p->worker = w;
        p->timed = s.stage_cycles;
        ports_.push_back(std::move(p));
        lost_seen_.emplace_back(4096, 0);
        lost_total_seen_.push_back(0);
    }
}

sra_hub::~sra_hub()
{
    if (thread_.joinable()) {
        stop_.store(true);
        srv_->request_stop();
        thread_.join();
    }
    // Whatever is still queued goes back before the pool does.
    for (auto* r : rings_) {
        void* obj = nullptr;
        while (rte_ring_sc_dequeue(r, &obj) == 0) {
            rte_mempool_put(pool_, obj);
        }
        rte_ring_free(r);
    }
    rte_mempool_free(pool_);
}

void sra_hub::start()
{
    thread_ = std::thread([this] { loop(); });
}

bool sra_hub::drain()
{
    bool any = false;
    void* objs[32];
    for (auto* r : rings_) {
        // A bounded number of bursts per ring, so that the sockets are served in between.
        for (int round = 0; round < 8; ++round) {
            unsigned const n = rte_ring_sc_dequeue_burst(r, objs, 32, nullptr);
            if (n == 0) {
                break;
            }
            any = true;
            for (unsigned i = 0; i < n; ++i) {
                auto* s = static_cast<sra_slot*>(objs[i]);
                if (s->flags & sra_slot::has_hits) {
                    srv_->deliver(s->ch, core::byte_view(s->data(), s->len), s->serial,
                                  {s->hits(), s->n_hits});
                } else {
                    srv_->publish(s->ch, core::byte_view(s->data(), s->len));
                }
            }
            rte_mempool_put_bulk(pool_, objs, n);
        }
    }
    return any;
}

void sra_hub::charge_losses()
{
    for (std::size_t w = 0; w < ports_.size(); ++w) {
        auto& p = *ports_[w];
        std::uint64_t const total = p.lost_total.load(std::memory_order_acquire);
        if (total == lost_total_seen_[w]) {
            continue;
        }
        lost_total_seen_[w] = total;
        for (auto ch : channels_) {
            std::uint64_t const n = p.lost[ch].load(std::memory_order_relaxed);
            if (n != lost_seen_[w][ch]) {
                srv_->note_input_loss(ch, n - lost_seen_[w][ch]);
                lost_seen_[w][ch] = n;
            }
        }
    }
}

void sra_hub::publish_generation()
{
    // Compiled by the server when its clients changed (logins, watches, channels, closes).
    // A compile of every client's watches takes a while (~0.2 s for 1 000 clients with 20
    // each): after one, wait as long as it took before the next, so a crowd logging in one
    // after another costs the server thread at most half its time, not one compile per login.
    using clock = std::chrono::steady_clock;
    auto const t0 = clock::now();
    if (t0 < next_compile_) {
        pub_->reclaim();
        return;
    }
    auto const r = srv_->generation();
    if (r.serial != published_serial_) {
        auto const t1 = clock::now();
        next_compile_ = t1 + (t1 - t0);
        // Made here, so that workers never allocate: one scratch per worker.
        auto g = std::make_unique<sra_generation>();
        g->gen = r.gen;
        g->axa_serial = r.serial;
        g->sessions.assign(r.sessions.begin(), r.sessions.end());
        g->scratches.reserve(pub_->readers());
        for (unsigned w = 0; w < pub_->readers(); ++w) {
            g->scratches.emplace_back(r.gen->client_count());
        }
        pub_->publish(std::move(g));
        published_serial_ = r.serial;
    }
    pub_->reclaim();
}

void sra_hub::loop()
{
    while (!stop_.load(std::memory_order_acquire)) {
        publish_generation();
        bool const busy = drain();
        charge_losses();
        if (!busy && draining_.load(std::memory_order_acquire)) {
            // The workers are done: one more pass catches what they queued last.
            // idle() walks the clients, so only this thread may ask it.
            drained_.store(!drain() && srv_->idle(), std::memory_order_release);
        }
        srv_->poll(busy ? 0 : 1);
    }
    // Whatever the workers queued still reaches the server (a stalled client only drops it,
    // counted), so sra.fed = axa.publish_payloads holds at the end.
    while (drain()) {
    }
    // Serve what is queued once more, then close every session (run() returns at once).
    srv_->request_stop();
    srv_->run();
}

void sra_hub::finish(double linger_s, const std::atomic<bool>& stop)
{
    using clock = std::chrono::steady_clock;
    draining_.store(true, std::memory_order_release);
    // Bounded: a client that never reads its queue must not hold the hub forever.
    auto const give_up = clock::now() + std::chrono::seconds(10);
    while (!stop.load() && clock::now() < give_up &&
           !drained_.load(std::memory_order_acquire)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto const until = clock::now() + std::chrono::duration_cast<clock::duration>(
                                          std::chrono::duration<double>(linger_s));
    while (!stop.load() && clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop_.store(true, std::memory_order_release);
    srv_->request_stop();
    thread_.join();
}

} // namespace siehub::dataplane
