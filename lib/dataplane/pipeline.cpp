// SPDX-License-Identifier: Apache-2.0
#include "dataplane/pipeline.hpp"
#include "dataplane/sra_feed.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <cstring>

#include "dataplane/newness_stage.hpp"
#include "dataplane/worker.hpp"
#include "dedup/key.hpp"
#include "pipeline/privacy.hpp"
#include "pipeline/records.hpp"
#include "proto/dns/rrset.hpp"

namespace siehub::dataplane {

namespace {
constexpr std::uint16_t ch_raw = 202;
constexpr std::uint16_t ch_dedup = 204;
constexpr std::uint16_t ch_errors = 220;
constexpr std::uint16_t ch_nxdomain = 221;
constexpr std::uint16_t ch_heartbeat = 255;
constexpr std::uint32_t expire_budget = 64; // entries expired per tick at most
} // namespace

// ------------------------------------------------------------------------------ mbuf_sink

mbuf_sink::mbuf_sink(rte_mempool* pool, txq q, const net::channel_frame_spec& spec,
                     rt_counters& c)
    : pool_(pool), q_(q), spec_(spec), c_(c)
{
}

bool mbuf_sink::send(core::byte_view datagram, const pipeline::datagram_meta& meta) noexcept
{
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) {
        c_.add(rt_counter::tx_no_mbuf);
        return false;
    }
    std::size_t const total = net::channel_frame_overhead(spec_.vlan != 0) + datagram.size();
    auto* p = reinterpret_cast<std::uint8_t*>(rte_pktmbuf_append(m, static_cast<std::uint16_t>(total)));
    if (p == nullptr || total > 0xffff) {
        rte_pktmbuf_free(m);
        c_.add(rt_counter::tx_no_mbuf);
        return false;
    }
    spec_.src_port = meta.src_port;
    core::out_buffer out({p, total});
    if (q_.checksum_offload) {
        net::write_channel_frame(out, spec_, ip_id_++, datagram, net::checksums::offload);
        m->l2_len = static_cast<std::uint16_t>(total - datagram.size() - 28);
        m->l3_len = 20;
        m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
    } else {
        net::write_channel_frame(out, spec_, ip_id_++, datagram);
    }
    pending_[n_++] = m;
    if (n_ == pending_.size()) {
        flush();
    }
    return true;
}

void mbuf_sink::flush() noexcept
{
    if (n_ == 0) {
        return;
    }
    std::uint16_t const sent = q_.burst(pending_.data(), static_cast<std::uint16_t>(n_));
    c_.add(rt_counter::tx_frames, sent);
    for (unsigned i = sent; i < n_; ++i) {
        rte_pktmbuf_free(pending_[i]);
        c_.add(rt_counter::tx_full);
    }
    n_ = 0;
}

// ----------------------------------------------------------------------- payload_pipeline

payload_pipeline::payload_pipeline(unsigned worker, const settings& s, worker_links& links,
                                   rt_counters& rc, stage_timer& timer)
    : worker_(worker), s_(s), links_(links), rc_(rc), timer_(timer),
      scratch_(std::make_unique<pipeline::verify_scratch>()),
      privacy_scratch_(std::make_unique<pipeline::privacy_scratch>()),
      key_(pipeline::siphash_key::from_bytes(s.pseudonym_key)),
      bw_(std::make_unique<pipeline::bailiwick_checker>()), vendor_buf_(1 << 17),
      canon_buf_(1 << 16), owners_(std::make_unique<dns::canonical_owners>()),
      local_(std::make_unique<std::array<rrset_record, 64>>())
{
    dedup::config dc;
    dc.max_entries = s.dedup_entries;
    dc.max_key_bytes = static_cast<std::uint32_t>(max_record_key);
    dc.idle_timeout = s.dedup_idle_s;
    dc.max_age = s.dedup_max_age_s;
    dedup_ = std::make_unique<dedup::table>(dc);

    channel_index_.fill(-1);
    for (auto const& ch : s.channels) {
        if (ch.channel == ch_heartbeat && worker != 0) {
            continue; // one heartbeat stream per hub
        }
        net::channel_frame_spec spec;
        spec.dst_mac = ch.dst_mac;
        spec.src_mac = ch.src_mac;
        spec.vlan = ch.vlan;
        spec.src_ip = ch.src_ip;
        spec.dst_ip = ch.dst_ip;
        spec.dst_port = ch.dst_port;
        channel_out o;
        o.channel = ch.channel;
        o.sink = std::make_unique<mbuf_sink>(links.tx_frames, links.channel_tx[ch.tx_port], spec, rc);
        pipeline::emitter_config ec;
        ec.container_size = ch.container_size;
        ec.zlib = ch.zlib;
        ec.drain_ns = s.drain_ns;
        ec.src_port = pipeline::emitter_src_port(ch.src_port_base, worker);
        o.emitter = std::make_unique<pipeline::channel_emitter>(ec, *o.sink);
        channel_index_[ch.channel] = static_cast<int>(out_.size());
        if (ch.channel == ch_raw) {
            // One scrubbed copy serves ch202 and ch220, with ch202's (the stricter default) options.
            relay_privacy_ = {ch.zero_resolver, ch.scrub_ecs, ch.scrub_cookies};
        }
        out_.push_back(std::move(o));
    }
    if (worker == 0 && channel_index_[ch_heartbeat] >= 0 && s.heartbeat_ns != 0) {
        heartbeat_ = std::make_unique<pipeline::heartbeat>(s.hub_name, s.hub_source, s.heartbeat_ns);
    }
    for (auto const& d : s.delegations) {
        dns::name_buffer zone;
        auto const zi = dns::from_text(d.zone.empty() ? "." : d.zone + ".", zone);
        if (!zi.ok()) {
            throw std::invalid_argument("delegation zone \"" + d.zone + "\": " + dns::to_string(zi.err));
        }
        for (auto const& a : d.servers) {
            auto const e = bw_->add_static({zone.data(), zi.wire_len}, a);
            if (e != pipeline::static_zone_error::ok) {
                throw std::invalid_argument("delegation " + d.zone + ": " + pipeline::to_string(e));
            }
        }
    }
    if (links.filters != nullptr) {
        vopt_.exclude = &payload_pipeline::excluded;
        vopt_.exclude_ctx = this;
    }
    if (links.newness != nullptr) {
        newness_ = std::make_unique<newness_stage>(
            worker, s, *links.newness,
            [this](std::uint16_t ch, const nmsg::payload_header& h, core::byte_view v) { emit(ch, h, v); });
    }
    tsc_hz_ = rte_get_tsc_hz();
}

bool payload_pipeline::excluded(void* self, core::byte_view qname) noexcept
{
    // The generation current now (one acquire load); the worker loop announces a quiescent
    // state after the burst, so a SIGHUP reload never frees it under us (match/generation.hpp).
    auto* p = static_cast<payload_pipeline*>(self);
    const match::generation* g = p->links_.filters->current();
    if (g->db.rule_count() == 0) {
        return false; // no [[filter]]: everything passes, nothing is counted
    }
    auto const v = g->db.match(qname, g->worker_scratch(p->worker_), p->mc_);
    return v.act == match::action::drop;
}

payload_pipeline::~payload_pipeline() = default;

std::uint64_t payload_pipeline::now_ns(std::uint64_t tsc) const noexcept
{
    return static_cast<std::uint64_t>(static_cast<double>(tsc) * 1e9 / static_cast<double>(tsc_hz_));
}

template <class Fill>
void payload_pipeline::emit(std::uint16_t channel, const nmsg::payload_header& h,
                            core::byte_view vendor, const Fill& fill)
{
    int const i = channel_index_[channel];
    if (i < 0) {
        return; // channel disabled: nothing is built for it
    }
    out_[static_cast<std::size_t>(i)].emitter->add(h, vendor, now_ns(last_tsc_));
    if (links_.sra != nullptr) {
        links_.sra->offer(channel, h, vendor, fill); // one acquire load when no client wants it
    }
}

void payload_pipeline::emit(std::uint16_t channel, const nmsg::payload_header& h,
                            core::byte_view vendor)
{
    emit(channel, h, vendor, [&](axa::payload_keys& k) {
        axa::extract_keys(h.vid, h.msgtype, vendor, k); // sets error when it fails
    });
}

void payload_pipeline::on_payload(const nmsg::payload_view& p, const sender_info& from)
{
    pipeline::dnsqr_input in;
    in.vid = p.vid();
    in.msgtype = p.msgtype();
    in.message = p.payload().value_or(core::byte_view{});
    in.time_sec = p.time_sec();
    in.time_nsec = p.time_nsec();
    stage_scope const timed(timer_, stage::verify);
    pipeline::verify_result r;
    pipeline::verify(in, vopt_, *scratch_, r);
    pipeline::count(vc_, r);
    if (!r.accepted()) {
        return; // dropped under its verify.* reason
    }
    if (in.time_sec > 0 && static_cast<std::uint64_t>(in.time_sec) > clock_s_) {
        clock_s_ = static_cast<std::uint32_t>(std::min<std::int64_t>(in.time_sec, UINT32_MAX));
    }

    // Per-transaction channels carry a pseudonym of the contributing sensor (sie.md §6).
    std::array<std::uint8_t, 18> identity{};
    std::memcpy(identity.data(), from.addr.bytes.data(), 16);
    identity[16] = static_cast<std::uint8_t>(from.port >> 8);
    identity[17] = static_cast<std::uint8_t>(from.port);
    if (!have_pseudonym_ || identity != last_identity_) {
        last_identity_ = identity;
        last_pseudonym_ = pipeline::pseudonym(key_, identity);
        have_pseudonym_ = true;
    }
    std::uint32_t const pseudonym = last_pseudonym_;
    nmsg::payload_header h{1, 9, in.time_sec, in.time_nsec, pseudonym, std::nullopt, std::nullopt};

    bool const want_relay = channel_index_[ch_raw] >= 0 ||
                            (r.route != pipeline::rcode_route::noerror && channel_index_[ch_errors] >= 0);
    if (want_relay) {
        timer_.enter(stage::relay);
        // AXA keys from verify's view, not from the scrubbed copy (axa::dnsqr_keys).
        auto const relay_keys = [&r, zeroed = relay_privacy_.zero_resolver](axa::payload_keys& k) {
            axa::dnsqr_keys(*r.dnsqr, zeroed, k);
        };
        core::out_buffer ob(vendor_buf_);
        if (pipeline::scrub_dnsqr(*r.dnsqr, relay_privacy_, r.checksum, *privacy_scratch_, ob, pc_,
                                  {r.response_set, r.message}) ==
                pipeline::privacy_counter::scrubbed &&
            ob.ok()) {
            if (channel_index_[ch_raw] >= 0) {
                emit(ch_raw, h, ob.written(), relay_keys);
                c_.add(pipe_counter::relayed_202);
            }
            if (r.route != pipeline::rcode_route::noerror && channel_index_[ch_errors] >= 0) {
                emit(ch_errors, h, ob.written(), relay_keys);
                c_.add(pipe_counter::relayed_220);
            }
        } else {
            c_.add(pipe_counter::scrub_failed);
        }
    }
    if (r.route == pipeline::rcode_route::nxdomain && channel_index_[ch_nxdomain] >= 0) {
        timer_.enter(stage::dnsnx);
        core::out_buffer ob(vendor_buf_);
        if (pipeline::write_dnsnx(r, ob) && ob.ok()) {
            nmsg::payload_header nx{2, 6, r.response_time_sec,
                                    static_cast<std::uint32_t>(r.response_time_nsec), pseudonym,
                                    std::nullopt, std::nullopt};
            emit(ch_nxdomain, nx, ob.written());
            c_.add(pipe_counter::relayed_221);
        } else {
            c_.add(pipe_counter::record_error);
        }
    }
    if (r.route == pipeline::rcode_route::noerror && r.rrsets_valid) {
        timer_.enter(stage::rrsets);
        handle_rrsets(r);
    }
}

void payload_pipeline::handle_rrsets(const pipeline::verify_result& r)
{
    auto const& m = *r.message;
    auto const& t = *r.rrsets;
    auto const sets = t.sets();
    auto& keep = keep_; // per-response scratch: set for every RRset by check()
    pipeline::bailiwick_verdict v;
    auto const now_s = static_cast<pipeline::bailiwick_seconds>(clock_s_);
    // Each set's owner is read once, for the bailiwick steps and the keys alike.
    owners_->build(m, t);
    auto const& owners = *owners_;
    bw_->check(m, t, owners, r.response_ip, now_s, v, keep);
    if (!v.ok()) {
        c_.add(pipe_counter::unverifiable);
        return;
    }
    std::array<std::uint64_t, 64> sent_hashes; // [0, n_sent) in use
    unsigned n_sent = 0;
    auto& rdatas = rdatas_;
    for (std::size_t i = 0; i < sets.size(); ++i) {
        if (!keep[i]) {
            c_.add(pipe_counter::rrsets_out_of_bailiwick);
            continue;
        }
        auto const& set = sets[i];
        core::byte_view const owner = owners[i];
        if (owner.empty()) {
            c_.add(pipe_counter::rrsets_key_error);
            continue;
        }
        core::out_buffer scratch(canon_buf_);
        std::size_t n = 0;
        if (dns::canonical_rdata_set(m, t, set, scratch, rdatas, n) != dns::errc::ok) {
            c_.add(pipe_counter::rrsets_key_error);
            continue;
        }
        // local_n_ <= batch_n_ < 64 here: dedup_batch() empties both when the batch fills.
        rrset_record& slot = (*local_)[local_n_];
        dedup::key_builder kb(slot.key);
        kb.begin_canonical(owner, set.type, set.cls, v.bailiwick());
        for (std::size_t j = 0; j < n; ++j) {
            kb.add_rdata(rdatas[j]);
        }
        core::byte_view const key = kb.finish();
        if (key.empty()) {
            c_.add(pipe_counter::rrsets_key_error);
            continue;
        }
        std::uint64_t const h = dedup::hash(key, 0x5eed5eedULL);
        // An RRset present in two sections of one response is one observation.
        if (std::find(sent_hashes.begin(), sent_hashes.begin() + n_sent, h) !=
            sent_hashes.begin() + n_sent) {
            c_.add(pipe_counter::rrsets_duplicate_in_response);
            continue;
        }
        if (n_sent < sent_hashes.size()) {
            sent_hashes[n_sent++] = h;
        }
        c_.add(pipe_counter::rrsets_in_bailiwick);

        slot.hash = h;
        slot.time_sec = static_cast<std::uint32_t>(std::clamp<std::int64_t>(r.response_time_sec, 0, UINT32_MAX));
        slot.time_nsec = static_cast<std::uint32_t>(r.response_time_nsec);
        slot.ttl = set.ttl;
        slot.key_len = static_cast<std::uint16_t>(key.size());
        slot.response_ip_len = static_cast<std::uint8_t>(std::min<std::size_t>(r.response_ip.size(), 16));
        std::memcpy(slot.response_ip.data(), r.response_ip.data(), slot.response_ip_len);

        unsigned const owner_w = dedup::owner_core(h, s_.workers);
        if (owner_w == worker_) {
            ++local_n_;
            batch_[batch_n_++] = &slot;
            if (batch_n_ == batch_.size()) {
                dedup_batch();
            }
            continue;
        }
        // Another worker owns it: a pooled copy travels through its ring.
        void* obj = nullptr;
        if (rte_mempool_get(links_.records, &obj) != 0) {
            rc_.add(rt_counter::handoff_no_record);
            continue;
        }
        auto* rec = static_cast<rrset_record*>(obj);
        rec->hash = slot.hash;
        rec->time_sec = slot.time_sec;
        rec->time_nsec = slot.time_nsec;
        rec->ttl = slot.ttl;
        rec->key_len = slot.key_len;
        std::memcpy(rec->key.data(), slot.key.data(), slot.key_len);
        rec->response_ip_len = slot.response_ip_len;
        rec->response_ip = slot.response_ip;
        if (rte_ring_enqueue(links_.handoff_out[owner_w], rec) == 0) {
            rc_.add(rt_counter::handoff_sent);
        } else {
            rc_.add(rt_counter::handoff_full);
            rte_mempool_put(links_.records, rec);
        }
    }
}

void payload_pipeline::on_owned_records(std::span<rrset_record*> recs)
{
    for (auto* r : recs) {
        batch_[batch_n_++] = r;
        if (batch_n_ == batch_.size()) {
            dedup_batch();
        }
    }
}

void payload_pipeline::emit_expiration(const dedup::expired_entry& e)
{
    auto rec = pipeline::build_expiration(vendor_buf_, e.key, e.count, e.time_first, e.time_last,
                                          e.rrttl, {clock_s_, 0}, s_.hub_source);
    if (!rec.ok()) {
        c_.add(pipe_counter::record_error);
        return;
    }
    emit(ch_dedup, rec.header, rec.vendor,
         [&](axa::payload_keys& k) { pipeline::record_keys(e.key, {}, k); });
    c_.add(pipe_counter::expirations);
    if (newness_) {
        newness_->on_expiration(e.key, e.time_last); // NAD last-seen
    }
}

void payload_pipeline::dedup_batch()
{
    if (batch_n_ == 0) {
        return;
    }
    stage_scope const timed(timer_, stage::dedup);
    std::array<core::byte_view, 64> keys;
    std::array<std::uint64_t, 64> hashes;
    std::array<dedup::seconds, 64> times;
    std::array<std::uint32_t, 64> ttls;
    std::array<dedup::outcome, 64> results;
    unsigned const n = batch_n_;
    for (unsigned i = 0; i < n; ++i) {
        keys[i] = batch_[i]->key_view();
        hashes[i] = batch_[i]->hash;
        times[i] = batch_[i]->time_sec;
        ttls[i] = batch_[i]->ttl;
        if (batch_[i]->time_sec > clock_s_) {
            clock_s_ = batch_[i]->time_sec;
        }
    }
    auto sink = [this](const dedup::expired_entry& e) { emit_expiration(e); };
    dedup_->lookup_or_insert_burst({keys.data(), n}, {hashes.data(), n}, {times.data(), n},
                                   {ttls.data(), n}, {results.data(), n}, sink);
    for (unsigned i = 0; i < n; ++i) {
        auto* rec = batch_[i];
        switch (results[i]) {
        case dedup::outcome::inserted:
        case dedup::outcome::bypass: {
            auto ins = pipeline::build_insertion_from_key(
                vendor_buf_, rec->key_view(), rec->ttl, rec->response_ip_view(),
                {rec->time_sec, rec->time_nsec}, s_.hub_source);
            if (!ins.ok()) {
                c_.add(pipe_counter::record_error);
                break;
            }
            emit(ch_dedup, ins.header, ins.vendor, [&](axa::payload_keys& k) {
                pipeline::record_keys(rec->key_view(), rec->response_ip_view(), k);
            });
            if (newness_) {
                newness_->on_insertion(*rec); // ch211-214 are computed from ch204 INSERTIONs
            }
            if (results[i] == dedup::outcome::inserted) {
                c_.add(pipe_counter::dedup_inserted);
            } else {
                // Not cached: its one observation is accounted for at once (sie.md §3).
                c_.add(pipe_counter::dedup_bypass);
                emit_expiration({dedup::expire_reason::flush, 1, rec->time_sec, rec->time_sec,
                                 rec->ttl, rec->key_view()});
            }
            break;
        }
        case dedup::outcome::duplicate:
            c_.add(pipe_counter::dedup_suppressed);
            break;
        case dedup::outcome::dropped:
            c_.add(pipe_counter::dedup_dropped);
            break;
        }
        if (!is_local(rec)) {
            rte_mempool_put(links_.records, rec);
        }
    }
    batch_n_ = 0;
    local_n_ = 0;
}

void payload_pipeline::tick(std::uint64_t tsc)
{
    last_tsc_ = tsc;
    dedup_batch();
    auto sink = [this](const dedup::expired_entry& e) { emit_expiration(e); };
    dedup_->expire(clock_s_, expire_budget, sink);
    if (newness_) {
        newness_->poll(tsc);
    }
    std::uint64_t const ns = now_ns(tsc);
    if (heartbeat_ && ns >= heartbeat_->next_due_ns()) {
        // The wall clock is read only when a heartbeat is due, not on every loop.
        auto wall = std::chrono::system_clock::now().time_since_epoch();
        auto const wns = std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count();
        if (auto rec = heartbeat_->poll(ns, {static_cast<std::uint32_t>(wns / 1000000000),
                                             static_cast<std::uint32_t>(wns % 1000000000)})) {
            if (rec->ok()) {
                emit(ch_heartbeat, rec->header, rec->vendor);
            }
        }
    }
    for (auto& o : out_) {
        o.emitter->drain(ns);
        o.sink->flush();
    }
}

void payload_pipeline::flush(std::uint64_t tsc)
{
    last_tsc_ = tsc;
    dedup_batch();
    auto sink = [this](const dedup::expired_entry& e) { emit_expiration(e); };
    dedup_->flush_all(sink);
    if (newness_) {
        newness_->finish(); // after the last EXPIRATION: barrier, last drain, snapshot
    }
    for (auto& o : out_) {
        o.emitter->flush();
        o.sink->flush();
    }
}

} // namespace siehub::dataplane
